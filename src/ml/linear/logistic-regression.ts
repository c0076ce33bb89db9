import { KeelError } from '../../core/index.js';
import { Classifier, type ClassifierState, type EstimatorTags, type Float64Matrix } from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { encodeLabels, show, type TargetInput } from '../labels.js';
import { float64Data, type MatrixInput } from '../matrix.js';
import { minimizeLbfgs } from '../optimize/lbfgs.js';
import { param, type ParamSpecs } from '../params.js';

export type LogisticRegressionParams = {
  /** Inverse regularisation strength: the loss is C·Σ log loss + ½‖w‖² (intercept unpenalised). */
  C: number;
  /** L-BFGS iterations at most. */
  maxIter: number;
  /** Stop when every component of the gradient of the mean loss (in standardised coordinates) is ≤ tol. */
  tol: number;
  fitIntercept: boolean;
};

const specs: ParamSpecs<LogisticRegressionParams> = {
  C: param.number(1, { above: 0 }),
  maxIter: param.integer(100, { min: 1 }),
  tol: param.number(1e-4, { min: 0 }),
  fitIntercept: param.boolean(true),
};

interface LogisticRegressionState extends ClassifierState {
  /** Row-major, one row per output: 1 for binary (the second class's log-odds), K for multinomial. */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  readonly nIter: number;
  readonly converged: boolean;
}

/**
 * L2-regularised logistic regression, binary or multinomial, fitted by L-BFGS to the same
 * optimum as scikit-learn's `LogisticRegression(solver="lbfgs")`.
 */
export class LogisticRegression extends Classifier<LogisticRegressionParams, LogisticRegressionState> {
  static readonly algorithm = 'logistic_regression';
  static readonly tags: EstimatorTags = {
    classifier: true,
    regressor: false,
    multiclass: true,
    handlesMissing: false,
    randomized: false,
    featureImportances: false,
  };

  constructor(params: Partial<LogisticRegressionParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: matrix.rows });
    if (classes.length < 2) {
      throw new KeelError(
        'invalid_argument',
        `y has only one class (${show(classes[0])}); LogisticRegression needs at least two`,
        { field: 'y' },
      );
    }
    const fit = fitLogistic(float64Data(matrix), matrix.rows, matrix.cols, codes, classes.length, params);
    this.setState({ classes, nFeatures: matrix.cols, ...fit });
    return this;
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const { classes } = this.state();
    const logits = this.logits(X);
    const k = classes.length;
    const data = new Float64Array(logits.rows * k);
    if (logits.cols === 1) {
      for (let i = 0; i < logits.rows; i++) {
        const p = sigmoid(logits.data[i]);
        data[2 * i] = 1 - p; // as scikit-learn computes it, so probabilities match to the last bit
        data[2 * i + 1] = p;
      }
    } else {
      for (let i = 0; i < logits.rows; i++) softmaxInto(logits.data, i * k, k, data);
    }
    return { rows: logits.rows, cols: k, data };
  }

  protected predictCodes(X: MatrixInput): Int32Array {
    const logits = this.logits(X);
    const codes = new Int32Array(logits.rows);
    const k = logits.cols;
    for (let i = 0; i < logits.rows; i++) {
      if (k === 1) {
        codes[i] = logits.data[i] > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < k; c++) if (logits.data[i * k + c] > logits.data[i * k + best]) best = c;
      codes[i] = best;
    }
    return codes;
  }

  /** Coefficients, one row per output (1 row for binary, one per class otherwise), as scikit-learn's `coef_`. */
  get coef(): Float64Matrix {
    const { coef, nFeatures } = this.state();
    return { rows: coef.length / nFeatures, cols: nFeatures, data: Float64Array.from(coef) };
  }

  get intercept(): Float64Array {
    return Float64Array.from(this.state().intercept);
  }

  /** L-BFGS iterations the last fit took. */
  get nIter(): number {
    return this.state().nIter;
  }

  /** False when the last fit stopped at maxIter (or could not progress) before reaching tol. */
  get converged(): boolean {
    return this.state().converged;
  }

  /** Linear scores X·coefᵀ + intercept, one column per output. */
  private logits(X: MatrixInput): Float64Matrix {
    const { coef, intercept } = this.state();
    const matrix = this.checkPredictInput(X);
    const { rows, cols: p, data: x } = matrix;
    const outputs = intercept.length;
    const out = new Float64Array(rows * outputs);
    for (let i = 0; i < rows; i++) {
      const offset = i * p;
      for (let k = 0; k < outputs; k++) {
        let z = intercept[k];
        for (let j = 0; j < p; j++) z += coef[k * p + j] * x[offset + j];
        out[i * outputs + k] = z;
      }
    }
    return { rows, cols: outputs, data: out };
  }

  protected stateToJSON(state: LogisticRegressionState): JsonObject {
    return {
      classes: [...state.classes],
      nFeatures: state.nFeatures,
      coef: jsonArray(state.coef),
      intercept: jsonArray(state.intercept),
      nIter: state.nIter,
      converged: state.converged,
    };
  }

  protected stateFromJSON(state: JsonReader): LogisticRegressionState {
    const classes = state.labels('classes');
    if (classes.length < 2) throw state.invalid('classes', 'at least two labels');
    const nFeatures = state.integer('nFeatures', 1);
    const outputs = classes.length === 2 ? 1 : classes.length;
    return {
      classes,
      nFeatures,
      coef: state.float64Array('coef', outputs * nFeatures),
      intercept: state.float64Array('intercept', outputs),
      nIter: state.integer('nIter'),
      converged: state.boolean('converged'),
    };
  }
}

