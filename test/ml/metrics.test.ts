import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averagePrecision,
  calibrationCurve,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  mae,
  mape,
  mse,
  precision,
  precisionRecallCurve,
  r2,
  recall,
  rmse,
  rocAuc,
  rocCurve,
} from '../../src/ml/index.js';
import { expectKeelError, fixture, toMatrix } from './helpers.js';

interface MetricsFixture {
  binary: {
    yTrue: number[];
    yPred: number[];
    scores: number[];
    accuracy: number;
    precision: number;
    recall: number;
    f1: number;
    rocAuc: number;
    logLoss: number;
    confusionMatrix: number[][];
    precisionNeg: number;
    recallNeg: number;
  };
  strings: {
    yTrue: string[];
    yPred: string[];
    scores: number[];
    precision: number;
    recall: number;
    f1: number;
    rocAuc: number;
  };
  multiclass: { yTrue: number[]; yPred: number[]; proba: number[][]; confusionMatrix: number[][] } & Record<
    string,
    number
  >;
  regression: { yTrue: number[]; yPred: number[]; mae: number; rmse: number; r2: number; mape: number };
}

const reference = fixture<MetricsFixture>('metrics.json');
const close = (actual: number, expected: number): void => expect(Math.abs(actual - expected)).toBeLessThan(1e-12);

describe('classification metrics match scikit-learn', () => {
  const { binary, strings, multiclass } = reference;

  it('binary: accuracy, precision, recall and f1 of the positive class (default 1)', () => {
    close(accuracy(binary.yTrue, binary.yPred), binary.accuracy);
    close(precision(binary.yTrue, binary.yPred), binary.precision);
    close(recall(binary.yTrue, binary.yPred), binary.recall);
    close(f1(binary.yTrue, binary.yPred), binary.f1);
    close(precision(binary.yTrue, binary.yPred, { posLabel: 0 }), binary.precisionNeg);
    close(recall(binary.yTrue, binary.yPred, { posLabel: 0 }), binary.recallNeg);
  });

  it('binary: ROC AUC with tied scores counts ties as one half, as scikit-learn', () => {
    expect(new Set(binary.scores).size).toBeLessThan(15); // the fixture really has ties
    close(rocAuc(binary.yTrue, binary.scores), binary.rocAuc);
    close(rocAuc(binary.yTrue, Float64Array.from(binary.scores)), binary.rocAuc);
  });

  it('binary: log loss from the positive class probability, clipped like scikit-learn', () => {
    // The scores include exact 0 and 1, which only clipping keeps finite.
    expect(binary.scores).toContain(0);
    close(logLoss(binary.yTrue, binary.scores), binary.logLoss);
    const asMatrix = toMatrix(binary.scores.map((p) => [1 - p, p]));
    close(logLoss(binary.yTrue, asMatrix, { classes: [0, 1] }), binary.logLoss);
  });

  it('binary: confusion matrix rows are true labels, columns predicted', () => {
    expect(confusionMatrix(binary.yTrue, binary.yPred)).toEqual({ labels: [0, 1], matrix: binary.confusionMatrix });
    const reversed = confusionMatrix(binary.yTrue, binary.yPred, { labels: [1, 0] });
    expect(reversed.matrix).toEqual([...binary.confusionMatrix].reverse().map((row) => [...row].reverse()));
  });

  it('string labels with a named positive class', () => {
    close(precision(strings.yTrue, strings.yPred, { posLabel: 'yes' }), strings.precision);
    close(recall(strings.yTrue, strings.yPred, { posLabel: 'yes' }), strings.recall);
    close(f1(strings.yTrue, strings.yPred, { posLabel: 'yes' }), strings.f1);
    // ROC AUC scores the larger label by default ("yes").
    close(rocAuc(strings.yTrue, strings.scores), strings.rocAuc);
    close(
      rocAuc(
        strings.yTrue,
        strings.scores.map((s) => 1 - s),
        { posLabel: 'no' },
      ),
      strings.rocAuc,
    );
  });

  it.each(['macro', 'micro', 'weighted'] as const)('multiclass: %s-averaged precision, recall and f1', (average) => {
    close(precision(multiclass.yTrue, multiclass.yPred, { average }), multiclass[`precision_${average}`]);
    close(recall(multiclass.yTrue, multiclass.yPred, { average }), multiclass[`recall_${average}`]);
    close(f1(multiclass.yTrue, multiclass.yPred, { average }), multiclass[`f1_${average}`]);
  });

  it('multiclass: accuracy, one-vs-rest macro ROC AUC, log loss and confusion matrix', () => {
    const proba = toMatrix(multiclass.proba);
    close(accuracy(multiclass.yTrue, multiclass.yPred), multiclass.accuracy);
    close(rocAuc(multiclass.yTrue, proba), multiclass.rocAucOvr);
    close(logLoss(multiclass.yTrue, proba), multiclass.logLoss);
    expect(confusionMatrix(multiclass.yTrue, multiclass.yPred).matrix).toEqual(multiclass.confusionMatrix);
  });
});

