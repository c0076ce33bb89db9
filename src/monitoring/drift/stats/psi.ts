/**
 * Population stability index over shares of the same bins: Σ (a − e) · ln(a / e). Empty bins
 * are floored at MIN_SHARE so one unseen bin does not make the index infinite (the usual
 * practice, as in Evidently).
 */
export const MIN_SHARE = 1e-4;

export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) throw new RangeError('psi: expected and actual need the same bins');
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], MIN_SHARE);
    const a = Math.max(actual[i], MIN_SHARE);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}
