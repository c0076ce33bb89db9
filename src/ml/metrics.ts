import { KeelError, type DenseMatrix } from '../core/index.js';
import { checkTarget, codesOf, compareLabels, encodeLabels, show, type ClassLabel } from './labels.js';
import { argsortFloat64 } from './sort.js';

/**
 * Evaluation metrics with scikit-learn's definitions and edge cases (zero divisions give 0,
 * ROC AUC ties count one half, log loss clips at machine epsilon), so numbers reported by
 * Keel can be compared with numbers from a notebook.
 */

export type Labels = ArrayLike<ClassLabel>;

/**
 * How per-class scores combine: `binary` reports the positive class only; `macro` is the
 * unweighted mean over classes, `weighted` the mean weighted by support, `micro` counts
 * every decision once (equal to accuracy for single-label problems).
 */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

export interface ClassMetricOptions {
  /** Default `binary`. */
  readonly average?: Average;
  /** The class scored when average is `binary`. Default 1, as in scikit-learn. */
  readonly posLabel?: ClassLabel;
}

export interface ConfusionMatrix {
  readonly labels: ClassLabel[];
  /** matrix[i][j]: samples of true class labels[i] predicted as labels[j]. */
  readonly matrix: number[][];
}

interface PairedLabels {
  readonly labels: ClassLabel[];
  readonly truth: Int32Array;
  readonly predicted: Int32Array;
}

/** Codes of yTrue and yPred over the sorted union of their labels. */
function pairLabels(yTrue: Labels, yPred: Labels, extra: readonly ClassLabel[] = []): PairedLabels {
  const truth = encodeLabels(yTrue, { field: 'yTrue' });
  const predicted = encodeLabels(yPred, { field: 'yPred', expectedLength: truth.codes.length, against: 'yTrue' });
  if (typeof truth.classes[0] !== typeof predicted.classes[0]) {
    throw new KeelError(
      'invalid_argument',
      `yTrue has ${typeof truth.classes[0]} labels but yPred has ${typeof predicted.classes[0]} labels; they must be the same type`,
      { field: 'yPred' },
    );
  }
  const labels = [...new Set([...truth.classes, ...predicted.classes, ...extra])].sort(compareLabels);
  const index = new Map(labels.map((label, i) => [label, i]));
  const remap = (codes: Int32Array, classes: ClassLabel[]): Int32Array => {
    const toUnion = Int32Array.from(classes, (label) => index.get(label) ?? 0);
    return codes.map((code) => toUnion[code]);
  };
  return { labels, truth: remap(truth.codes, truth.classes), predicted: remap(predicted.codes, predicted.classes) };
}

function countMatrix({ labels, truth, predicted }: PairedLabels): Float64Array {
  const k = labels.length;
  const counts = new Float64Array(k * k);
  for (let i = 0; i < truth.length; i++) counts[truth[i] * k + predicted[i]]++;
  return counts;
}

/** Share of exact matches. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  return accuracyOf(pairLabels(yTrue, yPred));
}

function accuracyOf({ truth, predicted }: PairedLabels): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return correct / truth.length;
}

/** Rows are true labels, columns predicted labels, both in `labels` order (default: the sorted union). */
export function confusionMatrix(
  yTrue: Labels,
  yPred: Labels,
  options: { readonly labels?: readonly ClassLabel[] } = {},
): ConfusionMatrix {
  return confusionOf(pairLabels(yTrue, yPred), options.labels);
}

function confusionOf(paired: PairedLabels, only: readonly ClassLabel[] | undefined): ConfusionMatrix {
  const counts = countMatrix(paired);
  const k = paired.labels.length;
  const labels = only ? [...only] : paired.labels;
  const position = labels.map((label) => paired.labels.indexOf(label));
  // Labels absent from both arrays get an all-zero row and column; samples with labels outside `labels` are left out, as in scikit-learn.
  const matrix = position.map((row) => position.map((col) => (row < 0 || col < 0 ? 0 : counts[row * k + col])));
  return { labels, matrix };
}

type ScoreKind = 'precision' | 'recall' | 'f1';