describe('classification metric edge cases', () => {
  it('a class never predicted has precision 0 rather than NaN', () => {
    expect(precision([0, 1, 1], [0, 0, 0])).toBe(0);
    expect(f1([0, 1, 1], [0, 0, 0])).toBe(0);
  });

  it('ROC AUC is 1 for a perfect ranking, 0.5 when every score ties, 0 when reversed', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
  });

  it('refuses undefined or ambiguous requests with the field to fix', async () => {
    await expectKeelError(
      () => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]),
      'invalid_argument',
      { field: 'yTrue' },
      /only one class/,
    );
    await expectKeelError(() => precision([0, 1, 2], [0, 1, 2]), 'invalid_argument', { field: 'average' }, /macro/);
    await expectKeelError(() => precision(['a', 'b'], ['a', 'b']), 'invalid_argument', { field: 'posLabel' });
    await expectKeelError(() => accuracy([0, 1], [0]), 'invalid_argument', { field: 'yPred', expected: 2, actual: 1 });
    await expectKeelError(() => accuracy([0, 1], ['0', '1']), 'invalid_argument', { field: 'yPred' }, /same type/);
    await expectKeelError(() => rocAuc([0, 1], [0.5, NaN]), 'invalid_argument', { field: 'scores', row: 1 });
    await expectKeelError(
      () =>
        logLoss(
          [0, 1, 2],
          toMatrix([
            [1, 0],
            [0, 1],
            [1, 0],
          ]),
        ),
      'invalid_argument',
      {
        field: 'proba',
      },
    );
    await expectKeelError(() => logLoss(['x'], toMatrix([[0.5, 0.5]]), { classes: ['a', 'b'] }), 'invalid_argument', {
      field: 'yTrue',
      row: 0,
    });
  });
});

describe('classificationReport', () => {
  it('reports a binary problem for its positive class', () => {
    const { binary } = reference;
    const proba = toMatrix(binary.scores.map((p) => [1 - p, p]));
    const report = classificationReport({
      yTrue: binary.yTrue,
      yPred: binary.yPred,
      proba,
      classes: [0, 1],
      posLabel: 1,
    });
    close(report.accuracy, binary.accuracy);
    close(report.precision, binary.precision);
    close(report.recall, binary.recall);
    close(report.f1, binary.f1);
    close(report.roc_auc!, binary.rocAuc);
    close(report.log_loss!, binary.logLoss);
    expect(report.confusion_matrix).toEqual({ labels: [0, 1], matrix: binary.confusionMatrix });
  });

  it('defaults the positive class to the larger label and works with string labels', () => {
    const { strings } = reference;
    const proba = toMatrix(strings.scores.map((p) => [1 - p, p]));
    const report = classificationReport({ yTrue: strings.yTrue, yPred: strings.yPred, proba, classes: ['no', 'yes'] });
    close(report.precision, strings.precision);
    close(report.roc_auc!, strings.rocAuc);
    expect(report.confusion_matrix.labels).toEqual(['no', 'yes']);
  });

  it('macro-averages a multiclass problem', () => {
    const { multiclass } = reference;
    const report = classificationReport({
      yTrue: multiclass.yTrue,
      yPred: multiclass.yPred,
      proba: toMatrix(multiclass.proba),
      classes: [0, 1, 2],
    });
    close(report.precision, multiclass.precision_macro);
    close(report.recall, multiclass.recall_macro);
    close(report.f1, multiclass.f1_macro);
    close(report.roc_auc!, multiclass.rocAucOvr);
    close(report.log_loss!, multiclass.logLoss);
  });

  it('gives null for probability metrics without probabilities or when yTrue has one class', () => {
    expect(classificationReport({ yTrue: [0, 1], yPred: [0, 0] })).toMatchObject({ roc_auc: null, log_loss: null });
    const oneClass = classificationReport({
      yTrue: [1, 1],
      yPred: [1, 0],
      proba: toMatrix([
        [0.2, 0.8],
        [0.6, 0.4],
      ]),
      classes: [0, 1],
    });
    expect(oneClass.roc_auc).toBeNull();
    expect(oneClass.log_loss).toBeCloseTo((-Math.log(0.8) - Math.log(0.4)) / 2, 12);
  });

  it('needs the classes that name the probability columns', async () => {
    await expectKeelError(
      () =>
        classificationReport({
          yTrue: [0, 1],
          yPred: [0, 1],
          proba: toMatrix([
            [1, 0],
            [0, 1],
          ]),
        }),
      'invalid_argument',
      { field: 'classes' },
    );
  });
});

