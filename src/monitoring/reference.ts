import type { FeatureReference, ReferenceProfile, SignatureColumn, Table } from '../core/index.js';

const NUMERIC_BINS = 10;

/**
 * Summarises the training data of every input feature: quantile bin edges and shares for
 * numeric features, category shares for the others. Stored in the model package; drift is
 * computed against it without the training data.
 */
export function buildReference(table: Table, inputs: readonly SignatureColumn[]): ReferenceProfile {
  const features = inputs.map((input): FeatureReference => {
    const column = table.columns.find((c) => c.name === input.name);
    if (!column) throw new Error(`reference: no column "${input.name}" in the training table`);
    if (column.kind === 'number') {
      const present = Array.from(column.values).filter((v) => !Number.isNaN(v));
      const sorted = Float64Array.from(present).sort();
      const edges: number[] = [];
      for (let b = 1; b < NUMERIC_BINS; b++) {
        const edge = quantileSorted(sorted, b / NUMERIC_BINS);
        // Equal edges (many ties) would make empty bins; keep each edge once.
        if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
      }
      const counts = binCounts(present, edges);
      return {
        name: input.name,
        kind: 'numeric',
        edges,
        shares: counts.map((c) => (present.length ? c / present.length : 0)),
        missingShare: table.rows ? (table.rows - present.length) / table.rows : 0,
      };
    }
    const counts = new Map<string, number>();
    let missing = 0;
    for (const value of column.values) {
      if (value === null) missing++;
      else counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    const present = table.rows - missing;
    const shares: Record<string, number> = {};
    for (const [value, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      shares[value] = count / present;
    }
    return { name: input.name, kind: 'categorical', shares, missingShare: table.rows ? missing / table.rows : 0 };
  });
  return { rows: table.rows, features };
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

/** Linear interpolation between closest ranks, as NumPy's default. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