function sigmoid(z: number): number {
  const e = Math.exp(-Math.abs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** Writes the softmax of values[offset … offset+k) into out at the same offsets. */
function softmaxInto(values: Float64Array, offset: number, k: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (values[offset + c] > max) max = values[offset + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(values[offset + c] - max);
    out[offset + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) out[offset + c] /= sum;
}

interface LogisticFit {
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  readonly nIter: number;
  readonly converged: boolean;
}

/**
 * Minimises (1/n)·Σ log loss + ‖w‖²/(2·C·n), scikit-learn's objective divided by C·n (same
 * optimum; a scale-free tol). L-BFGS runs on centred and scaled features: it optimises
 * v = w·σ (and an intercept for centred data), which is the same objective in other
 * coordinates, so the optimum is unchanged while badly scaled columns (a total in dollars
 * beside a 0/1 flag) no longer make the problem ill-conditioned. X is never copied: the
 * change of coordinates is applied to the weights, O(p) per evaluation.
 */
function fitLogistic(
  x: Float64Array,
  n: number,
  p: number,
  y: Int32Array,
  nClasses: number,
  params: LogisticRegressionParams,
): LogisticFit {
  const outputs = nClasses === 2 ? 1 : nClasses;
  const { mean, scale } = columnMoments(x, n, p, params.fitIntercept);
  const stride = p + (params.fitIntercept ? 1 : 0); // θ per output: [v₀ … v_{p−1}, c]

  const w = new Float64Array(outputs * p);
  const b = new Float64Array(outputs);
  const gw = new Float64Array(outputs * p);
  const gb = new Float64Array(outputs);
  const logits = new Float64Array(BLOCK * nClasses);
  const invN = 1 / n;
  const lambda = 1 / (params.C * n);

  const toOriginal = (theta: Float64Array): void => {
    for (let k = 0; k < outputs; k++) {
      let shift = 0;
      for (let j = 0; j < p; j++) {
        const wj = theta[k * stride + j] / scale[j];
        w[k * p + j] = wj;
        shift += wj * mean[j];
      }
      b[k] = params.fitIntercept ? theta[k * stride + p] - shift : 0;
    }
  };

  const objective = (theta: Float64Array, gradient: Float64Array): number => {
    toOriginal(theta);
    gw.fill(0);
    gb.fill(0);
    const loss =
      outputs === 1
        ? binaryLossGradient(x, n, p, y, w, b[0], gw, gb)
        : multinomialLossGradient(x, n, p, y, w, b, gw, gb, logits);
    let penalty = 0;
    for (let k = 0; k < w.length; k++) penalty += w[k] * w[k];
    for (let k = 0; k < outputs; k++) {
      const gradB = gb[k] * invN;
      for (let j = 0; j < p; j++) {
        const gradW = gw[k * p + j] * invN + lambda * w[k * p + j];
        gradient[k * stride + j] = (gradW - mean[j] * gradB) / scale[j];
      }
      if (params.fitIntercept) gradient[k * stride + p] = gradB;
    }
    return loss * invN + 0.5 * lambda * penalty;
  };

  const theta0 = new Float64Array(outputs * stride);
  if (params.fitIntercept) initialIntercepts(y, n, nClasses, theta0, stride, p);
  // A relative-decrease stop of 64ε (as newer scikit-learn passes to SciPy) leaves tol in charge.
  const result = minimizeLbfgs(objective, theta0, {
    maxIter: params.maxIter,
    gtol: params.tol,
    ftol: 64 * Number.EPSILON,
  });
  toOriginal(result.x);
  return { coef: w, intercept: b, nIter: result.iterations, converged: result.converged };
}

/**
 * Column means and spreads for the change of coordinates. Without an intercept the data
 * cannot be centred, so the spread is the root mean square instead of the standard deviation.
 * They only precondition the problem (any positive values give the same optimum), so an
 * evenly spaced sample of at most ~65k rows is enough and keeps this off the fit time.
 */
function columnMoments(
  x: Float64Array,
  n: number,
  p: number,
  centre: boolean,
): { mean: Float64Array; scale: Float64Array } {
  const step = Math.max(1, Math.floor(n / 65536));
  const sampled = Math.ceil(n / step);
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  if (centre) {
    for (let i = 0; i < n; i += step) for (let j = 0; j < p; j++) mean[j] += x[i * p + j];
    for (let j = 0; j < p; j++) mean[j] /= sampled;
  }
  for (let i = 0; i < n; i += step) {
    for (let j = 0; j < p; j++) {
      const d = x[i * p + j] - mean[j];
      scale[j] += d * d;
    }
  }
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt(scale[j] / sampled);
    scale[j] = s > 0 && Number.isFinite(s) ? s : 1; // a constant column needs no rescaling
  }
  return { mean, scale };
}

/** Starts the intercepts at the class log-priors: the optimum when all weights are zero. */
function initialIntercepts(
  y: Int32Array,
  n: number,
  nClasses: number,
  theta: Float64Array,
  stride: number,
  p: number,
): void {
  const counts = new Float64Array(nClasses);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  if (nClasses === 2) {
    theta[p] = Math.log(counts[1] / counts[0]);
    return;
  }
  let meanLog = 0;
  for (let k = 0; k < nClasses; k++) meanLog += Math.log(counts[k]) / nClasses;
  for (let k = 0; k < nClasses; k++) theta[k * stride + p] = Math.log(counts[k]) - meanLog;
}

/*
 * The loss passes below take rows four at a time: four independent dot products keep the
 * floating-point units busy, and one fused update per block quarters the loads and stores
 * of the gradient accumulator. This runs about three times faster than row by row. A final
 * partial block repeats its first row with a residual of zero.
 */
const BLOCK = 4;

/** Offsets of the rows of the block starting at row i (a missing row repeats row i). */
function blockOffsets(i: number, n: number, p: number, offsets: Int32Array): number {
  const rows = Math.min(BLOCK, n - i);
  for (let r = 0; r < BLOCK; r++) offsets[r] = (r < rows ? i + r : i) * p;
  return rows;
}

/**
 * Σ log(1 + e^z) − y·z over rows, with z = w·x + b; accumulates ∂/∂w into gw and ∂/∂b into
 * gb[0]. One pass over X, no allocation.
 */
function binaryLossGradient(
  x: Float64Array,
  n: number,
  p: number,
  y: Int32Array,
  w: Float64Array,
  b: number,
  gw: Float64Array,
  gb: Float64Array,
): number {
  const offsets = new Int32Array(BLOCK);
  const residuals = new Float64Array(BLOCK);
  let loss = 0;
  let gradB = 0;
  for (let i = 0; i < n; i += BLOCK) {
    const rows = blockOffsets(i, n, p, offsets);
    const o0 = offsets[0];
    const o1 = offsets[1];
    const o2 = offsets[2];
    const o3 = offsets[3];
    let z0 = b;
    let z1 = b;
    let z2 = b;
    let z3 = b;
    for (let j = 0; j < p; j++) {
      const wj = w[j];
      z0 += wj * x[o0 + j];
      z1 += wj * x[o1 + j];
      z2 += wj * x[o2 + j];
      z3 += wj * x[o3 + j];
    }
    residuals[0] = z0;
    residuals[1] = z1;
    residuals[2] = z2;
    residuals[3] = z3;
    for (let r = 0; r < BLOCK; r++) {
      if (r >= rows) {
        residuals[r] = 0;
        continue;
      }
      const z = residuals[r];
      const target = y[i + r];
      const e = Math.exp(-Math.abs(z));
      const d = 1 + e;
      // log(1 + e) rather than log1p(e): the same to within 1e-16 per row, and cheaper.
      loss += (z > 0 ? z : 0) + Math.log(d) - target * z;
      const residual = (z >= 0 ? 1 : e) / d - target;
      residuals[r] = residual;
      gradB += residual;
    }
    const r0 = residuals[0];
    const r1 = residuals[1];
    const r2 = residuals[2];
    const r3 = residuals[3];
    for (let j = 0; j < p; j++) gw[j] += r0 * x[o0 + j] + r1 * x[o1 + j] + r2 * x[o2 + j] + r3 * x[o3 + j];
  }
  gb[0] += gradB;
  return loss;
}

/**
 * The multinomial (softmax) version: Σ logsumexp(z) − z_y with one logit per class.
 * `logits` is scratch of BLOCK × classes values.
 */
function multinomialLossGradient(
  x: Float64Array,
  n: number,
  p: number,
  y: Int32Array,
  w: Float64Array,
  b: Float64Array,
  gw: Float64Array,
  gb: Float64Array,
  logits: Float64Array,
): number {
  const k = b.length;
  const offsets = new Int32Array(BLOCK);
  let loss = 0;
  for (let i = 0; i < n; i += BLOCK) {
    const rows = blockOffsets(i, n, p, offsets);
    const o0 = offsets[0];
    const o1 = offsets[1];
    const o2 = offsets[2];
    const o3 = offsets[3];
    // logits[c·BLOCK + r]: class c's logit for row r of the block.
    for (let c = 0; c < k; c++) {
      const row = c * p;
      let z0 = b[c];
      let z1 = z0;
      let z2 = z0;
      let z3 = z0;
      for (let j = 0; j < p; j++) {
        const wj = w[row + j];
        z0 += wj * x[o0 + j];
        z1 += wj * x[o1 + j];
        z2 += wj * x[o2 + j];
        z3 += wj * x[o3 + j];
      }
      logits[c * BLOCK] = z0;
      logits[c * BLOCK + 1] = z1;
      logits[c * BLOCK + 2] = z2;
      logits[c * BLOCK + 3] = z3;
    }
    // Turn each row's logits into residuals softmax − one-hot.
    for (let r = 0; r < BLOCK; r++) {
      if (r >= rows) {
        for (let c = 0; c < k; c++) logits[c * BLOCK + r] = 0;
        continue;
      }
      const target = y[i + r];
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (logits[c * BLOCK + r] > max) max = logits[c * BLOCK + r];
      const zTarget = logits[target * BLOCK + r];
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(logits[c * BLOCK + r] - max);
        logits[c * BLOCK + r] = e;
        sum += e;
      }
      loss += max + Math.log(sum) - zTarget;
      const inv = 1 / sum;
      for (let c = 0; c < k; c++) logits[c * BLOCK + r] = logits[c * BLOCK + r] * inv - (c === target ? 1 : 0);
    }
    for (let c = 0; c < k; c++) {
      const r0 = logits[c * BLOCK];
      const r1 = logits[c * BLOCK + 1];
      const r2 = logits[c * BLOCK + 2];
      const r3 = logits[c * BLOCK + 3];
      gb[c] += r0 + r1 + r2 + r3;
      const row = c * p;
      for (let j = 0; j < p; j++) gw[row + j] += r0 * x[o0 + j] + r1 * x[o1 + j] + r2 * x[o2 + j] + r3 * x[o3 + j];
    }
  }
  return loss;
}
