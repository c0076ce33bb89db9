import { KeelError, type DenseMatrix } from '../../core/index.js';
import { readBase64, toBase64 } from '../base64.js';
import {
  Classifier,
  Regressor,
  type ClassifierState,
  type EstimatorTags,
  type FittedState,
  type Float64Matrix,
} from '../estimator.js';
import type { JsonObject, JsonReader } from '../json.js';
import { checkTarget, encodeLabels, type TargetInput } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { BruteForceIndex, type Neighbors } from './brute-force.js';
import { resolveJobs } from '../parallel/pool.js';
import { kernelRunner } from '../wasm/threads.js';

export type KNeighborsParams = {
  /** Neighbours that vote (or average), scikit-learn's `n_neighbors`. */
  nNeighbors: number;
  /** 'uniform': every neighbour counts once; 'distance': by 1/distance (an exact match takes all). */
  weights: 'uniform' | 'distance';
  /** Minkowski power: 2 for Euclidean distance, 1 for Manhattan. */
  p: 1 | 2;
  /**
   * Threads for the search, or -1 for one per core (the default: scikit-learn's brute-force
   * search uses every core whatever its n_jobs says). Results do not depend on it.
   */
  nJobs: number;
};

const specs: ParamSpecs<KNeighborsParams> = {
  nNeighbors: param.integer(5, { min: 1 }),
  weights: param.oneOf('uniform', ['uniform', 'distance']),
  p: param.custom<1 | 2>(2, '1 (Manhattan) or 2 (Euclidean)', (v): v is 1 | 2 => v === 1 || v === 2),
  nJobs: param.custom(
    -1,
    'an integer ≥ 1, or -1 for one per core',
    (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && (v >= 1 || v === -1),
  ),
};

/** What both estimators keep: the training rows, as scikit-learn's brute-force search does. */
interface TrainingRows extends FittedState {
  readonly nSamples: number;
  /** nSamples × nFeatures, row-major. */
  readonly X: Float64Array;
}

interface KNeighborsClassifierState extends ClassifierState, TrainingRows {
  /** The class index of each training row. */
  readonly codes: Int32Array;
}

interface KNeighborsRegressorState extends TrainingRows {
  readonly y: Float64Array;
}

const tags = (classifier: boolean): EstimatorTags => ({
  classifier,
  regressor: !classifier,
  multiclass: classifier,
  handlesMissing: false,
  randomized: false,
  featureImportances: false,
});

/** Packed search indexes, built on first use per fitted state (a restored model packs on its first predict). */
const indexes = new WeakMap<TrainingRows, BruteForceIndex>();

function search(
  estimator: string,
  state: TrainingRows,
  params: KNeighborsParams,
  matrix: DenseMatrix,
  nNeighbors = params.nNeighbors,
): Neighbors {
  if (!Number.isSafeInteger(nNeighbors) || nNeighbors < 1 || nNeighbors > state.nSamples) {
    throw new KeelError(
      'invalid_argument',
      `${estimator} can look for 1 to ${state.nSamples} neighbours (its training rows), not ${nNeighbors}`,
      { field: 'nNeighbors' },
    );
  }
  let index = indexes.get(state);
  if (index === undefined) {
    index = new BruteForceIndex(state.X, state.nSamples, state.nFeatures, params.p === 2 ? 'euclidean' : 'manhattan');
    indexes.set(state, index);
  }
  return index.search(matrix.data, nNeighbors, kernelRunner(resolveJobs(params.nJobs)));
}

/**
 * Neighbour weights as scikit-learn's `_get_weights`: none for 'uniform'; 1/distance for
 * 'distance', except that a query at distance 0 from some neighbours gives those weight 1 and
 * the others 0.
 */
function neighbourWeights(neighbors: Neighbors, weights: KNeighborsParams['weights']): Float64Array | null {
  if (weights === 'uniform') return null;
  const { rows, k, distances } = neighbors;
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const row = i * k;
    const exact = distances.subarray(row, row + k).includes(0);
    for (let c = row; c < row + k; c++) out[c] = exact ? (distances[c] === 0 ? 1 : 0) : 1 / distances[c];
  }
  return out;
}

/** Training rows as the state keeps them: a copy, so later changes to the caller's X don't leak in. */
function trainingRows(estimator: string, matrix: DenseMatrix, nNeighbors: number): TrainingRows {
  if (nNeighbors > matrix.rows) {
    throw new KeelError(
      'invalid_argument',
      `${estimator} has nNeighbors ${nNeighbors} but X has only ${matrix.rows} rows`,
      { field: 'nNeighbors' },
    );
  }
  return { nFeatures: matrix.cols, nSamples: matrix.rows, X: Float64Array.from(matrix.data) };
}

function trainingRowsToJSON(state: TrainingRows): JsonObject {
  return { nFeatures: state.nFeatures, nSamples: state.nSamples, X: toBase64(state.X) };
}

