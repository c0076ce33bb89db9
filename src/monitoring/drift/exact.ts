import { quantileSorted, sortedBinCounts } from '../reference.js';
import { populationStabilityIndex } from './stats/psi.js';

/**
 * PSI of two numeric samples given ascending without NaN, as the `psi` method computes it
 * (`driftOfColumns`): over the reference's deciles (numpy's linear quantiles, each edge once,
 * bins (-inf, e₀], …, (e_last, +inf)), missing values as one more bin, shares floored at 1e-4.
 * Counting a sorted sample costs one binary search per edge, not one per value.
 */
export function psiSorted(
  reference: Float64Array,
  current: Float64Array,
  referenceMissing = 0,
  currentMissing = 0,
): number {
  const edges: number[] = [];
  for (let b = 1; b < 10; b++) {
    const edge = quantileSorted(reference, b / 10);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  const referenceRows = reference.length + referenceMissing;
  const currentRows = current.length + currentMissing;
  const shares = (sorted: Float64Array, missing: number, rows: number) => [
    ...sortedBinCounts(sorted, edges).map((c) => (sorted.length ? (c / sorted.length) * (1 - missing / rows) : 0)),
    rows ? missing / rows : 0,
  ];
  return populationStabilityIndex(
    shares(reference, referenceMissing, referenceRows),
    shares(current, currentMissing, currentRows),
  );
}
