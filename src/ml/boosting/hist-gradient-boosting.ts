import { KeelError } from '../../core/index.js';
import {
  Classifier,
  Regressor,
  type ClassifierState,
  type EstimatorTags,
  type FittedState,
  type Float64Matrix,
} from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { checkTarget, encodeLabels, show, type TargetInput } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { fitBoosting, type BoostedModel, type BoostingParams } from './gradient-boosting.js';
import { LOSS } from './kernels.js';
import { probabilities } from './losses.js';
import { ensembleFromJSON, ensembleToJSON, predictRaw, type TreeEnsemble } from './predictor.js';

/**
 * Histogram gradient boosting (scikit-learn's HistGradientBoostingClassifier and
 * HistGradientBoostingRegressor, same parameters and defaults): features are binned into at
 * most 255 quantile bins plus one for missing values, and each iteration grows a leaf-wise tree
 * per class on the loss's gradients and hessians, with histogram subtraction. Missing values
 * (NaN) are handled natively: each split learns which side they go to. Training on large data
 * uses worker threads (`nJobs`), with results identical for any thread count.
 */
export type HistGradientBoostingParams = {
  /** Shrinks each tree's leaf values. */
  learningRate: number;
  /** Boosting iterations (trees per class) at most. */
  maxIter: number;
  /** Leaves per tree at most; null for no limit. */
  maxLeafNodes: number | null;
  /** Edges from the root to the deepest leaf at most; null for no limit. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  /** L2 penalty on leaf values (λ in −G / (H + λ)). */
  l2Regularization: number;
  /** Bins for non-missing values per feature, 2 to 255; missing values get one more. */
  maxBins: number;
  /** Stop when the validation loss stops improving; "auto" turns it on above 10 000 rows. */
  earlyStopping: 'auto' | boolean;
  /** Share of the rows held out to score early stopping; null scores the training loss. */
  validationFraction: number | null;
  /** Early stopping waits this many iterations for an improvement. */
  nIterNoChange: number;
  /** An improvement must exceed this much loss. */
  tol: number;
  /** Seeds the binning subsample and the validation split. */
  seed: number;
  /** Threads used on large inputs: an integer ≥ 1, or −1 for one per core (scikit-learn uses every core). */
  nJobs: number;
};

const isEarlyStopping = (v: unknown): v is 'auto' | boolean => v === 'auto' || typeof v === 'boolean';
const isJobs = (v: unknown): v is number => v === -1 || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1);
const isFraction = (v: unknown): v is number | null =>
  v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1);

const specs: ParamSpecs<HistGradientBoostingParams> = {
  learningRate: param.number(0.1, { above: 0 }),
  maxIter: param.integer(100, { min: 1 }),
  maxLeafNodes: param.orNull(param.integer(31, { min: 2 }), 31),
  maxDepth: param.orNull(param.integer(1, { min: 1 })),
  minSamplesLeaf: param.integer(20, { min: 1 }),
  l2Regularization: param.number(0, { min: 0 }),
  maxBins: param.integer(255, { min: 2, max: 255 }),
  earlyStopping: param.custom<'auto' | boolean>('auto', '"auto", true or false', isEarlyStopping),
  validationFraction: param.custom<number | null>(0.1, 'a number in (0, 1) or null', isFraction),
  nIterNoChange: param.integer(10, { min: 1 }),
  tol: param.number(1e-7, { min: 0 }),
  seed: param.integer(0),
  nJobs: param.custom(-1, 'an integer ≥ 1, or -1 for one per core', isJobs),
};

const tags = {
  multiclass: true,
  handlesMissing: true,
  randomized: true,
  featureImportances: false,
} as const;

type BoostedState = FittedState & BoostedModel;

function boostedToJSON(state: BoostedState): JsonObject {
  return {
    nFeatures: state.nFeatures,
    nIter: state.nIter,
    baseline: jsonArray(state.baseline),
    trees: ensembleToJSON(state.ensemble),
  };
}

function boostedFromJSON(state: JsonReader, treesPerIteration: number): BoostedState {
  const nFeatures = state.integer('nFeatures', 1);
  const nIter = state.integer('nIter', 1);
  const baseline = state.float64Array('baseline', treesPerIteration);
  const ensemble = ensembleFromJSON(state.child('trees'), nFeatures);
  if (ensemble.treeCount !== nIter * treesPerIteration) {
    throw state.invalid('trees.treeCount', `${nIter * treesPerIteration} (nIter × trees per iteration)`);
  }
  return { nFeatures, nIter, baseline, ensemble };
}

// ---------------------------------------------------------------------------------------------

interface ClassifierBoostedState extends ClassifierState, BoostedModel {}