function trainingRowsFromJSON(state: JsonReader, nNeighbors: number): TrainingRows {
  const nFeatures = state.integer('nFeatures', 1);
  const nSamples = state.integer('nSamples', Math.max(1, nNeighbors));
  const X = readBase64(state, 'X', Float64Array, nSamples * nFeatures);
  if (!X.every(Number.isFinite)) throw state.invalid('X', 'finite numbers');
  return { nFeatures, nSamples, X };
}

/**
 * k-nearest-neighbours classification, scikit-learn's `KNeighborsClassifier` with
 * `algorithm="brute"`: the same neighbours (ties by lowest training index), votes and
 * probabilities. The search is exact and runs on WebAssembly SIMD over every core.
 */
export class KNeighborsClassifier extends Classifier<KNeighborsParams, KNeighborsClassifierState> {
  static readonly algorithm = 'k_neighbors';
  static readonly tags: EstimatorTags = tags(true);

  constructor(params: Partial<KNeighborsParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const matrix = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: matrix.rows });
    this.setState({ ...trainingRows(this.constructor.name, matrix, this.getParams().nNeighbors), classes, codes });
    return this;
  }

  /** The nearest training rows of each row of X (nNeighbors of them unless given). */
  kneighbors(X: MatrixInput, nNeighbors?: number): Neighbors {
    return search(this.constructor.name, this.state(), this.getParams(), this.checkPredictInput(X), nNeighbors);
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const votes = this.votes(X);
    const { rows, cols, data } = votes;
    for (let i = 0; i < rows; i++) {
      let total = 0;
      for (let c = 0; c < cols; c++) total += data[i * cols + c];
      if (total === 0) continue;
      for (let c = 0; c < cols; c++) data[i * cols + c] /= total;
    }
    return votes;
  }

  /** The class with most (weighted) votes; a tie goes to the first class, as scipy's mode. */
  protected predictCodes(X: MatrixInput): Int32Array {
    const { rows, cols, data } = this.votes(X);
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (data[i * cols + c] > data[i * cols + best]) best = c;
      codes[i] = best;
    }
    return codes;
  }

  /** Per row and class, the summed weights of the neighbours of that class. */
  private votes(X: MatrixInput): Float64Matrix {
    const { classes, codes } = this.state();
    const neighbors = this.kneighbors(X);
    const weights = neighbourWeights(neighbors, this.getParams().weights);
    const { rows, k, indices } = neighbors;
    const cols = classes.length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let c = i * k; c < (i + 1) * k; c++) data[i * cols + codes[indices[c]]] += weights === null ? 1 : weights[c];
    }
    return { rows, cols, data };
  }

  protected stateToJSON(state: KNeighborsClassifierState): JsonObject {
    return { ...trainingRowsToJSON(state), classes: [...state.classes], codes: toBase64(state.codes) };
  }

  protected stateFromJSON(state: JsonReader): KNeighborsClassifierState {
    const rows = trainingRowsFromJSON(state, this.getParams().nNeighbors);
    const classes = state.labels('classes');
    const codes = readBase64(state, 'codes', Int32Array, rows.nSamples);
    if (!codes.every((code) => code >= 0 && code < classes.length)) {
      throw state.invalid('codes', `class indices from 0 to ${classes.length - 1}`);
    }
    return { ...rows, classes, codes };
  }
}

/**
 * k-nearest-neighbours regression, scikit-learn's `KNeighborsRegressor` with
 * `algorithm="brute"`: the (weighted) mean target of the nearest training rows.
 */
export class KNeighborsRegressor extends Regressor<KNeighborsParams, KNeighborsRegressorState> {
  static readonly algorithm = 'k_neighbors_regressor';
  static readonly tags: EstimatorTags = tags(false);

  constructor(params: Partial<KNeighborsParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const matrix = this.checkFitInput(X);
    const target = checkTarget(y, { expectedLength: matrix.rows });
    this.setState({ ...trainingRows(this.constructor.name, matrix, this.getParams().nNeighbors), y: target });
    return this;
  }

  /** The nearest training rows of each row of X (nNeighbors of them unless given). */
  kneighbors(X: MatrixInput, nNeighbors?: number): Neighbors {
    return search(this.constructor.name, this.state(), this.getParams(), this.checkPredictInput(X), nNeighbors);
  }

  predict(X: MatrixInput): Float64Array {
    const { y } = this.state();
    const neighbors = this.kneighbors(X);
    const weights = neighbourWeights(neighbors, this.getParams().weights);
    const { rows, k, indices } = neighbors;
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      let total = 0;
      for (let c = i * k; c < (i + 1) * k; c++) {
        const w = weights === null ? 1 : weights[c];
        sum += y[indices[c]] * w;
        total += w;
      }
      out[i] = sum / total;
    }
    return out;
  }

  protected stateToJSON(state: KNeighborsRegressorState): JsonObject {
    return { ...trainingRowsToJSON(state), y: toBase64(state.y) };
  }

  protected stateFromJSON(state: JsonReader): KNeighborsRegressorState {
    const rows = trainingRowsFromJSON(state, this.getParams().nNeighbors);
    const y = readBase64(state, 'y', Float64Array, rows.nSamples);
    if (!y.every(Number.isFinite)) throw state.invalid('y', 'finite numbers');
    return { ...rows, y };
  }
}
