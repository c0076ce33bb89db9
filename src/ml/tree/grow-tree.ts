import type { Rng } from '../random.js';
import { argsortFloat32 } from '../sort.js';
import { FEATURE_THRESHOLD, type SplitCandidate, type SplitCriterion } from './criterion.js';
import { LEAF, type TreeArrays } from './tree.js';

/**
 * CART tree growth on presorted columns. Each feature is sorted once per fit; when a node
 * splits, every feature's segment for that node is partitioned stably into its left and
 * right parts, so children stay sorted and no node sorts again. A level of the tree then
 * costs O(n·p) for the scans plus O(n·p) for the partitions, instead of the O(n log n · p)
 * of sorting at every node.
 */

/** Growth limits, resolved to plain numbers (maxDepth = Infinity when unlimited). */
export interface TreeGrowth {
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** Features drawn per node (all when equal to the column count). */
  readonly maxFeatures: number;
}

/**
 * p sorted runs of n samples: for feature f, order[f·n + i] is the sample with the i-th
 * smallest value and sorted[f·n + i] that value (float32, as scikit-learn's trees use).
 * Growing a tree partitions these arrays in place.
 */
export interface PresortedColumns {
  /** Samples per run: the samples the tree is grown on. */
  readonly n: number;
  readonly p: number;
  /** Sample ids are below this (the rows of X, of which a forest's tree may use a subset). */
  readonly rows: number;
  readonly order: Uint32Array;
  readonly sorted: Float32Array;
}

/**
 * Sorts each column of a column-major float32 matrix once. `out` receives the runs when
 * given (a forest passes shared memory, so worker threads read them without a copy).
 */
export function presortColumns(
  columns: Float32Array,
  n: number,
  p: number,
  out: { order: Uint32Array; sorted: Float32Array } = {
    order: new Uint32Array(n * p),
    sorted: new Float32Array(n * p),
  },
): PresortedColumns {
  const { order, sorted } = out;
  for (let f = 0; f < p; f++) {
    const base = f * n;
    order.set(argsortFloat32(columns.subarray(base, base + n), sorted.subarray(base, base + n)), base);
  }
  return { n, p, rows: n, order, sorted };
}

/**
 * The runs restricted to samples of non-zero weight (a bootstrap sample's distinct rows),
 * written into `order` and `sorted`, which must hold at least that many × p values. One
 * linear pass per feature keeps each run sorted, so a forest presorts X once, not per tree.
 */
export function selectSamples(
  all: PresortedColumns,
  weights: Float64Array,
  order: Uint32Array,
  sorted: Float32Array,
): PresortedColumns {
  const { n, p, rows } = all;
  const selected = new Uint8Array(rows);
  let count = 0;
  for (let sample = 0; sample < rows; sample++) {
    if (weights[sample] > 0) {
      selected[sample] = 1;
      count++;
    }
  }
  for (let f = 0; f < p; f++) {
    // Branch-free, as in partitionRun: every sample is written, the cursor advances for selected ones.
    let write = f * count;
    const end = f * count + count;
    for (let i = f * n; i < f * n + n && write < end; i++) {
      const sample = all.order[i];
      order[write] = sample;
      sorted[write] = all.sorted[i];
      write += selected[sample];
    }
  }
  return { n: count, p, rows, order, sorted };
}

/** Node arrays that grow by doubling while the tree is built. */
class GrowingTree {
  nodeCount = 0;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  impurity: Float64Array;
  weight: Float64Array;

  constructor(
    readonly nValues: number,
    capacity: number,
  ) {
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.value = new Float64Array(capacity * nValues);
    this.impurity = new Float64Array(capacity);
    this.weight = new Float64Array(capacity);
  }

  addNode(parent: number, isLeft: boolean): number {
    if (this.nodeCount === this.feature.length) this.resize(this.nodeCount * 2);
    const node = this.nodeCount++;
    this.feature[node] = LEAF;
    this.left[node] = LEAF;
    this.right[node] = LEAF;
    if (parent !== LEAF) (isLeft ? this.left : this.right)[parent] = node;
    return node;
  }

  finish(): TreeArrays {
    this.resize(this.nodeCount);
    const { nodeCount, nValues, feature, threshold, left, right, value, impurity, weight } = this;
    return { nodeCount, nValues, feature, threshold, left, right, value, impurity, weight };
  }

  private resize(capacity: number): void {
    const grow = <A extends Int32Array | Float64Array>(a: A, size: number): A => {
      const out = new (a.constructor as new (length: number) => A)(size);
      out.set(a.subarray(0, Math.min(a.length, size)));
      return out;
    };
    this.feature = grow(this.feature, capacity);
    this.threshold = grow(this.threshold, capacity);
    this.left = grow(this.left, capacity);
    this.right = grow(this.right, capacity);
    this.value = grow(this.value, capacity * this.nValues);
    this.impurity = grow(this.impurity, capacity);
    this.weight = grow(this.weight, capacity);
  }
}

interface PendingNode {
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly parent: number;
  readonly isLeft: boolean;
  /** A feature whose run is known to hold exactly this node's samples in [start, end). */
  readonly sortedBy: number;
}

