/**
 * Split criteria for CART. Each scans one feature's presorted samples in a single pass,
 * updating its statistics in O(1) per sample, and ranks candidate splits by scikit-learn's
 * "proxy improvement": a quantity that orders splits like the impurity decrease but is
 * cheaper to compute. The builder calls a criterion once per (node, feature), so the
 * interface dispatch never sits in the per-sample loop.
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

/** Class counts of the current node, shared by the classification criteria. */
abstract class ClassCountCriterion implements SplitCriterion {
  readonly nValues: number;
  protected readonly total: Float64Array;
  protected readonly left: Float64Array;
  protected readonly right: Float64Array;

  constructor(
    protected readonly y: Int32Array,
    nClasses: number,
  ) {
    this.nValues = nClasses;
    this.total = new Float64Array(nClasses);
    this.left = new Float64Array(nClasses);
    this.right = new Float64Array(nClasses);
  }

  startNode(order: Uint32Array, from: number, to: number, value: Float64Array, valueOffset: number): number {
    const { total, y } = this;
    total.fill(0);
    for (let i = from; i < to; i++) total[y[order[i]]]++;
    const n = to - from;
    for (let c = 0; c < total.length; c++) value[valueOffset + c] = total[c] / n;
    return this.impurity(n);
  }

  /** Impurity of the current node from `total`. */
  protected abstract impurity(n: number): number;

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
 * Gini impurity 1 − Σ pₖ². Proxy: Σ Lₖ²/n_L + Σ Rₖ²/n_R, whose sums of squares change by
 * 2·count ± 1 when one sample moves from right to left.
 */
export class GiniCriterion extends ClassCountCriterion {
  protected impurity(n: number): number {
    let sumSquares = 0;
    for (let c = 0; c < this.total.length; c++) sumSquares += this.total[c] * this.total[c];
    return 1 - sumSquares / (n * n);
  }

  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean {
    const { y, left, right, total } = this;
    left.fill(0);
    right.set(total);
    let squaresLeft = 0;
    let squaresRight = 0;
    for (let c = 0; c < total.length; c++) squaresRight += total[c] * total[c];
    const n = to - from;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      const c = y[order[i]];
      squaresLeft += 2 * left[c] + 1;
      left[c]++;
      squaresRight -= 2 * right[c] - 1;
      right[c]--;
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      const nRight = n - nLeft;
      if (nRight < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const proxy = squaresLeft / nLeft + squaresRight / nRight;
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
 * Shannon entropy in bits. Proxy: Σ Lₖ ln Lₖ − n_L ln n_L + (same for the right), kept
 * incrementally with a table of m·ln m so the scan takes no logarithms.
 */
export class EntropyCriterion extends ClassCountCriterion {
  private readonly xlogx: Float64Array;

  constructor(y: Int32Array, nClasses: number) {
    super(y, nClasses);
    this.xlogx = new Float64Array(y.length + 1);
    for (let m = 1; m <= y.length; m++) this.xlogx[m] = m * Math.log(m);
  }

  protected impurity(n: number): number {
    let entropy = 0;
    for (let c = 0; c < this.total.length; c++) {
      const share = this.total[c] / n;
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
    const { y, left, right, total, xlogx } = this;
    left.fill(0);
    right.set(total);
    let sumLeft = 0;
    let sumRight = 0;
    for (let c = 0; c < total.length; c++) sumRight += xlogx[total[c]];
    const n = to - from;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      const c = y[order[i]];
      const l = left[c];
      const r = right[c];
      sumLeft += xlogx[l + 1] - xlogx[l];
      sumRight += xlogx[r - 1] - xlogx[r];
      left[c] = l + 1;
      right[c] = r - 1;
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      const nRight = n - nLeft;
      if (nRight < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const proxy = sumLeft - xlogx[nLeft] + sumRight - xlogx[nRight];
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.position = i + 1;
        moved = true;
      }
    }
    return moved;
  }
}

/** Variance (squared error) for regression. Proxy: S_L²/n_L + S_R²/n_R with S the sum of targets. */
export class SquaredErrorCriterion implements SplitCriterion {
  readonly nValues = 1;
  private sum = 0;

  constructor(private readonly y: Float64Array) {}

  startNode(order: Uint32Array, from: number, to: number, value: Float64Array, valueOffset: number): number {
    const { y } = this;
    let sum = 0;
    let sumSquares = 0;
    for (let i = from; i < to; i++) {
      const v = y[order[i]];
      sum += v;
      sumSquares += v * v;
    }
    const n = to - from;
    const mean = sum / n;
    this.sum = sum;
    value[valueOffset] = mean;
    return sumSquares / n - mean * mean;
  }

  scan(
    order: Uint32Array,
    sorted: Float32Array,
    from: number,
    to: number,
    minLeaf: number,
    best: SplitCandidate,
  ): boolean {
    const { y } = this;
    const n = to - from;
    let sumLeft = 0;
    let moved = false;
    for (let i = from; i < to - 1; i++) {
      sumLeft += y[order[i]];
      const nLeft = i + 1 - from;
      if (nLeft < minLeaf) continue;
      const nRight = n - nLeft;
      if (nRight < minLeaf) break;
      if (sorted[i + 1] <= sorted[i] + FEATURE_THRESHOLD) continue;
      const sumRight = this.sum - sumLeft;
      const proxy = (sumLeft * sumLeft) / nLeft + (sumRight * sumRight) / nRight;
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.position = i + 1;
        moved = true;
      }
    }
    return moved;
  }
}
