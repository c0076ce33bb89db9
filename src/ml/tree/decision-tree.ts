import { KeelError, type DenseMatrix } from '../../core/index.js';
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
import { columnMajorFloat32, type MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { Rng } from '../random.js';
import { growTree, presortColumns, type TreeGrowth } from './grow-tree.js';
import {
  EntropyCriterion,
  GiniCriterion,
  SquaredErrorCriterion,
  unitWeights,
  type SplitCriterion,
} from './criterion.js';
import {
  applyTree,
  featureImportances,
  leafCount,
  treeDepth,
  treeFromJSON,
  treeToJSON,
  type TreeArrays,
} from './tree.js';

/** Features tried per split: a count (integer ≥ 1), a fraction in (0, 1), "sqrt", "log2", or null for all. */
export type MaxFeatures = number | 'sqrt' | 'log2' | null;

/** Growth params shared by every CART-based estimator (single trees now, forests later). */
export type TreeGrowthParams = {
  /** Deepest a leaf may be (root = 0); null grows until leaves are pure or too small. */
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  /** Seeds the feature order at each node, which decides ties between equally good splits. */
  seed: number;
};

const isMaxFeatures = (v: unknown): v is MaxFeatures =>
  v === null ||
  v === 'sqrt' ||
  v === 'log2' ||
  (typeof v === 'number' && ((Number.isSafeInteger(v) && v >= 1) || (v > 0 && v < 1)));

export const treeGrowthSpecs: ParamSpecs<TreeGrowthParams> = {
  maxDepth: param.orNull(param.integer(1, { min: 1 })),
  minSamplesSplit: param.integer(2, { min: 2 }),
  minSamplesLeaf: param.integer(1, { min: 1 }),
  maxFeatures: param.custom<MaxFeatures>(
    null,
    'an integer ≥ 1 (a count), a number in (0, 1) (a fraction), "sqrt", "log2" or null (all)',
    isMaxFeatures,
  ),
  seed: param.integer(0),
};

/** Turns growth params into limits for a matrix with `nFeatures` columns. */
export function resolveGrowth(params: TreeGrowthParams, nFeatures: number): TreeGrowth {
  const { maxFeatures } = params;
  let features: number;
  if (maxFeatures === null) features = nFeatures;
  else if (maxFeatures === 'sqrt') features = Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  else if (maxFeatures === 'log2') features = Math.max(1, Math.floor(Math.log2(nFeatures)));
  else if (maxFeatures < 1) features = Math.max(1, Math.floor(maxFeatures * nFeatures));
  else features = maxFeatures;
  if (features > nFeatures) {
    throw new KeelError('invalid_argument', `maxFeatures is ${maxFeatures} but X has only ${nFeatures} columns`, {
      field: 'maxFeatures',
    });
  }
  return {
    maxDepth: params.maxDepth ?? Infinity,
    minSamplesSplit: params.minSamplesSplit,
    minSamplesLeaf: params.minSamplesLeaf,
    maxFeatures: features,
  };
}

function growOn(matrix: DenseMatrix, criterion: SplitCriterion, params: TreeGrowthParams): TreeArrays {
  const growth = resolveGrowth(params, matrix.cols);
  const data = presortColumns(columnMajorFloat32(matrix), matrix.rows, matrix.cols);
  return growTree(data, criterion, growth, new Rng(params.seed));
}

const treeTags = {
  multiclass: true,
  handlesMissing: false,
  randomized: true,
  featureImportances: true,
} as const;

// ---------------------------------------------------------------------------------------------

export type DecisionTreeClassifierParams = TreeGrowthParams & { criterion: 'gini' | 'entropy' };

const classifierSpecs: ParamSpecs<DecisionTreeClassifierParams> = {
  criterion: param.oneOf('gini', ['gini', 'entropy']),
  ...treeGrowthSpecs,
};

interface DecisionTreeClassifierState extends ClassifierState {
  readonly tree: TreeArrays;
}

/** A CART classification tree (scikit-learn's `DecisionTreeClassifier`); predictProba gives leaf class frequencies. */
export class DecisionTreeClassifier extends Classifier<DecisionTreeClassifierParams, DecisionTreeClassifierState> {
  static readonly algorithm = 'decision_tree';
  static readonly tags: EstimatorTags = { classifier: true, regressor: false, ...treeTags };

  constructor(params: Partial<DecisionTreeClassifierParams> = {}) {
    super(classifierSpecs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: matrix.rows });
    const criterion =
      params.criterion === 'gini'
        ? new GiniCriterion(codes, classes.length, unitWeights(matrix.rows))
        : new EntropyCriterion(codes, classes.length, unitWeights(matrix.rows));
    this.setState({ classes, nFeatures: matrix.cols, tree: growOn(matrix, criterion, params) });
    return this;
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const { tree } = this.state();
    const leaves = this.apply(X);
    const k = tree.nValues;
    const data = new Float64Array(leaves.length * k);
    for (let i = 0; i < leaves.length; i++) {
      const from = leaves[i] * k;
      for (let c = 0; c < k; c++) data[i * k + c] = tree.value[from + c];
    }
    return { rows: leaves.length, cols: k, data };
  }

  protected predictCodes(X: MatrixInput): Int32Array {
    const { tree } = this.state();
    const leaves = this.apply(X);
    const k = tree.nValues;
    const codes = new Int32Array(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const offset = leaves[i] * k;
      let best = 0;
      for (let c = 1; c < k; c++) if (tree.value[offset + c] > tree.value[offset + best]) best = c;
      codes[i] = best;
    }
    return codes;
  }

  /** The leaf id each row lands in (scikit-learn's `apply`). */
  apply(X: MatrixInput): Int32Array {
    const { tree } = this.state();
    const matrix = this.checkPredictInput(X);
    return applyTree(tree, matrix.data, matrix.rows, matrix.cols);
  }

  get featureImportances(): Float64Array {
    const { tree, nFeatures } = this.state();
    return featureImportances(tree, nFeatures);
  }

  /** The fitted tree's arrays (read-only views; do not modify). */
  get tree(): TreeArrays {
    return this.state().tree;
  }

  get depth(): number {
    return treeDepth(this.state().tree);
  }

  get leafCount(): number {
    return leafCount(this.state().tree);
  }

  protected stateToJSON(state: DecisionTreeClassifierState): JsonObject {
    return { classes: [...state.classes], nFeatures: state.nFeatures, tree: treeToJSON(state.tree) };
  }

  protected stateFromJSON(state: JsonReader): DecisionTreeClassifierState {
    const classes = state.labels('classes');
    const nFeatures = state.integer('nFeatures', 1);
    return { classes, nFeatures, tree: treeFromJSON(state.child('tree'), nFeatures, classes.length) };
  }
}