describe('regression metrics match scikit-learn', () => {
  const { regression } = reference;

  it('MAE, RMSE, R² and MAPE', () => {
    close(mae(regression.yTrue, regression.yPred), regression.mae);
    close(rmse(regression.yTrue, regression.yPred), regression.rmse);
    close(r2(regression.yTrue, regression.yPred), regression.r2);
    close(mape(regression.yTrue, regression.yPred), regression.mape);
  });

  it('R² of a constant target is 1 when predicted exactly and 0 otherwise', () => {
    expect(r2([2, 2, 2], [2, 2, 2])).toBe(1);
    expect(r2([2, 2, 2], [2, 2, 3])).toBe(0);
  });

  it('rejects non-numeric or misaligned values', async () => {
    await expectKeelError(() => mae([1, 2], [1]), 'invalid_argument', { field: 'yPred' });
    await expectKeelError(() => rmse([1, NaN], [1, 2]), 'invalid_argument', { field: 'yTrue', row: 1 });
  });
});

interface CurveFixture {
  binary: {
    yTrue: number[];
    cases: {
      name: string;
      scores: number[];
      roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
      rocAll: { fpr: number[]; tpr: number[]; thresholds: number[] };
      pr: { precision: number[]; recall: number[]; thresholds: number[] };
      averagePrecision: number;
      calibration: { strategy: 'uniform' | 'quantile'; nBins: number; probTrue: number[]; probPred: number[] }[];
    }[];
  };
  strings: { yTrue: string[]; scores: number[]; averagePrecisionNo: number; averagePrecisionYes: number };
  multiclass: { yTrue: number[]; proba: number[][]; averagePrecisionMacro: number };
}

const curves = fixture<CurveFixture>('metric-curves.json');

function closeArrays(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i]);
}

