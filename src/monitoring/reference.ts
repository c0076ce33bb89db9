import type { FeatureReference, ReferenceProfile, SignatureColumn, Table } from '../core/index.js';

/** Decile bins: what PSI and the numeric Jensen-Shannon distance are computed over. */
const NUMERIC_BINS = 10;
/** Percentile bins: what the incremental KS and Wasserstein approximations walk. */
const FINE_BINS = 100;
/** Distinct values are counted up to this: Evidently's rule only asks "at most 5?". */
const DISTINCT_CAP = 6;

type NumericReference = Extract<FeatureReference, { kind: 'numeric' }>;
type CategoricalReference = Extract<FeatureReference, { kind: 'categorical' }>;

/**
 * Summarises the training data of every input feature: quantile bin edges and shares for
 * numeric features, category shares for the others. Stored in the model package; drift is
 * computed against it without the training data.
 */
export function buildReference(table: Table, inputs: readonly SignatureColumn[]): ReferenceProfile {
  const features = inputs.map((input): FeatureReference => {
    const column = table.columns.find((c) => c.name === input.name);
    if (!column) throw new Error(`reference: no column "${input.name}" in the training table`);
    return column.kind === 'number'
      ? numericReference(input.name, column.values)
      : categoricalReference(input.name, column.values);
  });
  return { rows: table.rows, features };
}

/** The reference of one numeric column (NaN is missing). */
export function numericReference(name: string, values: Float64Array): NumericReference {
  const sorted = sortedPresent(values);
  return numericReferenceOfSorted(name, sorted, values.length - sorted.length);
}

/** Non-missing values, ascending: what every numeric statistic starts from. */
export function sortedPresent(values: Float64Array): Float64Array {
  let present = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) present++;
  const out = new Float64Array(present);
  if (present === values.length) out.set(values);
  else for (let i = 0, k = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[k++] = values[i];
  return out.sort();
}

/** The reference of ascending non-missing values plus a count of missing ones. */
export function numericReferenceOfSorted(name: string, sorted: Float64Array, missing: number): NumericReference {
  const n = sorted.length;
  const rows = n + missing;
  const edges = quantileEdges(sorted, NUMERIC_BINS);
  const fineEdges = mergeEdges(quantileEdges(sorted, FINE_BINS), edges);
  const sharesOf = (e: readonly number[]) => sortedBinCounts(sorted, e).map((c) => (n ? c / n : 0));
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i];
  mean /= n || 1;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (sorted[i] - mean) ** 2;
  let distinct = n > 0 ? 1 : 0;
  for (let i = 1; i < n && distinct < DISTINCT_CAP; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return {
    name,
    kind: 'numeric',
    edges,
    shares: sharesOf(edges),
    missingShare: rows ? missing / rows : 0,
    fineEdges,
    fineShares: sharesOf(fineEdges),
    count: n,
    distinct,
    ...(n > 0 ? { mean, std: Math.sqrt(squares / n), min: sorted[0], max: sorted[n - 1] } : {}),
  };
}

/** The reference of one text column (null is missing): category shares in code-unit order. */
export function categoricalReference(name: string, values: ReadonlyArray<string | null>): CategoricalReference {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (value === null) missing++;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const present = values.length - missing;
  const shares: Record<string, number> = {};
  for (const [value, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    shares[value] = count / present;
  }
  return {
    name,
    kind: 'categorical',
    shares,
    missingShare: values.length ? missing / values.length : 0,
    count: present,
  };
}

/** Inner edges at the 1/bins … (bins−1)/bins quantiles, each once (ties would make empty bins). */
function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let b = 1; b < bins; b++) {
    const edge = quantileSorted(sorted, b / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** The ascending union of two ascending edge lists, each value once. */
function mergeEdges(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** Counts per bin of ascending values: one binary search per edge, not per value. */
export function sortedBinCounts(sorted: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1);
  let previous = 0;
  for (let b = 0; b < edges.length; b++) {
    const upTo = upperBound(sorted, edges[b]);
    counts[b] = upTo - previous;
    previous = upTo;
  }
  counts[edges.length] = sorted.length - previous;
  return counts;
}

/** Index of the first value > x in ascending `sorted`. */
export function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Count of values in each bin (-inf, e0], (e0, e1], …, (e_last, +inf). */
export function binCounts(values: Iterable<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= edges[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  return counts;
}

/**
 * Linear interpolation between closest ranks, as NumPy's default, to the bit: NumPy
 * interpolates from the upper neighbour when the weight is ≥ 0.5.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
