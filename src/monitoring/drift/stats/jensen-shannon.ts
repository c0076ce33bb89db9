/**
 * The Jensen-Shannon distance between two distributions over the same bins, as
 * `scipy.spatial.distance.jensenshannon(p, q)` (natural log): both are normalised to sum to 1,
 * m = (p + q) / 2, distance = √((KL(p‖m) + KL(q‖m)) / 2). Between 0 and √ln 2 ≈ 0.833; empty
 * bins need no flooring (0 · ln 0 = 0).
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError('jensenShannon: p and q need the same number of bins');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    if (pi > 0) left += pi * Math.log(pi / m);
    if (qi > 0) right += qi * Math.log(qi / m);
  }
  return Math.sqrt(Math.max(0, (left + right) / 2));
}
