import type { FeatureReference } from '../core/index.js';
import { binCounts } from './reference.js';

/**
 * Population stability index of `values` against a reference feature:
 * Σ (current − reference) · ln(current / reference) over the reference's bins, with missing
 * values as one more bin. Empty bins are floored at a small share so one unseen bin does not
 * make the index infinite (the usual practice, as in Evidently).
 */
const MIN_SHARE = 1e-4;

export function psi(reference: FeatureReference, values: readonly unknown[]): number {
  const { expected, actual } =
    reference.kind === 'numeric' ? numericShares(reference, values) : categoricalShares(reference, values);
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], MIN_SHARE);
    const a = Math.max(actual[i], MIN_SHARE);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

function numericShares(reference: Extract<FeatureReference, { kind: 'numeric' }>, values: readonly unknown[]) {
  const present: number[] = [];
  for (const v of values) if (typeof v === 'number' && !Number.isNaN(v)) present.push(v);
  const missingShare = values.length ? (values.length - present.length) / values.length : 0;
  const counts = binCounts(present, reference.edges);
  const presentShare = 1 - reference.missingShare;
  return {
    expected: [...reference.shares.map((s) => s * presentShare), reference.missingShare],
    actual: [...counts.map((c) => (present.length ? (c / present.length) * (1 - missingShare) : 0)), missingShare],
  };
}

function categoricalShares(reference: Extract<FeatureReference, { kind: 'categorical' }>, values: readonly unknown[]) {
  const categories = Object.keys(reference.shares);
  const index = new Map(categories.map((c, i) => [c, i]));
  // Bins: each known category, then "unseen category", then "missing".
  const counts = new Array<number>(categories.length + 2).fill(0);
  for (const v of values) {
    if (v === null || v === undefined) counts[categories.length + 1]++;
    else counts[index.get(String(v)) ?? categories.length]++;
  }
  const n = values.length || 1;
  const presentShare = 1 - reference.missingShare;
  return {
    expected: [...categories.map((c) => reference.shares[c] * presentShare), 0, reference.missingShare],
    actual: counts.map((c) => c / n),
  };
}
