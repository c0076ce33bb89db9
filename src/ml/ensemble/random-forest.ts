import { KeelError, type DenseMatrix } from '../../core/index.js';
import {
  Classifier,
  Regressor,
  type ClassifierState,
  type EstimatorTags,
  type FittedState,
  type Float64Matrix,
} from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { checkTarget, encodeLabels, type TargetInput } from '../labels.js';
import { columnMajorFloat32, type MatrixInput } from '../matrix.js';
import { r2 } from '../metrics.js';
import { resolveJobs, sharedWorkerPool } from '../parallel/pool.js';
import { shareArray, sharedArray } from '../parallel/shared-memory.js';
import { param, type ParamSpecs } from '../params.js';
import { Rng } from '../random.js';
import { resolveGrowth, treeGrowthSpecs, type TreeGrowthParams } from '../tree/decision-tree.js';
import { presortColumns } from '../tree/grow-tree.js';
import {
  forestFromJSON,
  forestToJSON,
  leafOf,
  packForest,
  rowMajorFloat32,
  sumLeafValues,
  type PackedForest,
} from './forest.js';
import {
  growForestTrees,
  treeWeights,
  type ForestGrowthInput,
  type ForestTarget,
  type GrownTree,
} from './forest-growth.js';

/**
 * Random forests (scikit-learn's RandomForestClassifier and RandomForestRegressor): CART trees
 * grown on bootstrap samples with a random subset of features tried at each split, averaged.
 *
 * How a fit is organised for speed: X is converted to float32 columns and presorted once per
 * forest; each tree takes the distinct rows of its bootstrap sample from those runs in one
 * linear pass and weights them by how often they were drawn (no copy of X per tree, no sort
 * per tree or per node). With nJobs > 1 the presorted runs go to worker threads in shared
 * memory and each worker grows a contiguous batch of trees. Each tree's randomness comes from
 * its own seed, drawn in order from the forest's seed, so the forest is identical for any nJobs.
 */

/** Params every random forest has, on top of the tree growth params. */
export type RandomForestParams = TreeGrowthParams & {
  /** Number of trees. */
  nEstimators: number;
  /** Grow each tree on rows drawn with replacement; false grows every tree on all rows. */
  bootstrap: boolean;
  /** Rows drawn per tree: a count (integer ≥ 1), a fraction in (0, 1), or null for as many as X has. */
  maxSamples: number | null;
  /** Estimate the generalisation score from each row's out-of-bag trees (needs bootstrap). */
  oobScore: boolean;
  /** Worker threads growing trees: 1 grows them on the calling thread, -1 uses one per core. */
  nJobs: number;
};

export type RandomForestClassifierParams = RandomForestParams & { criterion: 'gini' | 'entropy' };
export type RandomForestRegressorParams = RandomForestParams & { criterion: 'squared_error' };

const isMaxSamples = (v: unknown): v is number | null =>
  v === null || (typeof v === 'number' && ((Number.isSafeInteger(v) && v >= 1) || (v > 0 && v < 1)));

const isJobs = (v: unknown): v is number => v === -1 || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1);

/** The specs after nEstimators and criterion (the order params are listed in, as in scikit-learn). */
function forestSpecs(
  maxFeatures: TreeGrowthParams['maxFeatures'],
): ParamSpecs<Omit<RandomForestParams, 'nEstimators'>> {
  return {
    ...treeGrowthSpecs,
    maxFeatures: { ...treeGrowthSpecs.maxFeatures, default: maxFeatures },
    bootstrap: param.boolean(true),
    maxSamples: param.custom<number | null>(
      null,
      'an integer ≥ 1 (a count), a number in (0, 1) (a fraction of the rows) or null (as many as X has)',
      isMaxSamples,
    ),
    oobScore: param.boolean(false),
    nJobs: param.custom(1, 'an integer ≥ 1, or -1 for one per core', isJobs),
  };
}