/** Gradient boosting with log loss: one tree per iteration for two classes, one per class (softmax) beyond. */
export class HistGradientBoostingClassifier extends Classifier<HistGradientBoostingParams, ClassifierBoostedState> {
  static readonly algorithm = 'hist_gradient_boosting';
  static readonly tags: EstimatorTags = { classifier: true, regressor: false, ...tags };

  constructor(params: Partial<HistGradientBoostingParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y?: TargetInput): Promise<this> {
    const params: BoostingParams = this.getParams();
    const matrix = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: matrix.rows });
    if (classes.length < 2) {
      throw new KeelError(
        'invalid_argument',
        `y has only one class (${show(classes[0])}); a classifier needs at least two`,
        { field: 'y' },
      );
    }
    const trees = classes.length === 2 ? 1 : classes.length;
    const loss = trees === 1 ? LOSS.BINARY : LOSS.MULTINOMIAL;
    const model = await fitBoosting(matrix, { loss, trees, target: Float64Array.from(codes) }, params);
    this.setState({ classes, nFeatures: matrix.cols, ...model });
    return this;
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const matrix = this.checkPredictInput(X);
    const { ensemble, baseline, classes } = this.state();
    const raw = predictRaw(ensemble, baseline, matrix.data, matrix.rows, matrix.cols);
    return { rows: matrix.rows, cols: classes.length, data: probabilities(raw, matrix.rows, baseline.length) };
  }

  /** Raw scores (scikit-learn's decision_function): log-odds for two classes, one column per class beyond. */
  decisionFunction(X: MatrixInput): Float64Matrix {
    const matrix = this.checkPredictInput(X);
    const { ensemble, baseline } = this.state();
    const data = predictRaw(ensemble, baseline, matrix.data, matrix.rows, matrix.cols);
    return { rows: matrix.rows, cols: baseline.length, data };
  }

  protected predictCodes(X: MatrixInput): Int32Array {
    const { rows, cols, data } = this.predictProba(X);
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (data[i * cols + c] > data[i * cols + best]) best = c;
      codes[i] = best;
    }
    return codes;
  }

  /** Boosting iterations run (scikit-learn's n_iter_): maxIter unless early stopping ended the fit. */
  get nIter(): number {
    return this.state().nIter;
  }

  /** The fitted trees (read-only views; do not modify), in fit order. */
  get trees(): TreeEnsemble {
    return this.state().ensemble;
  }

  /** The raw prediction before any tree: one value per tree of an iteration. */
  get baseline(): Float64Array {
    return this.state().baseline;
  }

  protected stateToJSON(state: ClassifierBoostedState): JsonObject {
    return { classes: [...state.classes], ...boostedToJSON(state) };
  }

  protected stateFromJSON(state: JsonReader): ClassifierBoostedState {
    const classes = state.labels('classes');
    if (classes.length < 2) throw state.invalid('classes', 'at least two labels');
    return { classes, ...boostedFromJSON(state, classes.length === 2 ? 1 : classes.length) };
  }
}

// ---------------------------------------------------------------------------------------------

/** Gradient boosting with squared error: predicts the mean plus the sum of the trees. */
export class HistGradientBoostingRegressor extends Regressor<HistGradientBoostingParams, BoostedState> {
  static readonly algorithm = 'hist_gradient_boosting_regressor';
  static readonly tags: EstimatorTags = { classifier: false, regressor: true, ...tags };

  constructor(params: Partial<HistGradientBoostingParams> = {}) {
    super(specs, params);
  }

  async fit(X: MatrixInput, y?: TargetInput): Promise<this> {
    const params: BoostingParams = this.getParams();
    const matrix = this.checkFitInput(X);
    const target = checkTarget(y, { expectedLength: matrix.rows });
    const model = await fitBoosting(matrix, { loss: LOSS.SQUARED, trees: 1, target }, params);
    this.setState({ nFeatures: matrix.cols, ...model });
    return this;
  }

  predict(X: MatrixInput): Float64Array {
    const matrix = this.checkPredictInput(X);
    const { ensemble, baseline } = this.state();
    return predictRaw(ensemble, baseline, matrix.data, matrix.rows, matrix.cols);
  }

  /** Boosting iterations run (scikit-learn's n_iter_): maxIter unless early stopping ended the fit. */
  get nIter(): number {
    return this.state().nIter;
  }

  /** The fitted trees (read-only views; do not modify), in fit order. */
  get trees(): TreeEnsemble {
    return this.state().ensemble;
  }

  /** The raw prediction before any tree: one value per tree of an iteration. */
  get baseline(): Float64Array {
    return this.state().baseline;
  }

  protected stateToJSON(state: BoostedState): JsonObject {
    return boostedToJSON(state);
  }

  protected stateFromJSON(state: JsonReader): BoostedState {
    return boostedFromJSON(state, 1);
  }
}
