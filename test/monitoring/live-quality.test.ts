import { describe, expect, it } from 'vitest';
import type { LabeledPrediction } from '../../src/core/index.js';
import { liveQuality, qualitySeries } from '../../src/monitoring/index.js';

function labeled(at: string, label: string, yes: number, truth: string, variant = 'primary'): LabeledPrediction {
  const id = `pred_${at}_${variant}`;
  return {
    prediction: {
      id,
      endpoint: 'churn',
      model: 'churn',
      version: 1,
      variant,
      inputs: {},
      output: { label, probabilities: { No: 1 - yes, Yes: yes } },
      latencyMs: 1,
      at,
    },
    feedback: { predictionId: id, endpoint: 'churn', label: truth, value: null, at },
  };
}

describe('live quality from feedback', () => {
  // Scores and truth: positives at 0.9, 0.8, 0.4; negatives at 0.7, 0.3, 0.2.
  const rows = [
    labeled('2026-12-01T10:00:10Z', 'Yes', 0.9, 'Yes'),
    labeled('2026-12-01T10:00:20Z', 'Yes', 0.8, 'Yes'),
    labeled('2026-12-01T10:00:30Z', 'Yes', 0.7, 'No'),
    labeled('2026-12-01T10:01:10Z', 'No', 0.4, 'Yes'),
    labeled('2026-12-01T10:01:20Z', 'No', 0.3, 'No'),
    labeled('2026-12-01T10:01:30Z', 'No', 0.2, 'No'),
  ];

  it('scores a binary classifier on its second class: accuracy, precision, recall, F1 and ROC AUC', () => {
    const [quality] = liveQuality(rows);
    expect(quality).toMatchObject({ model: 'churn', version: 1, variant: 'primary', labeled: 6, positiveClass: 'Yes' });
    expect(quality.accuracy).toBeCloseTo(4 / 6, 12);
    // Predicted Yes: 3, of which 2 are; actual Yes: 3, of which 2 were found.
    expect(quality.precision).toBeCloseTo(2 / 3, 12);
    expect(quality.recall).toBeCloseTo(2 / 3, 12);
    expect(quality.f1).toBeCloseTo(2 / 3, 12);
    // Of the 9 positive-negative pairs, the positive scores higher in 8 (0.4 < 0.7 is the one miss).
    expect(quality.rocAuc).toBeCloseTo(8 / 9, 12);
  });

  it('splits the same numbers into buckets by prediction time, leaving ROC AUC out where the labels hold one class', () => {
    const [quality] = qualitySeries(rows, 60_000);
    expect(quality.labeled).toBe(6);
    expect(quality.series.map((b) => [b.at, b.labeled, b.accuracy])).toEqual([
      ['2026-12-01T10:00:00.000Z', 3, 2 / 3],
      ['2026-12-01T10:01:00.000Z', 3, 2 / 3],
    ]);
    // Each bucket ranks its positives above its negatives.
    expect(quality.series.map((b) => b.rocAuc)).toEqual([1, 1]);
    // With one class only in the labels, ROC AUC is undefined and left out; the rest is reported.
    const [onlyNo] = qualitySeries([rows[2], rows[4]], 60_000);
    expect(onlyNo.rocAuc).toBeUndefined();
    expect(onlyNo.accuracy).toBe(0.5);
  });

  it('keeps variants apart and reports MAE and RMSE for a regressor', () => {
    const shadow = liveQuality([...rows, labeled('2026-12-01T10:00:10Z', 'No', 0.1, 'No', 'shadow')]);
    expect(shadow.map((q) => [q.variant, q.labeled])).toEqual([
      ['primary', 6],
      ['shadow', 1],
    ]);
    const regression = liveQuality(
      [3, 5].map((value, i) => ({
        prediction: { ...rows[i].prediction, output: { value } },
        feedback: { ...rows[i].feedback, label: null, value: 4 },
      })) as LabeledPrediction[],
    );
    expect(regression[0]).toMatchObject({ labeled: 2, mae: 1, rmse: 1 });
  });
});
