import type { DenseMatrix } from '../../core/index.js';
import { Estimator, type EstimatorTags, type FittedState } from '../estimator.js';
import type { JsonObject, JsonReader } from '../json.js';
import type { MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { Rng } from '../random.js';
import { argsortFloat64 } from '../sort.js';
import { FEATURE_THRESHOLD } from '../tree/criterion.js';
import { LEAF } from '../tree/tree.js';
import {
  forestFromJSON,
  forestToJSON,
  packForest,
  rowMajorFloat32,
  sumLeafValues,
  type PackedForest,
  type PackedTree,
} from './forest.js';

/**
 * Isolation forest (Liu, Ting & Zhou 2008), as scikit-learn's IsolationForest: each tree
 * splits a small random subsample on a random feature at a random threshold until points are
 * isolated or a depth limit is reached. Anomalies are isolated in few splits, so a short mean
 * path length means an outlier. Unsupervised: `fit(X)` takes no labels.
 *
 * Trees are stored packed like a random forest's, each leaf holding its path length: its depth
 * plus c(n), the expected depth still needed to isolate its n training points. Scoring is
 * then a sum of leaf values.
 */

export type IsolationForestParams = {
  /** Number of trees. */
  nEstimators: number;
  /** Rows per tree, drawn without replacement: "auto" (min(256, rows)), a count (integer ≥ 1) or a fraction in (0, 1). */
  maxSamples: 'auto' | number;
  /** Share of outliers in the training data, which sets the decision threshold; "auto" uses scikit-learn's −0.5 offset. */
  contamination: 'auto' | number;
  /** Features per tree: a count (integer ≥ 1), a fraction in (0, 1), or null for all (scikit-learn's 1.0). */
  maxFeatures: number | null;
  seed: number;
};

const isCountOrFraction = (v: unknown): v is number =>
  typeof v === 'number' && ((Number.isSafeInteger(v) && v >= 1) || (v > 0 && v < 1));

const specs: ParamSpecs<IsolationForestParams> = {
  nEstimators: param.integer(100, { min: 1 }),
  maxSamples: param.custom<'auto' | number>(
    'auto',
    '"auto", an integer ≥ 1 (a count) or a number in (0, 1) (a fraction of the rows)',
    (v): v is 'auto' | number => v === 'auto' || isCountOrFraction(v),
  ),
  contamination: param.custom<'auto' | number>(
    'auto',
    '"auto" or a number in (0, 0.5]',
    (v): v is 'auto' | number => v === 'auto' || (typeof v === 'number' && v > 0 && v <= 0.5),
  ),
  maxFeatures: param.custom<number | null>(
    null,
    'an integer ≥ 1 (a count), a number in (0, 1) (a fraction) or null (all)',
    (v): v is number | null => v === null || isCountOrFraction(v),
  ),
  seed: param.integer(0),
};

interface IsolationForestState extends FittedState {
  readonly forest: PackedForest;
  /** Rows each tree was grown on (scikit-learn's `max_samples_`). */
  readonly samplesPerTree: number;
  /** decisionFunction = scoreSamples − offset (scikit-learn's `offset_`). */
  readonly offset: number;
}

const EULER_GAMMA = 0.5772156649015329;

/** c(n): the average path length of an unsuccessful search in a binary search tree of n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export class IsolationForest extends Estimator<IsolationForestParams, IsolationForestState> {
  static readonly algorithm = 'isolation_forest';
  static readonly tags: EstimatorTags = {
    classifier: false,
    regressor: false,
    unsupervised: true,
    multiclass: false,
    handlesMissing: false,
    randomized: true,
    featureImportances: false,
  };

  constructor(params: Partial<IsolationForestParams> = {}) {
    super(specs, params);
  }

  /** Grows the trees on X; a y, if given, is ignored (as scikit-learn's). */
  async fit(X: MatrixInput, _y?: unknown): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const { rows, cols } = matrix;
    const samplesPerTree =
      params.maxSamples === 'auto'
        ? Math.min(256, rows)
        : params.maxSamples < 1
          ? Math.max(1, Math.floor(params.maxSamples * rows))
          : Math.min(params.maxSamples, rows); // scikit-learn also clamps a count above the row count
    const featuresPerTree =
      params.maxFeatures === null
        ? cols
        : params.maxFeatures < 1
          ? Math.max(1, Math.floor(params.maxFeatures * cols))
          : Math.min(params.maxFeatures, cols);
    const forest = growIsolationForest(matrix, params.nEstimators, samplesPerTree, featuresPerTree, params.seed);
    const offset =
      params.contamination === 'auto'
        ? -0.5
        : percentile(scoresOf(forest, samplesPerTree, matrix), 100 * params.contamination);
    this.setState({ nFeatures: cols, forest, samplesPerTree, offset });
    return this;
  }

  /**
   * The opposite of the anomaly score of Liu et al.: −2^(−E[h(x)] / c(ψ)), in [−1, 0). The lower,
   * the more abnormal; inliers score near −0.5 or above (scikit-learn's `score_samples`).
   */
  scoreSamples(X: MatrixInput): Float64Array {
    const { forest, samplesPerTree } = this.state();
    return scoresOf(forest, samplesPerTree, this.checkPredictInput(X));
  }

  /** scoreSamples − offset: negative for outliers, positive for inliers. */
  decisionFunction(X: MatrixInput): Float64Array {
    const scores = this.scoreSamples(X);
    const { offset } = this.state();
    for (let i = 0; i < scores.length; i++) scores[i] -= offset;
    return scores;
  }

  /** 1 for an inlier, −1 for an outlier. */
  predict(X: MatrixInput): Float64Array {
    const decision = this.decisionFunction(X);
    for (let i = 0; i < decision.length; i++) decision[i] = decision[i] < 0 ? -1 : 1;
    return decision;
  }

  /** The threshold on scoreSamples below which a row is an outlier (scikit-learn's `offset_`). */
  get offset(): number {
    return this.state().offset;
  }

  /** The fitted trees (read-only): each leaf's value is its path length. */
  get forest(): PackedForest {
    return this.state().forest;
  }

  protected stateToJSON(state: IsolationForestState): JsonObject {
    return {
      nFeatures: state.nFeatures,
      samplesPerTree: state.samplesPerTree,
      offset: state.offset,
      forest: forestToJSON(state.forest),
    };
  }

  protected stateFromJSON(state: JsonReader): IsolationForestState {
    const nFeatures = state.integer('nFeatures', 1);
    const offset = state.raw('offset');
    if (typeof offset !== 'number' || !Number.isFinite(offset)) throw state.invalid('offset', 'a finite number');
    return {
      nFeatures,
      samplesPerTree: state.integer('samplesPerTree', 1),
      offset,
      forest: forestFromJSON(state.child('forest'), nFeatures, 1),
    };
  }
}