describe('curves match scikit-learn', () => {
  const { yTrue } = curves.binary;

  describe.each(curves.binary.cases)('$name scores', (expected) => {
    it('ROC curve, with and without intermediate thresholds', () => {
      const roc = rocCurve(yTrue, expected.scores);
      closeArrays(roc.fpr, expected.roc.fpr);
      closeArrays(roc.tpr, expected.roc.tpr);
      closeArrays(roc.thresholds, expected.roc.thresholds);
      const all = rocCurve(yTrue, expected.scores, { dropIntermediate: false });
      closeArrays(all.fpr, expected.rocAll.fpr);
      closeArrays(all.tpr, expected.rocAll.tpr);
      closeArrays(all.thresholds, expected.rocAll.thresholds);
    });

    it('precision-recall curve and average precision', () => {
      const pr = precisionRecallCurve(yTrue, expected.scores);
      closeArrays(pr.precision, expected.pr.precision);
      closeArrays(pr.recall, expected.pr.recall);
      closeArrays(pr.thresholds, expected.pr.thresholds);
      close(averagePrecision(yTrue, expected.scores), expected.averagePrecision);
      const proba = toMatrix(expected.scores.map((p) => [1 - p, p]));
      close(averagePrecision(yTrue, proba, { classes: [0, 1] }), expected.averagePrecision);
    });

    it.each(expected.calibration)(
      'calibration curve, $strategy, $nBins bins',
      ({ strategy, nBins, probTrue, probPred }) => {
        const curve = calibrationCurve(yTrue, expected.scores, { strategy, nBins });
        closeArrays(curve.probTrue, probTrue);
        closeArrays(curve.probPred, probPred);
      },
    );
  });

  it('average precision of a named positive class, string labels', () => {
    const { strings } = curves;
    close(averagePrecision(strings.yTrue, strings.scores), strings.averagePrecisionYes);
    close(
      averagePrecision(
        strings.yTrue,
        strings.scores.map((s) => 1 - s),
        { posLabel: 'no' },
      ),
      strings.averagePrecisionNo,
    );
  });

  it('multiclass average precision is the one-vs-rest macro average', () => {
    const { multiclass } = curves;
    close(averagePrecision(multiclass.yTrue, toMatrix(multiclass.proba)), multiclass.averagePrecisionMacro);
  });

  it('classificationReport adds pr_auc when probabilities are given', () => {
    const scores = curves.binary.cases[0].scores;
    const report = classificationReport({
      yTrue,
      yPred: scores.map((s) => (s >= 0.5 ? 1 : 0)),
      proba: toMatrix(scores.map((p) => [1 - p, p])),
      classes: [0, 1],
    });
    close(report.pr_auc!, curves.binary.cases[0].averagePrecision);
    const { multiclass } = curves;
    const multi = classificationReport({
      yTrue: multiclass.yTrue,
      yPred: multiclass.yTrue,
      proba: toMatrix(multiclass.proba),
      classes: [0, 1, 2, 3],
    });
    close(multi.pr_auc!, multiclass.averagePrecisionMacro);
    expect(classificationReport({ yTrue: [0, 1], yPred: [0, 1] }).pr_auc).toBeNull();
  });
});

describe('curve edge cases', () => {
  it('a perfect ranking has average precision 1 and a ROC curve through (0, 1)', () => {
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    const roc = rocCurve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]);
    expect(Array.from(roc.fpr)).toEqual([0, 0, 0, 1]);
    expect(Array.from(roc.tpr)).toEqual([0, 0.5, 1, 1]);
  });

  it('refuses undefined curves and bad options with the field to fix', async () => {
    await expectKeelError(() => rocCurve([1, 1], [0.2, 0.4]), 'invalid_argument', { field: 'yTrue' });
    await expectKeelError(() => precisionRecallCurve([0, 0], [0.2, 0.4], { classes: [0, 1] }), 'invalid_argument', {
      field: 'yTrue',
    });
    await expectKeelError(() => calibrationCurve([0, 1], [0.2, 1.4]), 'invalid_argument', { field: 'proba', row: 1 });
    await expectKeelError(() => calibrationCurve([0, 1], [0.2, 0.4], { nBins: 0 }), 'invalid_argument', {
      field: 'nBins',
    });
    await expectKeelError(() => calibrationCurve([1, 1], [0.2, 0.4]), 'invalid_argument', { field: 'posLabel' });
    await expectKeelError(
      () =>
        averagePrecision(
          [0, 1, 1],
          toMatrix([
            [0.2, 0.3, 0.5],
            [0.1, 0.8, 0.1],
            [0.3, 0.3, 0.4],
          ]),
          { classes: [0, 1, 2] },
        ),
      'invalid_argument',
      { field: 'yTrue' },
      /class 2 never occurs/,
    );
  });

  it('mse is the square of rmse', () => {
    expect(mse([1, 2, 3], [1, 2, 5])).toBeCloseTo(4 / 3, 15);
    expect(rmse([1, 2, 3], [1, 2, 5]) ** 2).toBeCloseTo(mse([1, 2, 3], [1, 2, 5]), 15);
  });
});
