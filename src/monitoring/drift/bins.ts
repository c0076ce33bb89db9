import type { FeatureReference } from '../../core/index.js';

/**
 * The fixed bins of one feature's drift sketch, derived from its reference alone, so the
 * serving side and this module agree on them without storing anything else. Bin order:
 *
 * - numeric: value bins (-inf, e₀], (e₀, e₁], …, (e_last, +inf) over `fineEdges` (or `edges` in
 *   a reference written before fine bins), then one bin for missing values (null, NaN, non-numbers);
 * - categorical: the reference's categories in code-unit order (`Object.keys(shares).sort()`),
 *   then one bin for categories the reference never saw, then one for missing values.
 */
export type BinLayout = NumericBinLayout | CategoricalBinLayout;

export interface NumericBinLayout {
  readonly feature: string;
  readonly kind: 'numeric';
  /** Inner edges of the value bins, ascending. */
  readonly edges: Float64Array;
  /** Value bins (edges.length + 1) plus the missing bin. */
  readonly size: number;
  readonly missingBin: number;
  /** For each value bin, the decile bin (reference `edges`) holding it: PSI and JS use deciles. */
  readonly coarseOf: Int32Array;
  /** Number of decile bins (edges.length + 1 of the reference). */
  readonly coarseSize: number;
}

export interface CategoricalBinLayout {
  readonly feature: string;
  readonly kind: 'categorical';
  readonly categories: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly size: number;
  readonly unseenBin: number;
  readonly missingBin: number;
}

const cache = new WeakMap<FeatureReference, BinLayout>();

/** The bins of a reference feature (computed once per reference object). */
export function binLayout(reference: FeatureReference): BinLayout {
  const known = cache.get(reference);
  if (known) return known;
  const layout = reference.kind === 'numeric' ? numericLayout(reference) : categoricalLayout(reference);
  cache.set(reference, layout);
  return layout;
}

function numericLayout(reference: Extract<FeatureReference, { kind: 'numeric' }>): NumericBinLayout {
  const fine = reference.fineEdges && reference.fineShares ? reference.fineEdges : reference.edges;
  const edges = Float64Array.from(fine);
  const coarseOf = new Int32Array(edges.length + 1);
  // Fine bin b is (edges[b−1], edges[b]]: its decile bin is the first decile edge ≥ edges[b].
  let coarse = 0;
  for (let b = 0; b < edges.length; b++) {
    while (coarse < reference.edges.length && reference.edges[coarse] < edges[b]) coarse++;
    coarseOf[b] = coarse;
  }
  coarseOf[edges.length] = reference.edges.length;
  return {
    feature: reference.name,
    kind: 'numeric',
    edges,
    size: edges.length + 2,
    missingBin: edges.length + 1,
    coarseOf,
    coarseSize: reference.edges.length + 1,
  };
}

function categoricalLayout(reference: Extract<FeatureReference, { kind: 'categorical' }>): CategoricalBinLayout {
  const categories = Object.keys(reference.shares).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    feature: reference.name,
    kind: 'categorical',
    categories,
    index: new Map(categories.map((c, i) => [c, i])),
    size: categories.length + 2,
    unseenBin: categories.length,
    missingBin: categories.length + 1,
  };
}

/** The bin of a numeric value: a binary search over the edges, no allocation. */
export function numericBin(layout: NumericBinLayout, value: number): number {
  if (Number.isNaN(value)) return layout.missingBin;
  const edges = layout.edges;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The bin of any value as serving receives it (a number, a string, null, undefined, …). */
export function binOf(layout: BinLayout, value: unknown): number {
  if (value === null || value === undefined) return layout.missingBin;
  if (layout.kind === 'numeric') return typeof value === 'number' ? numericBin(layout, value) : layout.missingBin;
  const key = typeof value === 'string' ? value : String(value);
  return layout.index.get(key) ?? layout.unseenBin;
}