// scikit-learn ≥ 1.1 defaults: √p features per split for classification, all p for regression.
const classifierSpecs: ParamSpecs<RandomForestClassifierParams> = {
  nEstimators: param.integer(100, { min: 1 }),
  criterion: param.oneOf('gini', ['gini', 'entropy']),
  ...forestSpecs('sqrt'),
};
const regressorSpecs: ParamSpecs<RandomForestRegressorParams> = {
  nEstimators: param.integer(100, { min: 1 }),
  criterion: param.oneOf('squared_error', ['squared_error']),
  ...forestSpecs(null),
};

const forestTags = {
  multiclass: true,
  handlesMissing: false,
  randomized: true,
  featureImportances: true,
} as const;

interface ForestState extends FittedState {
  readonly forest: PackedForest;
  readonly featureImportances: Float64Array;
  /** Out-of-bag accuracy (classifier) or R² (regressor); null unless oobScore was asked for. */
  readonly oobScore: number | null;
}

interface GrownForest {
  readonly forest: PackedForest;
  readonly featureImportances: Float64Array;
  readonly seeds: readonly number[];
  readonly bootstrapDraws: number | null;
}

/** Rows drawn per tree, or null without bootstrap; checks the params that depend on each other or on X. */
function bootstrapDrawsFor(params: RandomForestParams, rows: number): number | null {
  const { bootstrap, maxSamples, oobScore } = params;
  if (!bootstrap) {
    if (maxSamples !== null) {
      throw new KeelError(
        'invalid_argument',
        'maxSamples needs bootstrap: true (without it every tree sees all rows)',
        {
          field: 'maxSamples',
        },
      );
    }
    if (oobScore) {
      throw new KeelError('invalid_argument', 'oobScore needs bootstrap: true (without it no row is out of bag)', {
        field: 'oobScore',
      });
    }
    return null;
  }
  if (maxSamples === null) return rows;
  if (maxSamples < 1) return Math.max(1, Math.round(maxSamples * rows));
  if (maxSamples > rows) {
    throw new KeelError('invalid_argument', `maxSamples is ${maxSamples} but X has only ${rows} rows`, {
      field: 'maxSamples',
    });
  }
  return maxSamples;
}

async function growForest(matrix: DenseMatrix, target: ForestTarget, params: RandomForestParams): Promise<GrownForest> {
  const { rows, cols } = matrix;
  const growth = resolveGrowth(params, cols);
  const bootstrapDraws = bootstrapDrawsFor(params, rows);
  const seeder = new Rng(params.seed);
  const seeds = Array.from({ length: params.nEstimators }, () => seeder.nextUint32());
  const jobs = Math.min(resolveJobs(params.nJobs), seeds.length);

  let trees: GrownTree[];
  if (jobs === 1) {
    const columns = presortColumns(columnMajorFloat32(matrix), rows, cols);
    trees = growForestTrees({ columns, target, growth, bootstrapDraws, seeds });
  } else {
    // Workers start while this thread presorts X into shared memory for them.
    const pool = sharedWorkerPool(jobs).warm(jobs);
    const shared = {
      order: sharedArray(Uint32Array, rows * cols),
      sorted: sharedArray(Float32Array, rows * cols),
    };
    const columns = presortColumns(columnMajorFloat32(matrix), rows, cols, shared);
    const sharedTarget: ForestTarget =
      target.criterion === 'squared_error'
        ? { ...target, values: shareArray(target.values) }
        : { ...target, codes: shareArray(target.codes) };
    const batches: Promise<GrownTree[]>[] = [];
    for (let job = 0; job < jobs; job++) {
      const batch = seeds.slice(Math.floor((job * seeds.length) / jobs), Math.floor(((job + 1) * seeds.length) / jobs));
      const input: ForestGrowthInput = { columns, target: sharedTarget, growth, bootstrapDraws, seeds: batch };
      batches.push(pool.run('forest.grow', input));
    }
    trees = (await Promise.all(batches)).flat();
  }
  const nValues = target.criterion === 'squared_error' ? 1 : target.nClasses;
  return {
    forest: packForest(trees, nValues),
    featureImportances: meanImportances(trees, cols),
    seeds,
    bootstrapDraws,
  };
}