// ---------------------------------------------------------------------------------------------

export type DecisionTreeRegressorParams = TreeGrowthParams & { criterion: 'squared_error' };

const regressorSpecs: ParamSpecs<DecisionTreeRegressorParams> = {
  criterion: param.oneOf('squared_error', ['squared_error']),
  ...treeGrowthSpecs,
};

interface DecisionTreeRegressorState extends FittedState {
  readonly tree: TreeArrays;
}

/** A CART regression tree (scikit-learn's `DecisionTreeRegressor`); predicts the mean target of the leaf. */
export class DecisionTreeRegressor extends Regressor<DecisionTreeRegressorParams, DecisionTreeRegressorState> {
  static readonly algorithm = 'decision_tree_regressor';
  static readonly tags: EstimatorTags = { classifier: false, regressor: true, ...treeTags };

  constructor(params: Partial<DecisionTreeRegressorParams> = {}) {
    super(regressorSpecs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const target = checkTarget(y, { expectedLength: matrix.rows });
    this.setState({
      nFeatures: matrix.cols,
      tree: growOn(matrix, new SquaredErrorCriterion(target, unitWeights(matrix.rows)), params),
    });
    return this;
  }

  predict(X: MatrixInput): Float64Array {
    const { tree } = this.state();
    const leaves = this.apply(X);
    const out = new Float64Array(leaves.length);
    for (let i = 0; i < leaves.length; i++) out[i] = tree.value[leaves[i]];
    return out;
  }

  /** The leaf id each row lands in (scikit-learn's `apply`). */
  apply(X: MatrixInput): Int32Array {
    const { tree } = this.state();
    const matrix = this.checkPredictInput(X);
    return applyTree(tree, matrix.data, matrix.rows, matrix.cols);
  }

  get featureImportances(): Float64Array {
    const { tree, nFeatures } = this.state();
    return featureImportances(tree, nFeatures);
  }

  /** The fitted tree's arrays (read-only views; do not modify). */
  get tree(): TreeArrays {
    return this.state().tree;
  }

  get depth(): number {
    return treeDepth(this.state().tree);
  }

  get leafCount(): number {
    return leafCount(this.state().tree);
  }

  protected stateToJSON(state: DecisionTreeRegressorState): JsonObject {
    return { nFeatures: state.nFeatures, tree: treeToJSON(state.tree) };
  }

  protected stateFromJSON(state: JsonReader): DecisionTreeRegressorState {
    const nFeatures = state.integer('nFeatures', 1);
    return { nFeatures, tree: treeFromJSON(state.child('tree'), nFeatures, 1) };
  }
}
