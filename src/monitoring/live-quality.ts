import type { LabeledPrediction, LiveQuality } from '../core/index.js';

/**
 * Live quality from delayed ground truth: per model version and variant, the accuracy of a
 * classifier's labels or the MAE and RMSE of a regressor's values, over the predictions that
 * have feedback. A falling accuracy with no input drift is concept drift: the world changed, not
 * the inputs.
 */
export function liveQuality(labeled: readonly LabeledPrediction[]): LiveQuality[] {
  const groups = new Map<string, { model: string; version: number; variant: string; rows: LabeledPrediction[] }>();
  for (const item of labeled) {
    const { model, version, variant } = item.prediction;
    const key = JSON.stringify([model, version, variant]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { model, version, variant, rows: [] }));
    group.rows.push(item);
  }
  return [...groups.values()]
    .sort((a, b) => a.model.localeCompare(b.model) || a.version - b.version || a.variant.localeCompare(b.variant))
    .map(({ model, version, variant, rows }) => ({ model, version, variant, ...qualityOf(rows) }));
}

function qualityOf(rows: readonly LabeledPrediction[]): Pick<LiveQuality, 'labeled' | 'accuracy' | 'mae' | 'rmse'> {
  let correct = 0;
  let classified = 0;
  let absolute = 0;
  let squared = 0;
  let regressed = 0;
  for (const { prediction, feedback } of rows) {
    const { label, value } = prediction.output;
    if (label !== undefined && feedback.label !== null) {
      classified++;
      if (String(label) === feedback.label) correct++;
    } else if (typeof value === 'number' && feedback.value !== null) {
      regressed++;
      const error = value - feedback.value;
      absolute += Math.abs(error);
      squared += error * error;
    }
  }
  if (classified > 0) return { labeled: classified, accuracy: correct / classified };
  if (regressed > 0) return { labeled: regressed, mae: absolute / regressed, rmse: Math.sqrt(squared / regressed) };
  return { labeled: 0 };
}
