import type { LabeledPrediction, LiveQuality, QualityBucket, QualitySeries } from '../core/index.js';
import { accuracy, f1, precision, rocAuc, recall } from '../ml/index.js';

type Measures = Omit<LiveQuality, 'model' | 'version' | 'variant'>;

/**
 * Live quality from delayed ground truth: per model version and variant, over the predictions
 * that have feedback — accuracy, precision, recall, F1 and ROC AUC of a classifier, MAE and
 * RMSE of a regressor. A falling accuracy with no input drift is concept drift: the world
 * changed, not the inputs.
 */
export function liveQuality(labeled: readonly LabeledPrediction[]): LiveQuality[] {
  return groups(labeled).map(({ model, version, variant, rows }) => ({ model, version, variant, ...qualityOf(rows) }));
}

/**
 * The same per model version and variant, plus per bucket of `bucketMs` by the time each
 * prediction was made: with label delay, the feedback for a bucket keeps arriving after it, so a
 * bucket's numbers settle as labels come in and a bucket is compared with the others fairly.
 */
export function qualitySeries(labeled: readonly LabeledPrediction[], bucketMs: number): QualitySeries[] {
  return groups(labeled).map(({ model, version, variant, rows }) => {
    const byStart = new Map<number, LabeledPrediction[]>();
    for (const row of rows) {
      const start = Math.floor(Date.parse(row.prediction.at) / bucketMs) * bucketMs;
      let bucket = byStart.get(start);
      if (!bucket) byStart.set(start, (bucket = []));
      bucket.push(row);
    }
    const series: QualityBucket[] = [...byStart.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, bucket]) => ({ at: new Date(start).toISOString(), ...qualityOf(bucket) }));
    return { model, version, variant, ...qualityOf(rows), series };
  });
}

interface Group {
  readonly model: string;
  readonly version: number;
  readonly variant: string;
  readonly rows: LabeledPrediction[];
}

function groups(labeled: readonly LabeledPrediction[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const item of labeled) {
    const { model, version, variant } = item.prediction;
    const key = JSON.stringify([model, version, variant]);
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { model, version, variant, rows: [] }));
    group.rows.push(item);
  }
  return [...byKey.values()].sort(
    (a, b) => a.model.localeCompare(b.model) || a.version - b.version || a.variant.localeCompare(b.variant),
  );
}

function qualityOf(rows: readonly LabeledPrediction[]): Measures {
  const truth: string[] = [];
  const predicted: string[] = [];
  const probabilities: Array<Readonly<Record<string, number>> | undefined> = [];
  let absolute = 0;
  let squared = 0;
  let regressed = 0;
  for (const { prediction, feedback } of rows) {
    const { label, value } = prediction.output;
    if (label !== undefined && feedback.label !== null) {
      truth.push(feedback.label);
      predicted.push(String(label));
      probabilities.push(prediction.output.probabilities as Record<string, number> | undefined);
    } else if (typeof value === 'number' && feedback.value !== null) {
      regressed++;
      const error = value - feedback.value;
      absolute += Math.abs(error);
      squared += error * error;
    }
  }
  if (truth.length > 0) return classification(truth, predicted, probabilities);
  if (regressed > 0) return { labeled: regressed, mae: absolute / regressed, rmse: Math.sqrt(squared / regressed) };
  return { labeled: 0 };
}

/**
 * Classification measures. The classes are those the model's probabilities name (in the
 * model's order), else those seen; a binary model's positive class is its second class, as in
 * scikit-learn (`classes_[1]`), so for churn it is "Yes".
 */
function classification(
  truth: readonly string[],
  predicted: readonly string[],
  probabilities: ReadonlyArray<Readonly<Record<string, number>> | undefined>,
): Measures {
  const modelClasses = probabilities.find((p) => p !== undefined);
  const classes = modelClasses ? Object.keys(modelClasses) : [...new Set([...truth, ...predicted])].sort();
  const binary = classes.length === 2;
  const positiveClass = binary ? classes[1] : undefined;
  const options = binary ? { posLabel: positiveClass } : { average: 'macro' as const };
  const measures: Measures = {
    labeled: truth.length,
    accuracy: accuracy(truth, predicted),
    precision: precision(truth, predicted, options),
    recall: recall(truth, predicted, options),
    f1: f1(truth, predicted, options),
    ...(positiveClass !== undefined ? { positiveClass } : {}),
  };
  const bothClasses = binary && new Set(truth).size === 2;
  const scored = probabilities.every((p) => p !== undefined && typeof p[classes[1]] === 'number');
  if (bothClasses && scored && truth.every((t) => classes.includes(t))) {
    const scores = Float64Array.from(probabilities, (p) => p![classes[1]]);
    return { ...measures, rocAuc: rocAuc(truth, scores, { classes, posLabel: classes[1] }) };
  }
  return measures;
}