/** Smallest impurity treated as non-zero (scikit-learn's EPSILON). */
const EPSILON = Number.EPSILON;

/**
 * Grows one tree depth-first (nodes numbered in preorder, as scikit-learn numbers them).
 * Consumes `data`: its runs are partitioned in place.
 */
export function growTree(data: PresortedColumns, criterion: SplitCriterion, growth: TreeGrowth, rng: Rng): TreeArrays {
  const { n, p, rows, order, sorted } = data;
  const { maxDepth, minSamplesSplit, minSamplesLeaf, maxFeatures } = growth;
  const tree = new GrowingTree(criterion.nValues, Math.min(2 * n - 1, 1023));
  const features = Int32Array.from({ length: p }, (_, f) => f);
  // One bit per sample: small enough to stay in cache while runs are partitioned.
  const goesLeft = new Int32Array((rows + 31) >>> 5);
  const spillOrder = new Uint32Array(n);
  const spillSorted = new Float32Array(n);
  const best: SplitCandidate = { proxy: -Infinity, position: -1 };
  const maySplit = (size: number, depth: number): boolean =>
    depth < maxDepth && size >= minSamplesSplit && size >= 2 * minSamplesLeaf;

  const stack: PendingNode[] = [{ start: 0, end: n, depth: 0, parent: LEAF, isLeft: false, sortedBy: 0 }];
  while (stack.length > 0) {
    const { start, end, depth, parent, isLeft, sortedBy } = stack.pop() as PendingNode;
    const node = tree.addNode(parent, isLeft);
    const base = sortedBy * n;
    const impurity = criterion.startNode(order, base + start, base + end, tree.value, node * tree.nValues);
    tree.impurity[node] = impurity;
    tree.weight[node] = criterion.nodeWeight;
    if (!maySplit(end - start, depth) || impurity <= EPSILON) continue;

    // Draw features without replacement until maxFeatures were visited and one was not
    // constant in this node; constant features count as visited, as in scikit-learn.
    best.proxy = -Infinity;
    let bestFeature = LEAF;
    let remaining = p;
    let visited = 0;
    let foundNonConstant = false;
    while (remaining > 0 && (visited < maxFeatures || !foundNonConstant)) {
      const draw = rng.nextInt(remaining);
      const f = features[draw];
      features[draw] = features[remaining - 1];
      features[remaining - 1] = f;
      remaining--;
      visited++;
      const runStart = f * n + start;
      const runEnd = f * n + end;
      if (sorted[runEnd - 1] <= sorted[runStart] + FEATURE_THRESHOLD) continue;
      foundNonConstant = true;
      if (criterion.scan(order, sorted, runStart, runEnd, minSamplesLeaf, best)) bestFeature = f;
    }
    if (bestFeature === LEAF) continue;

    const splitBase = bestFeature * n;
    const position = best.position - splitBase;
    // The midpoint of two float32 values is exact in float64, so it lies strictly between them.
    tree.feature[node] = bestFeature;
    tree.threshold[node] = sorted[splitBase + position - 1] / 2 + sorted[splitBase + position] / 2;

    // Children that cannot split become leaves whose statistics only need the split
    // feature's run, which is already partitioned: skip partitioning the others for them.
    if (maySplit(position - start, depth + 1) || maySplit(end - position, depth + 1)) {
      for (let i = start; i < position; i++) {
        const sample = order[splitBase + i];
        goesLeft[sample >>> 5] |= 1 << (sample & 31);
      }
      for (let i = position; i < end; i++) {
        const sample = order[splitBase + i];
        goesLeft[sample >>> 5] &= ~(1 << (sample & 31));
      }
      for (let f = 0; f < p; f++) {
        if (f !== bestFeature)
          partitionRun(order, sorted, f * n + start, f * n + end, goesLeft, spillOrder, spillSorted);
      }
    }
    // Pushed right first so the left child is numbered next (preorder).
    stack.push({ start: position, end, depth: depth + 1, parent: node, isLeft: false, sortedBy: bestFeature });
    stack.push({ start, end: position, depth: depth + 1, parent: node, isLeft: true, sortedBy: bestFeature });
  }
  return tree.finish();
}

/** Stable in-place partition of one run: samples whose goesLeft bit is set first, the rest after, each in sorted order. */
function partitionRun(
  order: Uint32Array,
  sorted: Float32Array,
  from: number,
  to: number,
  goesLeft: Int32Array,
  spillOrder: Uint32Array,
  spillSorted: Float32Array,
): void {
  let write = from;
  let spilled = 0;
  // Branch-free: where a sample goes is a coin flip the branch predictor would miss half the
  // time, so every sample is written to both places and only the matching cursor advances.
  for (let i = from; i < to; i++) {
    const sample = order[i];
    const value = sorted[i];
    const left = (goesLeft[sample >>> 5] >>> (sample & 31)) & 1;
    order[write] = sample;
    sorted[write] = value;
    write += left;
    spillOrder[spilled] = sample;
    spillSorted[spilled] = value;
    spilled += left ^ 1;
  }
  order.set(spillOrder.subarray(0, spilled), write);
  sorted.set(spillSorted.subarray(0, spilled), write);
}
