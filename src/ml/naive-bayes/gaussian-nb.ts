import { KeelError } from '../../core/index.js';
import { Classifier, type ClassifierState, type EstimatorTags, type Float64Matrix } from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { encodeLabels, type TargetInput } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';

export type GaussianNBParams = {
  /** Added to every variance: this fraction of the largest feature variance, for stability. */
  varSmoothing: number;
  /**
   * Class prior probabilities as comma-separated numbers in `classes` order ("0.2,0.8"), or
   * null to use the class frequencies in y. A string because params are JSON primitives.
   */
  priors: string | null;
};

/** Parses a priors string; null when it is not a list of non-negative numbers summing to 1. */
function parsePriors(text: string): Float64Array | null {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '' || !Number.isFinite(Number(part)))) return null;
  const priors = Float64Array.from(parts, Number);
  const sum = priors.reduce((a, b) => a + b, 0);
  // scikit-learn's tolerance (np.isclose with its defaults).
  if (priors.some((v) => v < 0) || Math.abs(sum - 1) > 1e-8 + 1e-5) return null;
  return priors;
}

const specs: ParamSpecs<GaussianNBParams> = {
  varSmoothing: param.number(1e-9, { min: 0 }),
  priors: param.custom<string | null>(
    null,
    'null or comma-separated non-negative numbers that sum to 1, one per class',
    (v): v is string | null => v === null || (typeof v === 'string' && parsePriors(v) !== null),
  ),
};

interface GaussianNBState extends ClassifierState {
  /** Per class (rows) and feature (columns): mean and smoothed variance, scikit-learn's theta_ and var_. */
  readonly theta: Float64Array;
  readonly variance: Float64Array;
  readonly classPrior: Float64Array;
  readonly classCount: Float64Array;
  /** The variance added to every entry of `variance`, scikit-learn's epsilon_. */
  readonly epsilon: number;
}

/**
 * Gaussian naive Bayes, scikit-learn's `GaussianNB`: one normal distribution per class and
 * feature; probabilities by Bayes' rule computed in log space (log-sum-exp), so they match
 * scikit-learn's to rounding.
 */
export class GaussianNB extends Classifier<GaussianNBParams, GaussianNBState> {
  static readonly algorithm = 'gaussian_nb';
  static readonly tags: EstimatorTags = {
    classifier: true,
    regressor: false,
    multiclass: true,
    handlesMissing: false,
    randomized: false,
    featureImportances: false,
  };

