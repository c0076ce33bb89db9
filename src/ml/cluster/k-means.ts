import { KeelError } from '../../core/index.js';
import { Estimator, type EstimatorTags, type FittedState, type Float64Matrix } from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { float64Data, type MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { Rng } from '../random.js';

export type KMeansParams = {
  nClusters: number;
  /** 'k-means++': greedy k-means++ seeding (2 + ⌊ln k⌋ trials per centre); 'random': k distinct rows. */
  init: 'k-means++' | 'random';
  /** Seedings tried, keeping the lowest inertia; 'auto' is 1 for k-means++ and 10 for random (scikit-learn ≥ 1.4's default). */
  nInit: number | 'auto';
  maxIter: number;
  /** Stop when the centres move less than this (squared, summed) relative to the mean feature variance. */
  tol: number;
  seed: number;
};

const specs: ParamSpecs<KMeansParams> = {
  nClusters: param.integer(8, { min: 1 }),
  init: param.oneOf('k-means++', ['k-means++', 'random']),
  // scikit-learn 1.2's default; it moves to 'auto' in 1.4.
  nInit: param.custom<number | 'auto'>(
    10,
    'an integer ≥ 1 or "auto"',
    (v): v is number | 'auto' => v === 'auto' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1),
  ),
  maxIter: param.integer(300, { min: 1 }),
  tol: param.number(1e-4, { min: 0 }),
  seed: param.integer(0),
};

interface KMeansState extends FittedState {
  /** nClusters × nFeatures, row-major. */
  readonly centers: Float64Array;
  readonly inertia: number;
  readonly nIter: number;
}

/**
 * k-means clustering by Lloyd's algorithm, as scikit-learn's `KMeans(algorithm="lloyd")`: the
 * same seeding, relative tolerance, empty-cluster relocation and choice of the best of nInit
 * runs. Its random draws come from Keel's generator, so centres match scikit-learn's in
 * quality (inertia), not bit for bit. Unsupervised: `fit(X)`; `predict` gives each row's
 * cluster index.
 */
export class KMeans extends Estimator<KMeansParams, KMeansState> {
  static readonly algorithm = 'k_means';
  static readonly tags: EstimatorTags = {
    classifier: false,
    regressor: false,
    unsupervised: true,
    multiclass: false,
    handlesMissing: false,
    randomized: true,
    featureImportances: false,
  };

  constructor(params: Partial<KMeansParams> = {}) {
    super(specs, params);
  }