function scoresOf(forest: PackedForest, samplesPerTree: number, matrix: DenseMatrix): Float64Array {
  const depths = new Float64Array(matrix.rows);
  sumLeafValues(forest, rowMajorFloat32(matrix), matrix.rows, matrix.cols, depths);
  const denominator = forest.nTrees * averagePathLength(samplesPerTree);
  for (let i = 0; i < depths.length; i++) {
    // One training row per tree leaves nothing to compare with: scikit-learn scores it 2^−1.
    depths[i] = -(2 ** -(denominator === 0 ? 1 : depths[i] / denominator));
  }
  return depths;
}

/** numpy.percentile's default (linear interpolation between closest ranks). */
function percentile(values: Float64Array, q: number): number {
  const order = argsortFloat64(values);
  const position = (q / 100) * (values.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, values.length - 1);
  const low = values[order[below]];
  const high = values[order[above]];
  return low + (high - low) * (position - below);
}

function growIsolationForest(
  matrix: DenseMatrix,
  nTrees: number,
  samplesPerTree: number,
  featuresPerTree: number,
  seed: number,
): PackedForest {
  const { rows, cols, data } = matrix;
  const rng = new Rng(seed);
  // Partial Fisher–Yates shuffles of these draw each tree's rows and features without replacement.
  const rowPool = Uint32Array.from({ length: rows }, (_, i) => i);
  const featurePool = Int32Array.from({ length: cols }, (_, f) => f);
  const values = new Float32Array(samplesPerTree * featuresPerTree);
  const trees: PackedTree[] = [];
  for (let t = 0; t < nTrees; t++) {
    drawWithoutReplacement(rng, rowPool, samplesPerTree);
    drawWithoutReplacement(rng, featurePool, featuresPerTree);
    // The subsample's values, column-major: feature k of sample j at values[k·ψ + j].
    for (let k = 0; k < featuresPerTree; k++) {
      const f = featurePool[k];
      for (let j = 0; j < samplesPerTree; j++) values[k * samplesPerTree + j] = data[rowPool[j] * cols + f];
    }
    trees.push(growIsolationTree(values, samplesPerTree, featurePool.subarray(0, featuresPerTree), rng));
  }
  return packForest(trees, 1);
}

