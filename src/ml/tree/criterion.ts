/**
 * Split criteria for CART. Each scans one feature's presorted samples in a single pass,
 * updating its statistics in O(1) per sample, and ranks candidate splits by scikit-learn's
 * "proxy improvement": a quantity that orders splits like the impurity decrease but is
 * cheaper to compute. The builder calls a criterion once per (node, feature), so the
 * interface dispatch never sits in the per-sample loop.
 *
 * Samples carry weights: all 1 for a single tree, bootstrap counts in a random forest (a sample
 * drawn twice weighs 2, as scikit-learn's forests pass counts as sample_weight). Statistics
 * (class frequencies, impurity, proxies) are weighted; minSamplesLeaf counts distinct samples,
 * as in scikit-learn. Weights are whole numbers, so every weighted sum below is exact.
 */

/** Values closer than this are treated as equal: no threshold is placed between them (as in scikit-learn). */
export const FEATURE_THRESHOLD = 1e-7;

/** The best split found so far at the current node. */
export interface SplitCandidate {
  proxy: number;
  /** Absolute index into the sorted arrays of the first sample that goes right. */
  position: number;
}

export interface SplitCriterion {
  /** Values stored per node. */
  readonly nValues: number;
  /** Total weight of the current node's samples, set by startNode. */
  readonly nodeWeight: number;
  /**
   * Makes the node holding samples order[from … to) current; writes its value at
   * value[valueOffset …] and returns its impurity.
   */
  startNode(order: Uint32Array, from: number, to: number, value: Float64Array, valueOffset: number): number;
  /**
   * Scans order[from … to) (one feature's samples of the current node, sorted by `sorted`)
   * and moves `best` to any split with a larger proxy and at least `minLeaf` samples per side.
   * Returns whether `best` moved.
   */
  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean;
}

/** Unit weights for `n` samples. */
export function unitWeights(n: number): Float64Array {
  return new Float64Array(n).fill(1);
}

/** Class weights of the current node, shared by the classification criteria. */
abstract class ClassCountCriterion implements SplitCriterion {
  readonly nValues: number;
  nodeWeight = 0;
  protected readonly total: Float64Array;
  protected readonly left: Float64Array;
  protected readonly right: Float64Array;

  constructor(
    protected readonly y: Int32Array,
    nClasses: number,
    /** Weight of each sample, indexed like y. */
    protected readonly weights: Float64Array,
  ) {
    this.nValues = nClasses;
    this.total = new Float64Array(nClasses);
    this.left = new Float64Array(nClasses);
    this.right = new Float64Array(nClasses);
  }

  startNode(order: Uint32Array, from: number, to: number, value: Float64Array, valueOffset: number): number {
    const { total, y, weights } = this;
    total.fill(0);
    let weight = 0;
    for (let i = from; i < to; i++) {
      const sample = order[i];
      const w = weights[sample];
      total[y[sample]] += w;
      weight += w;
    }
    this.nodeWeight = weight;
    for (let c = 0; c < total.length; c++) value[valueOffset + c] = total[c] / weight;
    return this.impurity(weight);
  }

  /** Impurity of the current node from `total`, whose weights sum to `weight`. */
  protected abstract impurity(weight: number): number;

  abstract scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean;
}

/**
 * Gini impurity 1 − Σ pₖ². Proxy: Σ Lₖ²/w_L + Σ Rₖ²/w_R, whose sums of squares change by
 * w·(2·count ± w) when a sample of weight w moves from right to left.
 */