/**
 * scikit-learn's forest importances: the mean of the trees' normalised importances over trees
 * that split at least once, renormalised (all 0 when no tree splits).
 */
function meanImportances(trees: readonly GrownTree[], nFeatures: number): Float64Array {
  const mean = new Float64Array(nFeatures);
  for (const tree of trees) {
    if (tree.feature.length > 1) for (let f = 0; f < nFeatures; f++) mean[f] += tree.importances[f];
  }
  let total = 0;
  for (let f = 0; f < nFeatures; f++) total += mean[f];
  if (total > 0) for (let f = 0; f < nFeatures; f++) mean[f] /= total;
  return mean;
}

/**
 * For each row, the sum of leaf values over the trees whose bootstrap left it out, and how
 * many such trees there were. The bootstrap is redrawn from each tree's seed.
 */
function outOfBagSums(matrix: DenseMatrix, grown: GrownForest): { sums: Float64Array; counts: Int32Array } {
  const { forest, seeds, bootstrapDraws } = grown;
  const { rows, cols } = matrix;
  const { nValues, leafValue } = forest;
  const x = rowMajorFloat32(matrix);
  const sums = new Float64Array(rows * nValues);
  const counts = new Int32Array(rows);
  const weights = new Float64Array(rows);
  seeds.forEach((seed, t) => {
    treeWeights(new Rng(seed), rows, bootstrapDraws, weights);
    for (let i = 0; i < rows; i++) {
      if (weights[i] > 0) continue;
      const leaf = leafOf(forest, t, x, i * cols) * nValues;
      for (let v = 0; v < nValues; v++) sums[i * nValues + v] += leafValue[leaf + v];
      counts[i]++;
    }
  });
  return { sums, counts };
}

/** Sum over trees of the leaf values each row of X reaches (rows × nValues). */
function leafValueSums(forest: PackedForest, matrix: DenseMatrix): Float64Array {
  const out = new Float64Array(matrix.rows * forest.nValues);
  sumLeafValues(forest, matrix.data, matrix.rows, matrix.cols, out);
  return out;
}

function argmax(values: Float64Array, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c] > values[offset + best]) best = c;
  return best;
}

function forestStateToJSON(state: ForestState): JsonObject {
  return {
    nFeatures: state.nFeatures,
    featureImportances: jsonArray(state.featureImportances),
    oobScore: state.oobScore,
    forest: forestToJSON(state.forest),
  };
}

function forestStateFromJSON(state: JsonReader, nValues: number): ForestState {
  const nFeatures = state.integer('nFeatures', 1);
  const oobScore = state.raw('oobScore');
  if (!(oobScore === null || (typeof oobScore === 'number' && Number.isFinite(oobScore)))) {
    throw state.invalid('oobScore', 'a number or null');
  }
  return {
    nFeatures,
    featureImportances: state.float64Array('featureImportances', nFeatures),
    oobScore,
    forest: forestFromJSON(state.child('forest'), nFeatures, nValues),
  };
}

// ---------------------------------------------------------------------------------------------

interface RandomForestClassifierState extends ClassifierState, ForestState {}

/** A random forest classifier; predictProba averages the trees' leaf class frequencies, as scikit-learn's. */
export class RandomForestClassifier extends Classifier<RandomForestClassifierParams, RandomForestClassifierState> {
  static readonly algorithm = 'random_forest';
  static readonly tags: EstimatorTags = { classifier: true, regressor: false, ...forestTags };