  constructor(params: Partial<GaussianNBParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const { varSmoothing, priors } = this.getParams();
    const { rows: n, cols: p, data } = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: n });
    const k = classes.length;

    // Two-pass means and variances (as np.var): first the sums, then squared deviations.
    const classCount = new Float64Array(k);
    const theta = new Float64Array(k * p);
    const variance = new Float64Array(k * p);
    const mean = new Float64Array(p);
    const spread = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      classCount[c]++;
      for (let j = 0; j < p; j++) {
        theta[c * p + j] += data[i * p + j];
        mean[j] += data[i * p + j];
      }
    }
    for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) theta[c * p + j] /= classCount[c];
    for (let j = 0; j < p; j++) mean[j] /= n;
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      for (let j = 0; j < p; j++) {
        const v = data[i * p + j];
        const d = v - theta[c * p + j];
        variance[c * p + j] += d * d;
        const e = v - mean[j];
        spread[j] += e * e;
      }
    }
    let largest = 0;
    for (let j = 0; j < p; j++) largest = Math.max(largest, spread[j] / n);
    // With every feature constant the classes differ only by prior; any positive epsilon
    // keeps the arithmetic finite, so use varSmoothing itself.
    const epsilon = varSmoothing * (largest > 0 ? largest : 1);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < p; j++) {
        const v = variance[c * p + j] / classCount[c] + epsilon;
        if (!(v > 0)) {
          throw new KeelError(
            'invalid_argument',
            `feature ${j} is constant within class ${String(classes[c])} and varSmoothing is 0: its variance is 0; set varSmoothing > 0`,
            { field: 'varSmoothing' },
          );
        }
        variance[c * p + j] = v;
      }
    }
    const classPrior = priors === null ? classCount.map((count) => count / n) : this.givenPriors(priors, k);
    this.setState({ nFeatures: p, classes, theta, variance, classPrior, classCount, epsilon });
    return this;
  }

  private givenPriors(text: string, k: number): Float64Array {
    const priors = parsePriors(text);
    if (priors === null || priors.length !== k) {
      throw new KeelError(
        'invalid_argument',
        `GaussianNB priors has ${priors?.length ?? 0} values but y has ${k} classes; give one per class`,
        { field: 'priors' },
      );
    }
    return priors;
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const jll = this.jointLogLikelihood(X);
    const { rows, cols, data } = jll;
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, data[offset + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(data[offset + c] - max);
      const logNorm = max + Math.log(sum);
      for (let c = 0; c < cols; c++) data[offset + c] = Math.exp(data[offset + c] - logNorm);
    }
    return jll;
  }

  /** The class with the largest joint log-likelihood (the first on a tie, as numpy's argmax). */
  protected predictCodes(X: MatrixInput): Int32Array {
    const { rows, cols, data } = this.jointLogLikelihood(X);
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (data[i * cols + c] > data[i * cols + best]) best = c;
      codes[i] = best;
    }
    return codes;
  }

  /** log P(c) + Σ_j log N(x_j; θ_cj, σ²_cj) per row and class, as scikit-learn's `_joint_log_likelihood`. */
  private jointLogLikelihood(X: MatrixInput): Float64Matrix {
    const { theta, variance, classPrior, classes } = this.state();
    const { rows, cols: p, data } = this.checkPredictInput(X);
    const k = classes.length;
    const constant = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let logDet = 0;
      for (let j = 0; j < p; j++) logDet += Math.log(2 * Math.PI * variance[c * p + j]);
      constant[c] = Math.log(classPrior[c]) - 0.5 * logDet;
    }
    const out = new Float64Array(rows * k);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let j = 0; j < p; j++) {
          const d = data[i * p + j] - theta[c * p + j];
          sum += (d * d) / variance[c * p + j];
        }
        out[i * k + c] = constant[c] - 0.5 * sum;
      }
    }
    return { rows, cols: k, data: out };
  }

  /** Per-class feature means, classes × features (scikit-learn's `theta_`). */
  get theta(): Float64Matrix {
    const { theta, nFeatures } = this.state();
    return { rows: theta.length / nFeatures, cols: nFeatures, data: Float64Array.from(theta) };
  }

  /** Per-class feature variances with epsilon added, classes × features (scikit-learn's `var_`). */
  get variance(): Float64Matrix {
    const { variance, nFeatures } = this.state();
    return { rows: variance.length / nFeatures, cols: nFeatures, data: Float64Array.from(variance) };
  }

  /** scikit-learn's `class_prior_`. */
  get classPrior(): Float64Array {
    return Float64Array.from(this.state().classPrior);
  }

  /** Training rows per class, scikit-learn's `class_count_`. */
  get classCount(): Float64Array {
    return Float64Array.from(this.state().classCount);
  }

  protected stateToJSON(state: GaussianNBState): JsonObject {
    return {
      classes: [...state.classes],
      nFeatures: state.nFeatures,
      theta: jsonArray(state.theta),
      variance: jsonArray(state.variance),
      classPrior: jsonArray(state.classPrior),
      classCount: jsonArray(state.classCount),
      epsilon: state.epsilon,
    };
  }

  protected stateFromJSON(state: JsonReader): GaussianNBState {
    const classes = state.labels('classes');
    const nFeatures = state.integer('nFeatures', 1);
    const k = classes.length;
    const variance = state.float64Array('variance', k * nFeatures);
    if (!variance.every((v) => v > 0)) throw state.invalid('variance', 'positive numbers');
    const classPrior = state.float64Array('classPrior', k);
    if (!classPrior.every((v) => v >= 0)) throw state.invalid('classPrior', 'non-negative numbers');
    const epsilon = state.raw('epsilon');
    if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw state.invalid('epsilon', 'a number ≥ 0');
    return {
      classes,
      nFeatures,
      theta: state.float64Array('theta', k * nFeatures),
      variance,
      classPrior,
      classCount: state.float64Array('classCount', k),
      epsilon,
    };
  }
}