  /** Clusters X; a y, if given, is ignored (as scikit-learn's). */
  async fit(X: MatrixInput, _y?: unknown): Promise<this> {
    const params = this.getParams();
    const matrix = this.checkFitInput(X);
    const { rows: n, cols: p } = matrix;
    const k = params.nClusters;
    if (n < k) {
      throw new KeelError('invalid_argument', `X has ${n} rows, fewer than nClusters (${k})`, {
        field: 'nClusters',
      });
    }
    // Centre a copy of X, as scikit-learn does for precision: distances via ‖c‖² − 2x·c lose
    // less to cancellation near the origin.
    const x = Float64Array.from(float64Data(matrix));
    const mean = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += x[i * p + j];
    for (let j = 0; j < p; j++) mean[j] /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const v = (x[i * p + j] -= mean[j]);
        variance += v * v;
      }
    }
    const tol = (variance / n / p) * params.tol;
    const nInit = params.nInit === 'auto' ? (params.init === 'k-means++' ? 1 : 10) : params.nInit;
    const rng = new Rng(params.seed);
    let best: LloydResult | null = null;
    for (let run = 0; run < nInit; run++) {
      const initial = params.init === 'k-means++' ? kMeansPlusPlus(x, n, p, k, rng) : randomRows(x, n, p, k, rng);
      const result = lloyd(x, n, p, k, initial, params.maxIter, tol);
      if (best === null || result.inertia < best.inertia) best = result;
    }
    if (best === null) throw new Error('unreachable: nInit ≥ 1');
    for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) best.centers[c * p + j] += mean[j];
    this.setState({ nFeatures: p, centers: best.centers, inertia: best.inertia, nIter: best.nIter });
    return this;
  }

  /** The index of each row's nearest cluster centre. */
  predict(X: MatrixInput): Float64Array {
    const { centers } = this.state();
    const { rows, cols: p, data } = this.checkPredictInput(X);
    const k = centers.length / p;
    const labels = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const d = squaredDistance(data, i * p, centers, c * p, p);
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      labels[i] = best;
    }
    return labels;
  }

  /** Euclidean distance from each row to each centre: rows × nClusters. */
  transform(X: MatrixInput): Float64Matrix {
    const { centers } = this.state();
    const { rows, cols: p, data } = this.checkPredictInput(X);
    const k = centers.length / p;
    const out = new Float64Array(rows * k);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < k; c++) out[i * k + c] = Math.sqrt(squaredDistance(data, i * p, centers, c * p, p));
    }
    return { rows, cols: k, data: out };
  }

  /** Minus the sum of squared distances of the rows of X to their nearest centre (scikit-learn's `score`). */
  score(X: MatrixInput): number {
    const distances = this.transform(X);
    let inertia = 0;
    for (let i = 0; i < distances.rows; i++) {
      let min = Infinity;
      for (let c = 0; c < distances.cols; c++) min = Math.min(min, distances.data[i * distances.cols + c]);
      inertia += min * min;
    }
    return -inertia;
  }

  /** The centres, nClusters × nFeatures (scikit-learn's `cluster_centers_`). */
  get clusterCenters(): Float64Matrix {
    const { centers, nFeatures } = this.state();
    return { rows: centers.length / nFeatures, cols: nFeatures, data: Float64Array.from(centers) };
  }

  /** Sum of squared distances of the training rows to their centres, for the best run. */
  get inertia(): number {
    return this.state().inertia;
  }

  /** Lloyd iterations of the best run. */
  get nIter(): number {
    return this.state().nIter;
  }

  protected stateToJSON(state: KMeansState): JsonObject {
    return {
      nFeatures: state.nFeatures,
      centers: jsonArray(state.centers),
      inertia: state.inertia,
      nIter: state.nIter,
    };
  }

  protected stateFromJSON(state: JsonReader): KMeansState {
    const nFeatures = state.integer('nFeatures', 1);
    const centers = state.float64Array('centers', this.getParams().nClusters * nFeatures);
    const inertia = state.raw('inertia');
    if (typeof inertia !== 'number' || !(inertia >= 0)) throw state.invalid('inertia', 'a number ≥ 0');
    return { nFeatures, centers, inertia, nIter: state.integer('nIter', 1) };
  }
}

function squaredDistance(a: ArrayLike<number>, aOffset: number, b: Float64Array, bOffset: number, p: number): number {
  let sum = 0;
  for (let j = 0; j < p; j++) {
    const d = a[aOffset + j] - b[bOffset + j];
    sum += d * d;
  }
  return sum;
}

function rowNorms(x: Float64Array, n: number, p: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += x[i * p + j] * x[i * p + j];
    norms[i] = s;
  }
  return norms;
}

/** k distinct rows chosen uniformly (scikit-learn's init="random"). */
function randomRows(x: Float64Array, n: number, p: number, k: number, rng: Rng): Float64Array {
  const order = rng.permutation(n);
  const centers = new Float64Array(k * p);
  for (let c = 0; c < k; c++) centers.set(x.subarray(order[c] * p, order[c] * p + p), c * p);
  return centers;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's `_kmeans_plusplus`): the first
 * centre is a uniform row; each next one is the best, by resulting potential, of
 * 2 + ⌊ln k⌋ rows drawn with probability proportional to their squared distance to the
 * nearest centre so far.
 */
function kMeansPlusPlus(x: Float64Array, n: number, p: number, k: number, rng: Rng): Float64Array {
  const centers = new Float64Array(k * p);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.nextInt(n);
  centers.set(x.subarray(first * p, first * p + p), 0);
  const closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = squaredDistance(x, i * p, x, first * p, p);
    potential += closest[i];
  }
  const cumulative = new Float64Array(n);
  const candidate = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let sum = 0;
    for (let i = 0; i < n; i++) cumulative[i] = sum += closest[i];
    let bestPotential = Infinity;
    let bestRow = -1;
    for (let t = 0; t < trials; t++) {
      const row = Math.min(searchSorted(cumulative, rng.nextFloat() * potential), n - 1);
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.min(closest[i], squaredDistance(x, i * p, x, row * p, p));
        candidate[i] = d;
        candidatePotential += d;
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        bestRow = row;
        best.set(candidate);
      }
    }
    centers.set(x.subarray(bestRow * p, bestRow * p + p), c * p);
    closest.set(best);
    potential = bestPotential;
  }
  return centers;
}