/** Precision, recall or F1 from a confusion count matrix, averaged as asked. */
function classScore(kind: ScoreKind, paired: PairedLabels, counts: Float64Array, options: ClassMetricOptions): number {
  const average = options.average ?? 'binary';
  const posLabel = options.posLabel ?? 1;
  const k = paired.labels.length;
  const tp = new Float64Array(k);
  const predictedTotals = new Float64Array(k);
  const actualTotals = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      actualTotals[t] += counts[t * k + p];
      predictedTotals[p] += counts[t * k + p];
    }
    tp[t] = counts[t * k + t];
  }
  const score = (truePositives: number, predicted: number, actual: number): number => {
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = actual === 0 ? 0 : truePositives / actual;
    if (kind === 'precision') return precision;
    if (kind === 'recall') return recall;
    return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  };

  if (average === 'binary') {
    if (k > 2) {
      throw new KeelError(
        'invalid_argument',
        `the labels have ${k} classes (${paired.labels.map(show).join(', ')}); average "binary" needs two: pass average "macro", "micro" or "weighted"`,
        { field: 'average' },
      );
    }
    const c = paired.labels.indexOf(posLabel);
    if (c < 0) {
      // A positive class that never occurs scores 0 (scikit-learn), unless the labels show it is a mistake.
      if (k === 1) return 0;
      throw new KeelError(
        'invalid_argument',
        `posLabel ${show(posLabel)} is not one of the labels (${paired.labels.map(show).join(', ')})`,
        { field: 'posLabel' },
      );
    }
    return score(tp[c], predictedTotals[c], actualTotals[c]);
  }
  if (average === 'micro') {
    let sumTp = 0;
    let sumPredicted = 0;
    let sumActual = 0;
    for (let c = 0; c < k; c++) {
      sumTp += tp[c];
      sumPredicted += predictedTotals[c];
      sumActual += actualTotals[c];
    }
    return score(sumTp, sumPredicted, sumActual);
  }
  let total = 0;
  let weights = 0;
  for (let c = 0; c < k; c++) {
    const weight = average === 'weighted' ? actualTotals[c] : 1;
    total += weight * score(tp[c], predictedTotals[c], actualTotals[c]);
    weights += weight;
  }
  return weights === 0 ? 0 : total / weights;
}

function classScoreOf(kind: ScoreKind, yTrue: Labels, yPred: Labels, options: ClassMetricOptions): number {
  const paired = pairLabels(yTrue, yPred);
  return classScore(kind, paired, countMatrix(paired), options);
}

/** Of the samples predicted positive, the share that are. */
export function precision(yTrue: Labels, yPred: Labels, options: ClassMetricOptions = {}): number {
  return classScoreOf('precision', yTrue, yPred, options);
}

/** Of the positive samples, the share predicted positive. */
export function recall(yTrue: Labels, yPred: Labels, options: ClassMetricOptions = {}): number {
  return classScoreOf('recall', yTrue, yPred, options);
}

/** Harmonic mean of precision and recall. */
export function f1(yTrue: Labels, yPred: Labels, options: ClassMetricOptions = {}): number {
  return classScoreOf('f1', yTrue, yPred, options);
}

// ---------------------------------------------------------------------------------------------
// Scores and probabilities

export interface ScoreOptions {
  /**
   * Labels of the score matrix's columns (an estimator's `classes`). Default: the sorted
   * labels of yTrue.
   */
  readonly classes?: readonly ClassLabel[];
  /**
   * The positive class for binary problems: whose score a 1-D array holds, or which column to
   * use. Default: the larger label, as scikit-learn.
   */
  readonly posLabel?: ClassLabel;
}

function isMatrix(x: unknown): x is DenseMatrix {
  return typeof x === 'object' && x !== null && 'data' in x && 'cols' in x && 'rows' in x;
}

function checkScoreMatrix(m: DenseMatrix, n: number, k: number, field: string): void {
  if (m.rows !== n || m.cols !== k || m.data.length !== n * k) {
    throw new KeelError(
      'invalid_argument',
      `${field} is ${m.rows} × ${m.cols} but must be ${n} × ${k} (one row per sample, one column per class)`,
      { field },
    );
  }
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      throw new KeelError('invalid_argument', `${field} has a non-finite value at row ${Math.floor(i / k)}`, {
        field,
        row: Math.floor(i / k),
      });
    }
  }
}

function column(m: DenseMatrix, c: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + c];
  return out;
}

