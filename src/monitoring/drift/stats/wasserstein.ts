/**
 * The first Wasserstein (earth mover's) distance between two samples, as
 * `scipy.stats.wasserstein_distance(u, v)`: ∫ |F_u − F_v| dx, the area between the empirical
 * CDFs, here summed over the merged sorted values in one walk (Neumaier-compensated, so the
 * sum over millions of gaps keeps full precision).
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(Float64Array.from(u).sort(), Float64Array.from(v).sort());
}

/** The same on ascending samples without NaN. */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n1 = u.length;
  const n2 = v.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('wassersteinDistance: both samples need at least one value');
  let i = 0;
  let j = 0;
  let sum = 0;
  let compensation = 0;
  let previous = Math.min(u[0], v[0]);
  let gap = 0;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && u[i] <= v[j]) ? u[i] : v[j];
    // |F_u − F_v| is constant on [previous, value): the CDFs as they stood after `previous`.
    const term = gap * (value - previous);
    const t = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    while (i < n1 && u[i] <= value) i++;
    while (j < n2 && v[j] <= value) j++;
    gap = Math.abs(i / n1 - j / n2);
    previous = value;
  }
  return sum + compensation;
}

/** Population standard deviation (NumPy's `np.std`, ddof = 0), two-pass. */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / n);
}

/**
 * Evidently's normalised Wasserstein distance: W₁(reference, current) divided by the
 * reference's population standard deviation, floored at 0.001 so a constant reference does not
 * divide by zero. Unit-free, so one threshold (0.1: a tenth of a standard deviation of mass
 * moved) fits every feature.
 */
export function normalizedWasserstein(distance: number, referenceStd: number): number {
  return distance / Math.max(referenceStd, MIN_NORM);
}

export const MIN_NORM = 0.001;
