import type { BinMapper } from './binning.js';
import { OP, chunkCount, chunkStart, elementChunkCount, FEATURE_WIDTH } from './kernels.js';
import { EnsembleBuilder, LEAF } from './predictor.js';
import { MIN_HESSIAN_TO_SPLIT, findBestSplit, nodeValue, type SplitInfo, type SplitRules } from './splitting.js';
import type { KernelThreads } from './threads.js';

/**
 * Grows one regression tree on gradients and hessians, leaf-wise as scikit-learn's TreeGrower:
 * the splittable leaf with the largest gain is split next, until maxLeafNodes leaves exist or
 * no leaf can split. Each split partitions the node's rows (and their gradients) into its
 * children and builds the histograms of the smaller child only; the larger child's are the
 * parent's minus the smaller's (the subtraction trick).
 */

export interface GrowthLimits {
  /** null: unlimited. */
  readonly maxLeafNodes: number | null;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly learningRate: number;
}

interface GrowerNode {
  readonly depth: number;
  /** Rows start…end−1 of the partition, in row set `set` (0: rows/ordered, 1: altRows/altOrdered). */
  readonly start: number;
  readonly end: number;
  readonly set: number;
  sumGradient: number;
  sumHessian: number;
  /** Newton step (before the learning rate); 0 at the root, as in scikit-learn. */
  readonly value: number;
  histogram: Float64Array | null;
  split: SplitInfo | null;
  left: GrowerNode | null;
  right: GrowerNode | null;
}

/** Reusable histogram buffers, so growing allocates none after the first trees. */
class HistogramPool {
  private readonly free: Float64Array[] = [];
  constructor(private readonly length: number) {}

  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.length);
  }

  give(histogram: Float64Array): void {
    this.free.push(histogram);
  }
}

/** Max-heap on gain with Python heapq's exact sift order, so equal gains are split in scikit-learn's order. */
class SplitHeap {
  readonly items: GrowerNode[] = [];

  get size(): number {
    return this.items.length;
  }

  push(node: GrowerNode): void {
    this.items.push(node);
    this.siftDown(0, this.items.length - 1);
  }

  pop(): GrowerNode {
    const items = this.items;
    const last = items.pop() as GrowerNode;
    if (items.length === 0) return last;
    const top = items[0];
    items[0] = last;
    this.siftUp(0);
    return top;
  }

  private before(a: GrowerNode, b: GrowerNode): boolean {
    return (a.split as SplitInfo).gain > (b.split as SplitInfo).gain;
  }

  // heapq._siftdown: moves the item at `pos` towards the root.
  private siftDown(startPos: number, pos: number): void {
    const items = this.items;
    const item = items[pos];
    while (pos > startPos) {
      const parentPos = (pos - 1) >> 1;
      const parent = items[parentPos];
      if (!this.before(item, parent)) break;
      items[pos] = parent;
      pos = parentPos;
    }
    items[pos] = item;
  }

  // heapq._siftup: moves the smaller child up until a leaf, then sifts the item down.
  private siftUp(pos: number): void {
    const items = this.items;
    const endPos = items.length;
    const startPos = pos;
    const item = items[pos];
    let child = 2 * pos + 1;
    while (child < endPos) {
      const right = child + 1;
      if (right < endPos && !this.before(items[child], items[right])) child = right;
      items[pos] = items[child];
      pos = child;
      child = 2 * pos + 1;
    }
    items[pos] = item;
    this.siftDown(startPos, pos);
  }
}

export class TreeGrower {
  private readonly pool: HistogramPool;
  private readonly histogramLength: number;
  private readonly leaves: GrowerNode[] = [];
  private readonly heap = new SplitHeap();

  constructor(
    private readonly threads: KernelThreads,
    private readonly mapper: BinMapper,
    private readonly rules: SplitRules,
    private readonly limits: GrowthLimits,
  ) {
    this.histogramLength = rules.nFeatures * FEATURE_WIDTH;
    this.pool = new HistogramPool(this.histogramLength);
  }