interface BinaryTarget {
  /** 1 where the sample is of the positive class. */
  readonly positive: Uint8Array;
  /** The positive class's score per sample. */
  readonly values: Float64Array;
}

/**
 * A binary problem's positive-class indicator and scores, from `scores` as one value per
 * sample or a matrix with a column per class. The positive class defaults to the larger label.
 */
function binaryTarget(yTrue: Labels, scores: ArrayLike<number> | DenseMatrix, options: ScoreOptions): BinaryTarget {
  const truth = encodeLabels(yTrue, { field: 'yTrue' });
  const n = truth.codes.length;
  const classes = options.classes ? [...options.classes] : truth.classes;
  const codes = codesOf(yTrue, classes, { field: 'yTrue' });
  if (truth.classes.length > 2) {
    throw new KeelError(
      'invalid_argument',
      `yTrue has ${truth.classes.length} classes: pass scores as a matrix with one column per class`,
      { field: 'scores' },
    );
  }
  const posLabel = options.posLabel ?? classes[classes.length - 1];
  const positiveCode = classes.indexOf(posLabel);
  if (positiveCode < 0) {
    throw new KeelError('invalid_argument', `posLabel ${show(posLabel)} is not one of the classes`, {
      field: 'posLabel',
    });
  }
  let values: Float64Array;
  if (isMatrix(scores)) {
    checkScoreMatrix(scores, n, classes.length, 'scores');
    values = column(scores, positiveCode);
  } else {
    values = checkTarget(scores, { field: 'scores', expectedLength: n, against: 'yTrue' });
  }
  const positive = Uint8Array.from(codes, (code) => (code === positiveCode ? 1 : 0));
  return { positive, values };
}

/** Area under the ROC curve of `scores` for `positive[i] === 1`; ties count one half. */
function binaryAuc(positive: Uint8Array, scores: Float64Array): number {
  const order = argsortFloat64(scores);
  let negativesBelow = 0;
  let area = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    const value = scores[order[i]];
    let tiedPositives = 0;
    let tiedNegatives = 0;
    for (; i < order.length && scores[order[i]] === value; i++) {
      if (positive[order[i]] === 1) tiedPositives++;
      else tiedNegatives++;
    }
    area += tiedPositives * (negativesBelow + 0.5 * tiedNegatives);
    negativesBelow += tiedNegatives;
    positives += tiedPositives;
  }
  return area / (positives * negativesBelow);
}

function oneClassError(what: string, label: ClassLabel): KeelError {
  return new KeelError(
    'invalid_argument',
    `${what} is undefined when yTrue has only one class (${show(label)}) in it`,
    { field: 'yTrue' },
  );
}

/**
 * ROC AUC. Binary: `scores` is the positive class's score per sample (or a matrix with a
 * column per class). Multiclass: a matrix with a column per class, averaged one-vs-rest
 * with equal weights (scikit-learn's `multi_class="ovr", average="macro"`).
 */
export function rocAuc(yTrue: Labels, scores: ArrayLike<number> | DenseMatrix, options: ScoreOptions = {}): number {
  const truth = encodeLabels(yTrue, { field: 'yTrue' });
  const n = truth.codes.length;
  const classes = options.classes ? [...options.classes] : truth.classes;
  const codes = codesOf(yTrue, classes, { field: 'yTrue' });

  if (!isMatrix(scores) || classes.length === 2) {
    if (truth.classes.length < 2) throw oneClassError('ROC AUC', truth.classes[0]);
    const { positive, values } = binaryTarget(yTrue, scores, options);
    return binaryAuc(positive, values);
  }

  checkScoreMatrix(scores, n, classes.length, 'scores');
  const support = new Float64Array(classes.length);
  for (const code of codes) support[code]++;
  const missing = classes.findIndex((_, c) => support[c] === 0);
  if (missing >= 0) {
    throw new KeelError(
      'invalid_argument',
      `one-vs-rest ROC AUC is undefined: class ${show(classes[missing])} never occurs in yTrue`,
      { field: 'yTrue' },
    );
  }
  let sum = 0;
  const positive = new Uint8Array(n);
  for (let c = 0; c < classes.length; c++) {
    for (let i = 0; i < n; i++) positive[i] = codes[i] === c ? 1 : 0;
    sum += binaryAuc(positive, column(scores, c));
  }
  return sum / classes.length;
}

