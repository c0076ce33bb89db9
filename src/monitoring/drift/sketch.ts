import type { FeatureReference } from '../../core/index.js';
import { binLayout, binOf, type BinLayout } from './bins.js';

/**
 * A mergeable drift sketch of one feature: counts over the fixed bins of its reference (see
 * `binLayout` for the order), so memory is O(bins) however much traffic it sees. Its whole
 * state is `counts`, a plain array of numbers: sketches of two minutes merge by adding their
 * arrays element-wise (`mergeCounts`), which is how a sliding window is made from per-minute
 * rows in the metadata store.
 */
export class DriftSketch {
  readonly layout: BinLayout;
  readonly counts: number[];

  constructor(reference: FeatureReference, counts?: readonly number[]) {
    this.layout = binLayout(reference);
    if (counts && counts.length !== this.layout.size) {
      throw new RangeError(`drift sketch of "${reference.name}": ${counts.length} counts for ${this.layout.size} bins`);
    }
    this.counts = counts ? [...counts] : new Array<number>(this.layout.size).fill(0);
  }

  /** Counts one value: a binary search (numeric) or a map lookup (categorical), no allocation. */
  add(value: unknown): void {
    this.counts[binOf(this.layout, value)]++;
  }

  /** Values counted, missing ones included. */
  get rows(): number {
    let total = 0;
    for (const c of this.counts) total += c;
    return total;
  }
}

/** Element-wise sum of count arrays of the same bins: the sketch of all their values. */
export function mergeCounts(...arrays: ReadonlyArray<ArrayLike<number>>): number[] {
  if (arrays.length === 0) return [];
  const size = arrays[0].length;
  const out = new Array<number>(size).fill(0);
  for (const counts of arrays) {
    if (counts.length !== size) throw new RangeError(`mergeCounts: ${counts.length} counts, expected ${size}`);
    for (let i = 0; i < size; i++) out[i] += counts[i];
  }
  return out;
}