  /**
   * Grows the tree of class `tree` (its gradients and raw predictions) on the current
   * gradients, appends it to `builder`, and adds its leaf values to the raw predictions.
   */
  grow(tree: number, builder: EnsembleBuilder): void {
    const n = this.threads.context.n;
    this.leaves.length = 0;
    const root = this.newNode(0, 0, n, 0, 0, 0);
    if (n < 2 * this.limits.minSamplesLeaf) {
      this.finalize(root);
    } else {
      const chunks = chunkCount(n);
      this.threads.run(OP.ROOT_HISTOGRAM, chunks, tree);
      const histogram = this.pool.take();
      this.sumChunks(histogram, chunks);
      const sums = this.threads.context.chunkSums;
      for (let c = 0; c < chunks; c++) {
        root.sumGradient += sums[2 * c];
        root.sumHessian += sums[2 * c + 1];
      }
      root.histogram = histogram;
      if (root.sumHessian < MIN_HESSIAN_TO_SPLIT) this.finalize(root);
      else this.findSplit(root);
    }
    while (this.heap.size > 0) this.splitNode(this.heap.pop());
    this.addLeafValues(tree);
    this.writeTree(root, builder);
  }

  private newNode(
    depth: number,
    start: number,
    end: number,
    set: number,
    sumGradient: number,
    sumHessian: number,
  ): GrowerNode {
    const value = depth === 0 ? 0 : nodeValue(sumGradient, sumHessian, this.rules.l2Regularization);
    return {
      depth,
      start,
      end,
      set,
      sumGradient,
      sumHessian,
      value,
      histogram: null,
      split: null,
      left: null,
      right: null,
    };
  }

  /** Queues `node` with its best split, or makes it a leaf when it has none. */
  private findSplit(node: GrowerNode): void {
    const histogram = node.histogram as Float64Array;
    node.split = findBestSplit(
      histogram,
      node.end - node.start,
      node.sumGradient,
      node.sumHessian,
      node.value,
      this.rules,
    );
    if (node.split === null) this.finalize(node);
    else this.heap.push(node);
  }

  private finalize(node: GrowerNode): void {
    this.leaves.push(node);
    this.release(node);
  }

  private release(node: GrowerNode): void {
    if (node.histogram === null) return;
    this.pool.give(node.histogram);
    node.histogram = null;
  }

  /**
   * Sums the per-chunk histograms into `out`, in chunk order, and subtracts the sum from
   * `minus` when given: one pass over the scratch histograms for both.
   */
  private sumChunks(out: Float64Array, chunks: number, minus: Float64Array | null = null): void {
    const [c0, c1, c2, c3] = this.threads.context.scratchHistograms;
    const length = this.histogramLength;
    // One loop per chunk count, so the inner loop has no branch and no loop over chunks.
    if (chunks === 1) out.set(c0.subarray(0, length));
    else if (chunks === 2) for (let j = 0; j < length; j++) out[j] = c0[j] + c1[j];
    else if (chunks === 3) for (let j = 0; j < length; j++) out[j] = c0[j] + c1[j] + c2[j];
    else for (let j = 0; j < length; j++) out[j] = c0[j] + c1[j] + c2[j] + c3[j];
    if (minus !== null) subtractInto(minus, out, length);
  }

  /** Splits a node taken from the heap (scikit-learn's TreeGrower.split_next). */
  private splitNode(node: GrowerNode): void {
    const split = node.split as SplitInfo;
    const { minSamplesLeaf, maxLeafNodes, maxDepth } = this.limits;
    const depth = node.depth + 1;
    const leafCount = this.leaves.length + this.heap.size + 2;
    const atLeafLimit = maxLeafNodes !== null && leafCount === maxLeafNodes;
    const atDepthLimit = maxDepth !== null && depth === maxDepth;
    const splitLeft = !atLeafLimit && !atDepthLimit && split.nLeft >= 2 * minSamplesLeaf;
    const splitRight = !atLeafLimit && !atDepthLimit && split.nRight >= 2 * minSamplesLeaf;
    const smallIsLeft = split.nLeft < split.nRight;
    // The smaller child's histogram is built while partitioning, when a child will need it.
    const side = splitLeft || splitRight ? (smallIsLeft ? 1 : 2) : 0;
    const mid = this.partition(node, split, side);

    const set = 1 - node.set;
    const left = this.newNode(depth, node.start, mid, set, split.sumGradientLeft, split.sumHessianLeft);
    const right = this.newNode(depth, mid, node.end, set, split.sumGradientRight, split.sumHessianRight);
    node.left = left;
    node.right = right;
    // Without missing values in training, unseen missing values follow the majority.
    if (!this.rules.hasMissing[split.feature]) split.missingGoToLeft = split.nLeft > split.nRight;

    if (side !== 0) {
      const small = smallIsLeft ? left : right;
      const large = smallIsLeft ? right : left;
      const chunks = chunkCount(node.end - node.start);
      small.histogram = this.pool.take();
      // The larger child's histogram is the parent's minus the smaller's, in the parent's buffer.
      const parent = node.histogram as Float64Array;
      this.sumChunks(small.histogram, chunks, parent);
      large.histogram = parent;
      node.histogram = null;
    } else {
      this.release(node);
    }
    if (atLeafLimit) {
      this.finalize(left);
      this.finalize(right);
      while (this.heap.size > 0) this.finalize(this.heap.items.pop() as GrowerNode);
      return;
    }
    if (splitLeft) this.findSplit(left);
    else this.finalize(left);
    if (splitRight) this.findSplit(right);
    else this.finalize(right);
  }