export class GiniCriterion extends ClassCountCriterion {
  protected impurity(weight: number): number {
    let sumSquares = 0;
    for (let c = 0; c < this.total.length; c++) sumSquares += this.total[c] * this.total[c];
    return 1 - sumSquares / (weight * weight);
  }

  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean {
    const { y, weights, left, right, total, nodeWeight } = this;
    left.fill(0);
    right.set(total);
    let squaresLeft = 0;
    let squaresRight = 0;
    for (let c = 0; c < total.length; c++) squaresRight += total[c] * total[c];
    const n = to - from;
    let weightLeft = 0;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      const sample = order[i];
      const c = y[sample];
      const w = weights[sample];
      squaresLeft += w * (2 * left[c] + w);
      left[c] += w;
      squaresRight -= w * (2 * right[c] - w);
      right[c] -= w;
      weightLeft += w;
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      if (n - nLeft < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const proxy = squaresLeft / weightLeft + squaresRight / (nodeWeight - weightLeft);
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.position = i + 1;
        moved = true;
      }
    }
    return moved;
  }
}

/**
 * Shannon entropy in bits. Proxy: Σ Lₖ ln Lₖ − w_L ln w_L + (same for the right), kept
 * incrementally with a table of m·ln m for whole m so the scan takes no logarithms.
 */
export class EntropyCriterion extends ClassCountCriterion {
  private readonly xlogx: Float64Array;

  constructor(y: Int32Array, nClasses: number, weights: Float64Array) {
    super(y, nClasses, weights);
    let totalWeight = 0;
    for (let i = 0; i < weights.length; i++) totalWeight += weights[i];
    this.xlogx = new Float64Array(totalWeight + 1);
    for (let m = 1; m <= totalWeight; m++) this.xlogx[m] = m * Math.log(m);
  }

  protected impurity(weight: number): number {
    let entropy = 0;
    for (let c = 0; c < this.total.length; c++) {
      const share = this.total[c] / weight;
      if (share > 0) entropy -= share * Math.log2(share);
    }
    return entropy;
  }

  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean {
    const { y, weights, left, right, total, xlogx, nodeWeight } = this;
    left.fill(0);
    right.set(total);
    let sumLeft = 0;
    let sumRight = 0;
    for (let c = 0; c < total.length; c++) sumRight += xlogx[total[c]];
    const n = to - from;
    let weightLeft = 0;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      const sample = order[i];
      const c = y[sample];
      const w = weights[sample];
      const l = left[c];
      const r = right[c];
      sumLeft += xlogx[l + w] - xlogx[l];
      sumRight += xlogx[r - w] - xlogx[r];
      left[c] = l + w;
      right[c] = r - w;
      weightLeft += w;
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      if (n - nLeft < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const proxy = sumLeft - xlogx[weightLeft] + sumRight - xlogx[nodeWeight - weightLeft];
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.position = i + 1;
        moved = true;
      }
    }
    return moved;
  }
}

/** Variance (squared error) for regression. Proxy: S_L²/w_L + S_R²/w_R with S the weighted sum of targets. */
export class SquaredErrorCriterion implements SplitCriterion {
  readonly nValues = 1;
  nodeWeight = 0;
  private sum = 0;

  constructor(
    private readonly y: Float64Array,
    private readonly weights: Float64Array,
  ) {}

  startNode(order: Uint32Array, from: number, to: number, value: Float64Array, valueOffset: number): number {
    const { y, weights } = this;
    let sum = 0;
    let sumSquares = 0;
    let weight = 0;
    for (let i = from; i < to; i++) {
      const sample = order[i];
      const w = weights[sample];
      const v = y[sample];
      sum += w * v;
      sumSquares += w * v * v;
      weight += w;
    }
    const mean = sum / weight;
    this.sum = sum;
    this.nodeWeight = weight;
    value[valueOffset] = mean;
    return sumSquares / weight - mean * mean;
  }

  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean {
    const { y, weights, nodeWeight } = this;
    const n = to - from;
    let sumLeft = 0;
    let weightLeft = 0;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      const sample = order[i];
      const w = weights[sample];
      sumLeft += w * y[sample];
      weightLeft += w;
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      if (n - nLeft < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const sumRight = this.sum - sumLeft;
      const proxy = (sumLeft * sumLeft) / weightLeft + (sumRight * sumRight) / (nodeWeight - weightLeft);
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.position = i + 1;
        moved = true;
      }
    }
    return moved;
  }
}
