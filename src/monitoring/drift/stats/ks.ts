import { kolmogorovSf } from './kolmogorov.js';

/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, as `scipy.stats.ks_2samp(method='auto')`:
 * D = sup |F₁ − F₂| over the pooled values; the p-value exact (lattice-path counting) when both
 * samples have at most 10 000 values, else asymptotic from the one-sample distribution with
 * n = round(n₁n₂ / (n₁ + n₂)). An exact p-value rounds D to the lattice h / lcm(n₁, n₂) and
 * returns that D, as SciPy does.
 */
export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

const MAX_EXACT_N = 10_000;

/** KS test of two samples (any order; missing values, NaN, must already be dropped). */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ks2sampSorted(Float64Array.from(a).sort(), Float64Array.from(b).sort());
}

/** KS test of two ascending samples without NaN: one merged walk, no allocation. */
export function ks2sampSorted(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp: both samples need at least one value');
  let i = 0;
  let j = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= value) i++;
    while (j < n2 && b[j] <= value) j++;
    // The same two divisions as SciPy's cdf1 − cdf2, so D is the same double.
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return ksPValue(minS > maxDiff ? minS : maxDiff, n1, n2);
}

/**
 * The p-value of a two-sided two-sample KS statistic `d` between samples of n1 and n2 values
 * (SciPy's 'auto' rule), with the statistic it corresponds to.
 */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const exact = exactPValue(d, n1, n2);
    if (exact) return { ...exact, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = roundHalfEven((m * n) / (m + n));
  return { statistic: d, pValue: Math.min(Math.max(kolmogorovSf(en, d), 0), 1), method: 'asymptotic' };
}

function exactPValue(d: number, n1: number, n2: number): { statistic: number; pValue: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = Math.round(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const pValue = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideInside(n1, n2, g, h);
  if (!Number.isFinite(pValue) || pValue < 0 || pValue > 1) return null;
  return { statistic, pValue };
}

/** Equal sizes: the share of lattice paths that leave the band |x − y| < h. */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * Unequal sizes: 1 − (share of paths from (0,0) to (m,n) staying strictly inside
 * |x/m − y/n| < h/lcm), computed directly as 1 − p column by column over a sliding window
 * (Hodges' inside method in Viehmann's stable form).
 */
function probabilityOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** NumPy's round: halves to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
