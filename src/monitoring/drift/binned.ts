import type { FeatureReference } from '../../core/index.js';
import type { BinLayout, NumericBinLayout } from './bins.js';

type NumericReference = Extract<FeatureReference, { kind: 'numeric' }>;

/**
 * A feature's reference and current counts over the same bins: what every statistic of the
 * incremental path, and the bin-based ones of the exact path, are computed from.
 */
export interface BinnedFeature {
  readonly reference: FeatureReference;
  readonly layout: BinLayout;
  /** Current counts in `layout` order (missing and unseen bins included). */
  readonly counts: ArrayLike<number>;
  /** Non-missing reference values (the n of the reference sample in KS). */
  readonly referenceCount: number;
}

/** Non-missing reference values: stored since fine bins; estimated from rows before. */
export function referenceCount(reference: FeatureReference, rows: number): number {
  return reference.count ?? Math.round(rows * (1 - reference.missingShare));
}

/** Current values counted, and those not missing. */
export function currentRows(binned: BinnedFeature): { rows: number; present: number } {
  let rows = 0;
  for (let i = 0; i < binned.counts.length; i++) rows += binned.counts[i];
  return { rows, present: rows - binned.counts[binned.layout.missingBin] };
}

/**
 * Expected and actual shares over the bins PSI and the Jensen-Shannon distance compare:
 * numeric features over the reference's decile bins (fine bins for a feature of at most five
 * values, whose values each have a bin), categorical ones over categories + unseen; missing
 * values are one more bin on both sides.
 */
export function shareVectors(
  binned: BinnedFeature,
  fineForDiscrete: boolean,
): { expected: number[]; actual: number[] } {
  const { reference, layout, counts } = binned;
  const { rows } = currentRows(binned);
  const presentShare = 1 - reference.missingShare;
  const actualOf = (c: number) => (rows ? c / rows : 0);
  if (reference.kind === 'categorical') {
    if (layout.kind !== 'categorical') throw new Error('binned: layout does not match the reference');
    const expected = layout.categories.map((c) => reference.shares[c] * presentShare);
    expected.push(0, reference.missingShare);
    return { expected, actual: Array.from(counts, actualOf) };
  }
  if (layout.kind !== 'numeric') throw new Error('binned: layout does not match the reference');
  const discrete = fineForDiscrete && reference.distinct !== undefined && reference.distinct <= 5;
  const valueShares = discrete ? fineShares(reference) : reference.shares;
  const valueCounts = discrete ? Array.from(counts).slice(0, layout.missingBin) : coarseCounts(layout, counts);
  const expected = valueShares.map((s) => s * presentShare);
  expected.push(reference.missingShare);
  const actual = valueCounts.map(actualOf);
  actual.push(actualOf(counts[layout.missingBin]));
  return { expected, actual };
}

/** The reference shares of the sketch's value bins. */
export function fineShares(reference: NumericReference): readonly number[] {
  return reference.fineEdges && reference.fineShares ? reference.fineShares : reference.shares;
}

function coarseCounts(layout: NumericBinLayout, counts: ArrayLike<number>): number[] {
  const out = new Array<number>(layout.coarseSize).fill(0);
  for (let b = 0; b < layout.missingBin; b++) out[layout.coarseOf[b]] += counts[b];
  return out;
}

/**
 * Observed counts and expected counts (reference shares × current present values) over the
 * value cells of a chi-square test: categories + unseen, or a numeric feature's fine bins.
 * Missing values are not a cell: missing rates are watched as serving skew.
 */
export function chiSquareCells(binned: BinnedFeature): { observed: number[]; expected: number[] } {
  const { reference, layout, counts } = binned;
  const { present } = currentRows(binned);
  const observed = Array.from(counts).slice(0, layout.missingBin);
  const shares =
    reference.kind === 'categorical' && layout.kind === 'categorical'
      ? [...layout.categories.map((c) => reference.shares[c]), 0]
      : fineShares(reference as NumericReference);
  return { observed, expected: shares.map((s) => s * present) };
}

/**
 * The largest gap between the reference and current CDFs of the non-missing values, at the
 * edges of the value bins: the KS statistic of the binned data, ≤ the exact one (equal when
 * every distinct value has its own bin, as for integer features with few values).
 */
export function binnedKsStatistic(binned: BinnedFeature): number {
  const reference = binned.reference as NumericReference;
  const shares = fineShares(reference);
  const { present } = currentRows(binned);
  let referenceCdf = 0;
  let currentCdf = 0;
  let max = 0;
  for (let b = 0; b < shares.length - 1; b++) {
    referenceCdf += shares[b];
    currentCdf += binned.counts[b] / present;
    max = Math.max(max, Math.abs(referenceCdf - currentCdf));
  }
  return max;
}

/**
 * W₁ between the binned distributions: ∫ |F_ref − F_cur| dx with both CDFs linear inside each
 * bin (values spread evenly over it), integrated exactly per bin over the fine edges, the outer
 * bins bounded by the reference's min and max. Current values beyond the reference's range count
 * as if at its ends, so far-out shifts are underestimated — still far above any threshold.
 * References written before min/max were stored bound the outer bins by their outermost edges.
 */
export function binnedWasserstein(binned: BinnedFeature): { distance: number; referenceStd: number } {
  const reference = binned.reference as NumericReference;
  const shares = fineShares(reference);
  const edges = reference.fineEdges && reference.fineShares ? reference.fineEdges : reference.edges;
  const points = binPoints(reference, edges);
  const { present } = currentRows(binned);
  let distance = 0;
  let referenceCdf = 0;
  let currentCdf = 0;
  let previousGap = 0;
  for (let b = 0; b < shares.length; b++) {
    referenceCdf += shares[b];
    currentCdf += binned.counts[b] / present;
    const gap = b === shares.length - 1 ? 0 : referenceCdf - currentCdf;
    distance += linearAbsIntegral(previousGap, gap, points[b + 1] - points[b]);
    previousGap = gap;
  }
  return { distance, referenceStd: reference.std ?? binnedStd(points, shares) };
}

/** min, the inner edges, max: the ends of each value bin. */
function binPoints(reference: NumericReference, edges: readonly number[]): number[] {
  const first = edges.length ? edges[0] : (reference.min ?? 0);
  const last = edges.length ? edges[edges.length - 1] : (reference.max ?? 0);
  return [Math.min(reference.min ?? first, first), ...edges, Math.max(reference.max ?? last, last)];
}

/** ∫₀ʷ |d₀ + (d₁ − d₀) t / w| dt. */
function linearAbsIntegral(d0: number, d1: number, width: number): number {
  if (width <= 0) return 0;
  if (d0 * d1 >= 0) return ((Math.abs(d0) + Math.abs(d1)) / 2) * width;
  return ((d0 * d0 + d1 * d1) / (2 * (Math.abs(d0) + Math.abs(d1)))) * width;
}

/** Standard deviation of the piecewise-uniform distribution the bins describe. */
function binnedStd(points: readonly number[], shares: readonly number[]): number {
  let mean = 0;
  let second = 0;
  for (let b = 0; b < shares.length; b++) {
    const a = points[b];
    const z = points[b + 1];
    mean += shares[b] * ((a + z) / 2);
    second += shares[b] * ((a * a + a * z + z * z) / 3);
  }
  return Math.sqrt(Math.max(0, second - mean * mean));
}