  constructor(params: Partial<RandomForestClassifierParams> = {}) {
    super(classifierSpecs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const { classes, codes } = encodeLabels(y, { expectedLength: matrix.rows });
    const target: ForestTarget = { criterion: params.criterion, codes, nClasses: classes.length };
    const grown = await growForest(matrix, target, params);
    let oobScore: number | null = null;
    if (params.oobScore) {
      const { sums, counts } = outOfBagSums(matrix, grown);
      let scored = 0;
      let correct = 0;
      for (let i = 0; i < matrix.rows; i++) {
        if (counts[i] === 0) continue;
        scored++;
        if (argmax(sums, i * classes.length, classes.length) === codes[i]) correct++;
      }
      oobScore = scored === 0 ? null : correct / scored;
    }
    const { forest, featureImportances } = grown;
    this.setState({ classes, nFeatures: matrix.cols, forest, featureImportances, oobScore });
    return this;
  }

  predictProba(X: MatrixInput): Float64Matrix {
    const { forest } = this.state();
    const matrix = this.checkPredictInput(X);
    const data = leafValueSums(forest, matrix);
    for (let i = 0; i < data.length; i++) data[i] /= forest.nTrees;
    return { rows: matrix.rows, cols: forest.nValues, data };
  }

  protected predictCodes(X: MatrixInput): Int32Array {
    const { forest } = this.state();
    const matrix = this.checkPredictInput(X);
    const sums = leafValueSums(forest, matrix);
    const k = forest.nValues;
    const codes = new Int32Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i++) codes[i] = argmax(sums, i * k, k);
    return codes;
  }

  /** Mean decrease in impurity per feature over the trees, summing to 1 (scikit-learn's `feature_importances_`). */
  get featureImportances(): Float64Array {
    return this.state().featureImportances.slice();
  }

  /** Out-of-bag accuracy, when fitted with oobScore: true (scikit-learn's `oob_score_`); otherwise null. */
  get oobScore(): number | null {
    return this.state().oobScore;
  }

  /** The fitted trees (read-only; for export and inspection). */
  get forest(): PackedForest {
    return this.state().forest;
  }

  protected stateToJSON(state: RandomForestClassifierState): JsonObject {
    return { classes: [...state.classes], ...forestStateToJSON(state) };
  }

  protected stateFromJSON(state: JsonReader): RandomForestClassifierState {
    const classes = state.labels('classes');
    return { classes, ...forestStateFromJSON(state, classes.length) };
  }
}

// ---------------------------------------------------------------------------------------------

/** A random forest regressor: the mean of the trees' leaf means. */
export class RandomForestRegressor extends Regressor<RandomForestRegressorParams, ForestState> {
  static readonly algorithm = 'random_forest_regressor';
  static readonly tags: EstimatorTags = { classifier: false, regressor: true, ...forestTags };

  constructor(params: Partial<RandomForestRegressorParams> = {}) {
    super(regressorSpecs, params);
  }

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const values = checkTarget(y, { expectedLength: matrix.rows });
    const grown = await growForest(matrix, { criterion: params.criterion, values }, params);
    const oobScore = params.oobScore ? outOfBagR2(matrix, grown, values) : null;
    const { forest, featureImportances } = grown;
    this.setState({ nFeatures: matrix.cols, forest, featureImportances, oobScore });
    return this;
  }

  predict(X: MatrixInput): Float64Array {
    const { forest } = this.state();
    const out = leafValueSums(forest, this.checkPredictInput(X));
    for (let i = 0; i < out.length; i++) out[i] /= forest.nTrees;
    return out;
  }

  /** Mean decrease in impurity per feature over the trees, summing to 1 (scikit-learn's `feature_importances_`). */
  get featureImportances(): Float64Array {
    return this.state().featureImportances.slice();
  }

  /** Out-of-bag R², when fitted with oobScore: true (scikit-learn's `oob_score_`); otherwise null. */
  get oobScore(): number | null {
    return this.state().oobScore;
  }

  /** The fitted trees (read-only; for export and inspection). */
  get forest(): PackedForest {
    return this.state().forest;
  }

  protected stateToJSON(state: ForestState): JsonObject {
    return forestStateToJSON(state);
  }

  protected stateFromJSON(state: JsonReader): ForestState {
    return forestStateFromJSON(state, 1);
  }
}

/** R² of the out-of-bag predictions over the rows that some tree left out. */
function outOfBagR2(matrix: DenseMatrix, grown: GrownForest, y: Float64Array): number | null {
  const { sums, counts } = outOfBagSums(matrix, grown);
  const truth: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (counts[i] === 0) continue;
    truth.push(y[i]);
    predicted.push(sums[i] / counts[i]);
  }
  return truth.length === 0 ? null : r2(truth, predicted);
}
