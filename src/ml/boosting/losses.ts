import { LOSS } from './kernels.js';

/**
 * The losses boosting minimises, as scikit-learn's HalfBinomialLoss, HalfMultinomialLoss and
 * HalfSquaredError: the starting raw prediction (fit_intercept_only), the mean loss that early
 * stopping scores, and raw predictions to probabilities. Gradients and hessians are computed
 * in kernels.ts, where worker threads can run them.
 */

export type LossKind = (typeof LOSS)[keyof typeof LOSS];

const EPSILON = 2 ** -52;

/**
 * The best constant raw prediction: log-odds of the positive rate (binary), centred log class
 * frequencies (multiclass, scikit-learn's symmetric multinomial logit), or the mean (squared error).
 */
export function baselinePrediction(loss: LossKind, target: Float64Array, trees: number): Float64Array {
  const n = target.length;
  if (loss === LOSS.SQUARED) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += target[i];
    return Float64Array.of(sum / n);
  }
  const classes = loss === LOSS.BINARY ? 2 : trees;
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) counts[target[i]]++;
  if (loss === LOSS.BINARY) {
    const eps = 10 * EPSILON;
    const p = Math.min(Math.max(counts[1] / n, eps), 1 - eps);
    return Float64Array.of(Math.log(p / (1 - p)));
  }
  const logs = Float64Array.from(counts, (c) => Math.log(Math.min(Math.max(c / n, EPSILON), 1 - EPSILON)));
  const meanLog = logs.reduce((a, b) => a + b, 0) / classes;
  return logs.map((v) => v - meanLog);
}

/** log(1 + e^z) without overflow. */
function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Mean loss of raw predictions `raw` (trees × n, tree-major) against `target`: what early
 * stopping watches (scikit-learn scores its negative).
 */
export function meanLoss(loss: LossKind, raw: Float64Array, target: Float64Array, trees: number): number {
  const n = target.length;
  let total = 0;
  if (loss === LOSS.SQUARED) {
    for (let i = 0; i < n; i++) total += 0.5 * (raw[i] - target[i]) ** 2;
  } else if (loss === LOSS.BINARY) {
    for (let i = 0; i < n; i++) total += log1pExp(raw[i]) - target[i] * raw[i];
  } else {
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < trees; k++) max = Math.max(max, raw[k * n + i]);
      let sum = 0;
      for (let k = 0; k < trees; k++) sum += Math.exp(raw[k * n + i] - max);
      total += max + Math.log(sum) - raw[target[i] * n + i];
    }
  }
  return total / n;
}

/** Class probabilities (rows × classes, row-major) from raw predictions (rows × trees, row-major). */
export function probabilities(raw: Float64Array, rows: number, trees: number): Float64Array {
  if (trees === 1) {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  const out = new Float64Array(rows * trees);
  for (let i = 0; i < rows; i++) {
    const o = i * trees;
    let max = -Infinity;
    for (let k = 0; k < trees; k++) max = Math.max(max, raw[o + k]);
    let sum = 0;
    for (let k = 0; k < trees; k++) sum += out[o + k] = Math.exp(raw[o + k] - max);
    for (let k = 0; k < trees; k++) out[o + k] /= sum;
  }
  return out;
}