/** The first index whose value is ≥ v (numpy's searchsorted, side "left"). */
function searchSorted(values: Float64Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface LloydResult {
  readonly centers: Float64Array;
  readonly inertia: number;
  readonly nIter: number;
}

/**
 * Lloyd's iterations from `initial`, as scikit-learn's `_kmeans_single_lloyd`: stop when no
 * label changes, or when the centres' total squared shift is ≤ tol (then relabel once so that
 * labels match the final centres).
 */
function lloyd(
  x: Float64Array,
  n: number,
  p: number,
  k: number,
  initial: Float64Array,
  maxIter: number,
  tol: number,
): LloydResult {
  let centers: Float64Array = initial;
  let next: Float64Array = new Float64Array(k * p);
  const labels = new Int32Array(n).fill(-1); // so the first iteration always counts as a change
  const counts = new Float64Array(k);
  let strict = false;
  let iteration = 0;
  for (; iteration < maxIter; iteration++) {
    const changed = assign(x, n, p, k, centers, labels);
    next.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < p; j++) next[c * p + j] += x[i * p + j];
    }
    relocateEmptyClusters(x, n, p, k, centers, labels, next, counts);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < p; j++) {
        if (counts[c] > 0) next[c * p + j] /= counts[c];
        const d = next[c * p + j] - centers[c * p + j];
        shift += d * d;
      }
    }
    [centers, next] = [next, centers];
    if (!changed) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
  }
  if (!strict) assign(x, n, p, k, centers, labels);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(x, i * p, centers, labels[i] * p, p);
  return { centers, inertia, nIter: Math.min(iteration + 1, maxIter) };
}

/**
 * Labels each row with its nearest centre by ‖c‖² − 2x·c (the first on a tie); returns
 * whether any label changed.
 */
function assign(x: Float64Array, n: number, p: number, k: number, centers: Float64Array, labels: Int32Array): boolean {
  const centerNorms = rowNorms(centers, k, p);
  let changed = false;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = Infinity;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let j = 0; j < p; j++) dot += x[i * p + j] * centers[c * p + j];
      const score = centerNorms[c] - 2 * dot;
      if (score < bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (labels[i] !== best) changed = true;
    labels[i] = best;
  }
  return changed;
}

/**
 * Gives each empty cluster one of the rows farthest from their (old) centre, taking it out of
 * its cluster's sum, as scikit-learn's `_relocate_empty_clusters_dense`. `sums` and `counts`
 * are the new centres' sums and sizes before averaging.
 */
function relocateEmptyClusters(
  x: Float64Array,
  n: number,
  p: number,
  k: number,
  centers: Float64Array,
  labels: Int32Array,
  sums: Float64Array,
  counts: Float64Array,
): void {
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) distances[i] = squaredDistance(x, i * p, centers, labels[i] * p, p);
  const farthest = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => distances[b] - distances[a] || a - b)
    .slice(0, empty.length);
  empty.forEach((c, e) => {
    const row = farthest[e];
    const old = labels[row];
    for (let j = 0; j < p; j++) {
      sums[old * p + j] -= x[row * p + j];
      sums[c * p + j] = x[row * p + j];
    }
    counts[c] = 1;
    counts[old] -= 1;
  });
}