/**
 * Mean negative log-likelihood of the true labels. `proba` is a matrix with a column per
 * class (an estimator's predictProba), or for binary problems the positive class's
 * probability per sample. Probabilities are clipped to [ε, 1 − ε] and rows renormalised, as
 * scikit-learn does, so a confident mistake costs about 36, not infinity.
 */
export function logLoss(yTrue: Labels, proba: ArrayLike<number> | DenseMatrix, options: ScoreOptions = {}): number {
  const truth = encodeLabels(yTrue, { field: 'yTrue' });
  const n = truth.codes.length;
  const classes = options.classes ? [...options.classes] : truth.classes;
  const codes = codesOf(yTrue, classes, { field: 'yTrue' });
  const eps = Number.EPSILON;
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps);

  let total = 0;
  if (isMatrix(proba)) {
    const k = classes.length;
    checkScoreMatrix(proba, n, k, 'proba');
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (let c = 0; c < k; c++) rowSum += clip(proba.data[i * k + c]);
      total -= Math.log(clip(proba.data[i * k + codes[i]]) / rowSum);
    }
  } else {
    if (classes.length !== 2) {
      throw new KeelError(
        'invalid_argument',
        `a 1-D proba is for two classes, but there are ${classes.length}: pass a matrix with one column per class`,
        { field: 'proba' },
      );
    }
    const positive = classes.indexOf(options.posLabel ?? classes[1]);
    if (positive < 0) {
      throw new KeelError('invalid_argument', `posLabel ${show(options.posLabel)} is not one of the classes`, {
        field: 'posLabel',
      });
    }
    const values = checkTarget(proba, { field: 'proba', expectedLength: n, against: 'yTrue' });
    for (let i = 0; i < n; i++) {
      const p = clip(values[i]);
      const q = clip(1 - values[i]);
      total -= Math.log((codes[i] === positive ? p : q) / (p + q));
    }
  }
  return total / n;
}

// ---------------------------------------------------------------------------------------------
// Curves

/** True and false positives above each distinct score, from the highest (scikit-learn's `_binary_clf_curve`). */
interface ThresholdCounts {
  readonly fps: Float64Array;
  readonly tps: Float64Array;
  /** Distinct scores, descending. */
  readonly thresholds: Float64Array;
}