/** Moves a uniform random sample of `count` entries of `pool` to its front. */
function drawWithoutReplacement(rng: Rng, pool: Uint32Array | Int32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const j = i + rng.nextInt(pool.length - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
}

/**
 * One isolation tree on n samples (values column-major, one column per entry of `features`),
 * numbered in preorder so a split's left child is the next node. scikit-learn's extra-tree
 * rules: depth limit ⌈log₂ n⌉; at each node draw features until one is not constant, and
 * split it uniformly between its minimum and maximum.
 */
function growIsolationTree(values: Float32Array, n: number, features: Int32Array, rng: Rng): PackedTree {
  const maxDepth = Math.ceil(Math.log2(Math.max(n, 2)));
  const capacity = 2 * n - 1;
  const feature = new Int32Array(capacity);
  const threshold = new Float64Array(capacity);
  const right = new Int32Array(capacity);
  const leafValue = new Float64Array(n);
  const samples = Uint32Array.from({ length: n }, (_, j) => j);
  const candidates = Int32Array.from({ length: features.length }, (_, k) => k);
  let nodes = 0;
  let leaves = 0;
  // [start, end, depth, parent] per pending node; a right child records its id in its parent.
  const stack: number[] = [0, n, 0, LEAF];
  while (stack.length > 0) {
    const parent = stack.pop() as number;
    const depth = stack.pop() as number;
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    const node = nodes++;
    if (parent !== LEAF) right[parent] = node;
    const split =
      depth < maxDepth && end - start > 1 ? drawSplit(values, n, samples, start, end, candidates, rng) : null;
    if (split === null) {
      feature[node] = LEAF;
      right[node] = leaves;
      leafValue[leaves++] = depth + averagePathLength(end - start);
      continue;
    }
    feature[node] = features[split.column];
    threshold[node] = split.threshold;
    // Partition samples[start … end) on the split: values ≤ threshold first.
    const column = split.column * n;
    let middle = start;
    for (let i = start; i < end; i++) {
      const sample = samples[i];
      if (values[column + sample] <= split.threshold) {
        samples[i] = samples[middle];
        samples[middle++] = sample;
      }
    }
    stack.push(middle, end, depth + 1, node, start, middle, depth + 1, LEAF);
  }
  return {
    feature: feature.slice(0, nodes),
    threshold: threshold.slice(0, nodes),
    right: right.slice(0, nodes),
    leafValue: leafValue.slice(0, leaves),
  };
}

/** A random split of the node's samples, or null when every candidate feature is constant there. */
function drawSplit(
  values: Float32Array,
  n: number,
  samples: Uint32Array,
  start: number,
  end: number,
  candidates: Int32Array,
  rng: Rng,
): { column: number; threshold: number } | null {
  for (let remaining = candidates.length; remaining > 0; remaining--) {
    const draw = rng.nextInt(remaining);
    const column = candidates[draw];
    candidates[draw] = candidates[remaining - 1];
    candidates[remaining - 1] = column;
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < end; i++) {
      const v = values[column * n + samples[i]];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max <= min + FEATURE_THRESHOLD) continue;
    const threshold = min + rng.nextFloat() * (max - min);
    // A draw that rounds up to the maximum would send every sample left.
    return { column, threshold: threshold === max ? min : threshold };
  }
  return null;
}