  /**
   * Partitions the node's rows into its children (left rows first, in the other row set) on all
   * threads, in two steps: count each chunk's left rows, then move every chunk's rows straight
   * to their final positions, building the histogram of the child on `side` (1 left, 2 right,
   * 0 none) into the chunk scratch histograms. Returns the position where the right child starts.
   */
  private partition(node: GrowerNode, split: SplitInfo, side: number): number {
    const { goLeft, chunkLeft, chunkTargets } = this.threads.context;
    for (let bin = 0; bin < 256; bin++) goLeft[bin] = bin <= split.binThreshold ? 1 : 0;
    goLeft[this.mapper.maxBins] = split.missingGoToLeft ? 1 : 0;
    const { start, end } = node;
    const chunks = chunkCount(end - start);
    this.threads.run(OP.SPLIT_COUNT, chunks, start, end, split.feature, node.set);
    // Left parts of every chunk, then right parts, each in chunk order: a stable partition.
    let left = start;
    for (let c = 0; c < chunks; c++) left += chunkLeft[c];
    const mid = left;
    left = start;
    let right = mid;
    for (let c = 0; c < chunks; c++) {
      chunkTargets[2 * c] = left;
      chunkTargets[2 * c + 1] = right;
      left += chunkLeft[c];
      right += chunkStart(start, end, c + 1, chunks) - chunkStart(start, end, c, chunks) - chunkLeft[c];
    }
    this.threads.run(OP.SPLIT_MOVE, chunks, start, end, node.set, side);
    return mid;
  }

  /** Adds every leaf's value (learning rate applied) to the raw predictions of its rows. */
  private addLeafValues(tree: number): void {
    const leaves = this.leaves;
    if (leaves.length === 1) return; // a single leaf is the root, whose value is 0
    const { leafStart, leafValue, leafSet, n } = this.threads.context;
    leaves.sort((a, b) => a.start - b.start);
    for (let j = 0; j < leaves.length; j++) {
      leafStart[j] = leaves[j].start;
      leafValue[j] = leaves[j].value * this.limits.learningRate;
      leafSet[j] = leaves[j].set;
    }
    leafStart[leaves.length] = n;
    this.threads.run(OP.ADD_LEAVES, elementChunkCount(n), leaves.length, tree);
  }

  /** Appends the tree to `builder` in depth-first preorder, left child first (scikit-learn's node order). */
  private writeTree(root: GrowerNode, builder: EnsembleBuilder): void {
    const { thresholds, nonMissingBins } = this.mapper;
    const stack: { node: GrowerNode; parent: number; isLeft: boolean }[] = [{ node: root, parent: LEAF, isLeft: true }];
    const leftChildOf = new Map<number, number>();
    while (stack.length > 0) {
      const { node, parent, isLeft } = stack.pop() as { node: GrowerNode; parent: number; isLeft: boolean };
      let id: number;
      if (node.left === null || node.right === null) {
        id = builder.addNode(LEAF, 0, false, node.value * this.limits.learningRate);
      } else {
        const split = node.split as SplitInfo;
        const f = split.feature;
        // The last non-missing bin going left means "all present values go left": threshold +∞.
        const threshold = split.binThreshold === nonMissingBins[f] - 1 ? Infinity : thresholds[f][split.binThreshold];
        id = builder.addNode(f, threshold, split.missingGoToLeft, 0);
        stack.push({ node: node.right, parent: id, isLeft: false }, { node: node.left, parent: id, isLeft: true });
      }
      if (parent === LEAF) continue;
      if (isLeft) leftChildOf.set(parent, id);
      else builder.setChildren(parent, leftChildOf.get(parent) as number, id);
    }
    builder.endTree();
  }
}

/** a[j] −= b[j] for j < length. */
function subtractInto(a: Float64Array, b: Float64Array, length: number): void {
  for (let j = 0; j < length; j++) a[j] -= b[j];
}