function thresholdCounts({ positive, values }: BinaryTarget): ThresholdCounts {
  const order = argsortFloat64(values);
  const n = order.length;
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let i = n - 1; i >= 0; i--) {
    tp += positive[order[i]];
    const value = values[order[i]];
    if (i === 0 || values[order[i - 1]] !== value) {
      tps.push(tp);
      fps.push(n - i - tp);
      thresholds.push(value);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

export interface PrecisionRecallCurve {
  /** Precision at each threshold, then 1 (for recall 0). */
  readonly precision: Float64Array;
  /** Recall at each threshold (decreasing), then 0. */
  readonly recall: Float64Array;
  /** The distinct scores, ascending; one fewer than precision and recall. */
  readonly thresholds: Float64Array;
}

function noPositivesError(what: string): KeelError {
  return new KeelError('invalid_argument', `${what} is undefined when yTrue has no sample of the positive class`, {
    field: 'yTrue',
  });
}

function prCurveOf(target: BinaryTarget): PrecisionRecallCurve {
  const { fps, tps, thresholds } = thresholdCounts(target);
  const m = tps.length;
  const totalPositives = tps[m - 1];
  if (totalPositives === 0) throw noPositivesError('the precision-recall curve');
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const ascending = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const j = m - 1 - i; // reversed, so recall decreases as in scikit-learn
    const predicted = tps[j] + fps[j];
    precision[i] = predicted === 0 ? 0 : tps[j] / predicted;
    recall[i] = tps[j] / totalPositives;
    ascending[i] = thresholds[j];
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: ascending };
}

/**
 * Precision and recall at every distinct score of a binary problem (scikit-learn's
 * `precision_recall_curve`). `scores` is the positive class's score per sample, or a matrix
 * with a column per class.
 */
export function precisionRecallCurve(
  yTrue: Labels,
  scores: ArrayLike<number> | DenseMatrix,
  options: ScoreOptions = {},
): PrecisionRecallCurve {
  return prCurveOf(binaryTarget(yTrue, scores, options));
}

/** Σ (recallₙ − recallₙ₊₁) · precisionₙ: the step-wise area, without interpolation. */
function binaryAveragePrecision(target: BinaryTarget): number {
  const { precision, recall } = prCurveOf(target);
  let sum = 0;
  for (let i = 0; i + 1 < recall.length; i++) sum += (recall[i + 1] - recall[i]) * precision[i];
  return -sum;
}

/**
 * Area under the precision-recall curve as scikit-learn's `average_precision_score`: the
 * mean of precisions at each threshold weighted by the recall gained there. Binary: scores
 * of the positive class (or a matrix with a column per class). Multiclass: a matrix with a
 * column per class, averaged one-vs-rest with equal weights (`average="macro"`).
 */
export function averagePrecision(
  yTrue: Labels,
  scores: ArrayLike<number> | DenseMatrix,
  options: ScoreOptions = {},
): number {
  const classes = options.classes ? [...options.classes] : encodeLabels(yTrue, { field: 'yTrue' }).classes;
  if (!isMatrix(scores) || classes.length <= 2) return binaryAveragePrecision(binaryTarget(yTrue, scores, options));
  const codes = codesOf(yTrue, classes, { field: 'yTrue' });
  const n = codes.length;
  checkScoreMatrix(scores, n, classes.length, 'scores');
  let sum = 0;
  const positive = new Uint8Array(n);
  for (let c = 0; c < classes.length; c++) {
    for (let i = 0; i < n; i++) positive[i] = codes[i] === c ? 1 : 0;
    if (!positive.includes(1)) {
      throw new KeelError(
        'invalid_argument',
        `one-vs-rest average precision is undefined: class ${show(classes[c])} never occurs in yTrue`,
        { field: 'yTrue' },
      );
    }
    sum += binaryAveragePrecision({ positive, values: column(scores, c) });
  }
  return sum / classes.length;
}

export interface RocCurve {
  /** False positive rate at each threshold, from 0. */
  readonly fpr: Float64Array;
  /** True positive rate at each threshold, from 0. */
  readonly tpr: Float64Array;
  /**
   * Decreasing thresholds; the first is the highest score + 1, the point where nothing is
   * predicted positive (scikit-learn 1.2; later versions write +∞, which JSON cannot hold).
   */
  readonly thresholds: Float64Array;
}

export interface RocCurveOptions extends ScoreOptions {
  /**
   * Leave out thresholds that lie on a straight segment between their neighbours; they do not
   * change the curve's shape or area. Default true, as scikit-learn.
   */
  readonly dropIntermediate?: boolean;
}

/** The ROC curve of a binary problem (scikit-learn's `roc_curve`). */
export function rocCurve(
  yTrue: Labels,
  scores: ArrayLike<number> | DenseMatrix,
  options: RocCurveOptions = {},
): RocCurve {
  const target = binaryTarget(yTrue, scores, options);
  const { fps, tps, thresholds } = thresholdCounts(target);
  const m = tps.length;
  if (tps[m - 1] === 0 || fps[m - 1] === 0) {
    const present = encodeLabels(yTrue, { field: 'yTrue' }).classes;
    throw oneClassError('the ROC curve', present[0]);
  }
  let keep = Array.from({ length: m }, (_, i) => i);
  if ((options.dropIntermediate ?? true) && m > 2) {
    const bends = (x: Float64Array, i: number): boolean => x[i + 1] - x[i] !== x[i] - x[i - 1];
    keep = keep.filter((i) => i === 0 || i === m - 1 || bends(fps, i) || bends(tps, i));
  }
  const size = keep.length + 1;
  const fpr = new Float64Array(size);
  const tpr = new Float64Array(size);
  const cut = new Float64Array(size);
  cut[0] = thresholds[keep[0]] + 1;
  keep.forEach((i, k) => {
    fpr[k + 1] = fps[i] / fps[m - 1];
    tpr[k + 1] = tps[i] / tps[m - 1];
    cut[k + 1] = thresholds[i];
  });
  return { fpr, tpr, thresholds: cut };
}

export interface CalibrationCurveOptions extends ScoreOptions {
  /** Number of bins. Default 5, as scikit-learn. */
  readonly nBins?: number;
  /** `uniform`: equal-width bins over [0, 1]; `quantile`: bins holding equal numbers of samples. */
  readonly strategy?: 'uniform' | 'quantile';
}

export interface CalibrationCurve {
  /** Share of positives in each non-empty bin. */
  readonly probTrue: Float64Array;
  /** Mean predicted probability in each non-empty bin. */
  readonly probPred: Float64Array;
  /** Samples in each non-empty bin. */
  readonly counts: Float64Array;
}

/** numpy's `linspace(0, 1, n + 1)`, bit for bit: i·(1/n), with the last point exactly 1. */
function unitEdges(nBins: number): Float64Array {
  const step = 1 / nBins;
  const edges = new Float64Array(nBins + 1);
  for (let i = 0; i < nBins; i++) edges[i] = i * step;
  edges[nBins] = 1;
  return edges;
}

/** numpy's `percentile(sorted, q · 100)` with linear interpolation, bit for bit. */
function percentileOfSorted(sorted: Float64Array, q: number): number {
  const quantile = (q * 100) / 100;
  const virtual = (sorted.length - 1) * quantile;
  if (virtual >= sorted.length - 1) return sorted[sorted.length - 1];
  const below = Math.floor(virtual);
  const a = sorted[below];
  const b = sorted[below + 1];
  const gamma = virtual - below;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * Reliability diagram data of a binary classifier (scikit-learn's `calibration_curve`): the
 * predicted probabilities are binned, and each non-empty bin gives the observed share of
 * positives against the mean prediction. A calibrated model lies on the diagonal.
 */
export function calibrationCurve(
  yTrue: Labels,
  proba: ArrayLike<number> | DenseMatrix,
  options: CalibrationCurveOptions = {},
): CalibrationCurve {
  const nBins = options.nBins ?? 5;
  if (!Number.isSafeInteger(nBins) || nBins < 1) {
    throw new KeelError('invalid_argument', `nBins must be an integer ≥ 1, got ${show(nBins)}`, { field: 'nBins' });
  }
  const strategy = options.strategy ?? 'uniform';
  if (strategy !== 'uniform' && strategy !== 'quantile') {
    throw new KeelError('invalid_argument', `strategy must be "uniform" or "quantile", got ${show(strategy)}`, {
      field: 'strategy',
    });
  }
  const present = encodeLabels(yTrue, { field: 'yTrue' }).classes;
  if (present.length === 1 && options.posLabel === undefined && options.classes === undefined) {
    throw new KeelError(
      'invalid_argument',
      `yTrue has one class (${show(present[0])}): pass posLabel to say whether it is the positive one`,
      { field: 'posLabel' },
    );
  }
  const { positive, values } = binaryTarget(yTrue, proba, options);
  const outside = values.findIndex((p) => p < 0 || p > 1);
  if (outside >= 0) {
    throw new KeelError('invalid_argument', `proba has ${values[outside]} at row ${outside}, outside [0, 1]`, {
      field: 'proba',
      row: outside,
    });
  }
  let edges: Float64Array;
  if (strategy === 'uniform') {
    edges = unitEdges(nBins);
  } else {
    const sorted = Float64Array.from(values).sort();
    edges = unitEdges(nBins).map((q) => percentileOfSorted(sorted, q));
  }
  const sums = new Float64Array(nBins);
  const trues = new Float64Array(nBins);
  const totals = new Float64Array(nBins);
  for (let i = 0; i < values.length; i++) {
    // The number of inner edges below the value: numpy's searchsorted(edges[1:-1], p), side "left".
    let lo = 1;
    let hi = nBins;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < values[i]) lo = mid + 1;
      else hi = mid;
    }
    const bin = lo - 1;
    sums[bin] += values[i];
    trues[bin] += positive[i];
    totals[bin]++;
  }
  const probTrue: number[] = [];
  const probPred: number[] = [];
  const counts: number[] = [];
  for (let b = 0; b < nBins; b++) {
    if (totals[b] === 0) continue;
    probTrue.push(trues[b] / totals[b]);
    probPred.push(sums[b] / totals[b]);
    counts.push(totals[b]);
  }
  return {
    probTrue: Float64Array.from(probTrue),
    probPred: Float64Array.from(probPred),
    counts: Float64Array.from(counts),
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation report

export interface ClassificationReportInput {
  readonly yTrue: Labels;
  readonly yPred: Labels;
  /** predictProba output; roc_auc, pr_auc and log_loss are null without it. */
  readonly proba?: DenseMatrix;
  /** Column labels of `proba` (the estimator's `classes`); required with `proba`. */
  readonly classes?: readonly ClassLabel[];
  /** The positive class of a binary problem. Default: the larger label. */
  readonly posLabel?: ClassLabel;
}

/** Metric names are snake_case: they become run metrics and keel.yaml threshold keys. */
export interface ClassificationReport {
  readonly accuracy: number;
  /** Binary: of the positive class. Multiclass: macro averages. */
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Null without probabilities, or when undefined (a class missing from yTrue). */
  readonly roc_auc: number | null;
  /** Average precision (area under the precision-recall curve); binary: of the positive class, multiclass: macro. */
  readonly pr_auc: number | null;
  readonly log_loss: number | null;
  readonly confusion_matrix: ConfusionMatrix;
}

/** Everything the pipeline's evaluate step reports for a classifier, in one call. */
export function classificationReport(input: ClassificationReportInput): ClassificationReport {
  const { yTrue, yPred, proba } = input;
  if (proba && !input.classes) {
    throw new KeelError('invalid_argument', 'classes are required with proba: they name its columns', {
      field: 'classes',
    });
  }
  const paired = pairLabels(yTrue, yPred, input.classes ?? []);
  const counts = countMatrix(paired);
  const classes = input.classes ? [...input.classes] : paired.labels;
  const binary = classes.length === 2;
  const posLabel = input.posLabel ?? classes[classes.length - 1];
  const options: ClassMetricOptions = binary ? { average: 'binary', posLabel } : { average: 'macro' };

  let rocAucValue: number | null = null;
  let prAucValue: number | null = null;
  let logLossValue: number | null = null;
  if (proba) {
    logLossValue = logLoss(yTrue, proba, { classes });
    const present = new Set(codesOf(yTrue, classes, { field: 'yTrue' }));
    if (present.size === classes.length) {
      rocAucValue = rocAuc(yTrue, proba, { classes, posLabel });
      prAucValue = averagePrecision(yTrue, proba, { classes, posLabel });
    }
  }
  return {
    accuracy: accuracyOf(paired),
    precision: classScore('precision', paired, counts, options),
    recall: classScore('recall', paired, counts, options),
    f1: classScore('f1', paired, counts, options),
    roc_auc: rocAucValue,
    pr_auc: prAucValue,
    log_loss: logLossValue,
    confusion_matrix: confusionOf(paired, undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// Regression

function pairTargets(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): [Float64Array, Float64Array] {
  const truth = checkTarget(yTrue, { field: 'yTrue' });
  return [truth, checkTarget(yPred, { field: 'yPred', expectedLength: truth.length, against: 'yTrue' })];
}

/** Mean absolute error. */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const [truth, predicted] = pairTargets(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs(truth[i] - predicted[i]);
  return sum / truth.length;
}

/** Mean squared error. */
export function mse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const [truth, predicted] = pairTargets(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += (truth[i] - predicted[i]) ** 2;
  return sum / truth.length;
}

/** Root mean squared error. */
export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return Math.sqrt(mse(yTrue, yPred));
}

/** Coefficient of determination; 1 for a perfect fit, and 0 for any imperfect fit of a constant target (scikit-learn's convention). */
export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const [truth, predicted] = pairTargets(yTrue, yPred);
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i];
  mean /= truth.length;
  let residual = 0;
  let totalVariation = 0;
  for (let i = 0; i < truth.length; i++) {
    residual += (truth[i] - predicted[i]) ** 2;
    totalVariation += (truth[i] - mean) ** 2;
  }
  if (residual === 0) return 1;
  if (totalVariation === 0) return 0;
  return 1 - residual / totalVariation;
}

/** Mean absolute percentage error as a fraction (0.1 = 10%); |y| is floored at machine epsilon as in scikit-learn. */
export function mape(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const [truth, predicted] = pairTargets(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) {
    sum += Math.abs(truth[i] - predicted[i]) / Math.max(Math.abs(truth[i]), Number.EPSILON);
  }
  return sum / truth.length;
}
