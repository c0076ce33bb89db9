/**
 * Special functions the drift tests need, in double precision: log-gamma and the regularized
 * upper incomplete gamma function Q(a, x), whose value at (df / 2, χ² / 2) is the chi-square
 * p-value. Accurate to ~1e-14 relative over the range the tests use (a up to ~10⁴).
 */

/** Lanczos coefficients (g = 7, n = 9), accurate to ~1e-15 relative for x > 0. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.9189385332046727;

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  if (x > 1e3) return stirlingLogGamma(x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Stirling's series: for large x more accurate than Lanczos, whose terms cancel there. */
function stirlingLogGamma(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  const series = r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series;
}

const EPSILON = 2.220446049250313e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, for a > 0, x ≥ 0:
 * the power series of P = 1 − Q below x < a + 1, the continued fraction (modified Lentz)
 * above, so each is used where it converges fast and Q keeps its relative accuracy when tiny.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) return 1 - Math.exp(logPrefix) * lowerSeries(a, x);
  return Math.exp(logPrefix) * upperContinuedFraction(a, x);
}

/** Σ xⁿ / (a (a+1) … (a+n)): P(a, x) = x^a e^(−x) / Γ(a) · this. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum;
}

/** The continued fraction 1 / (x + 1 − a − 1·(1−a) / (x + 3 − a − …)) of Γ(a, x) e^x x^(−a). */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/** P(χ²_df ≥ statistic): the chi-square survival function. */
export function chiSquareSf(statistic: number, df: number): number {
  if (Number.isNaN(statistic)) return Number.NaN;
  if (statistic <= 0) return 1;
  return regularizedGammaQ(df / 2, statistic / 2);
}
