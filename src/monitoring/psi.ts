import type { FeatureReference } from '../core/index.js';
import { DriftSketch, driftMethods } from './drift/index.js';

/**
 * Population stability index of `values` against a reference feature: Σ (current − reference)
 * · ln(current / reference) over the reference's decile bins (categories + unseen for a
 * categorical), with missing values as one more bin; empty bins floored at 1e-4. The drift
 * engine's `psi` method on a sketch of `values`.
 */
export function psi(reference: FeatureReference, values: readonly unknown[]): number {
  const sketch = new DriftSketch(reference);
  for (const value of values) sketch.add(value);
  return driftMethods.psi.binned({
    reference,
    layout: sketch.layout,
    counts: sketch.counts,
    referenceCount: reference.count ?? 0,
  }).statistic;
}
