/**
 * The survival function of the two-sided one-sample Kolmogorov-Smirnov statistic D_n,
 * P(D_n ≥ x), as SciPy's `kstwo.sf(x, n)` computes it (Simard & L'Ecuyer's choice of method by
 * n and n·x²): Ruben-Gambino closed forms at the ends, the Durbin matrix (Marsaglia-Tsang-Wang)
 * and Pomeranz recursions where they are exact and fast, twice the one-sided Smirnov tail where
 * the two tails cannot overlap, and the Pelz-Good expansion for large n. The two-sample KS test
 * uses it with n = round(n₁n₂ / (n₁ + n₂)) for its asymptotic p-value.
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT3 = Math.sqrt(3);
const MIN_LOG = -708;
/** cephes' MINLOG, log(2⁻¹⁰⁷⁵): below it e^x is 0 in double precision. */
const CEPHES_MINLOG = -745.1332191019412;
const EPSILON = 2.220446049250313e-16;
/** Stirling-series coefficients of ln(n!/nⁿ) (SciPy's, as doubles). */
const STIRLING = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clip = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** P(D_n ≥ x) for an integer n ≥ 1. */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  // Below the support's lower end 1/(2n), D_n ≥ x always.
  if (x <= 0.5 / n) return 1;
  const t = n * x;
  if (t <= 1) {
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip(1 - durbinCdf(n, x));
    if (nxSquared <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

/** ln(n! / nⁿ) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** x · 2^e without overflowing or underflowing 2^e on the way. */
function ldexp(x: number, e: number): number {
  let value = x;
  let rest = e;
  while (rest > 1000) {
    value *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    value *= 2 ** -1000;
    rest += 1000;
  }
  return value * 2 ** rest;
}

/** P(D_n ≤ d) by Durbin's matrix algorithm, as Marsaglia, Tsang and Wang compute it. */
function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let power: Float64Array = identity(m);
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  while (nn > 0) {
    if (nn % 2) {
      power = multiply(power, H, m);
      exponent += hExponent;
    }
    H = multiply(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      hExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return clip(exponent !== 0 ? ldexp(p, exponent) : p);
}

function identity(m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) out[i * m + i] = 1;
  return out;
}

/** Row-major m×m product, i-k-j order so the inner loop runs along rows. */
function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[row + k];
      if (aik === 0) continue;
      const bRow = k * m;
      for (let j = 0; j < m; j++) out[row + j] += aik * b[bRow + j];
    }
  }
  return out;
}

/** Endpoints of the interval of row i in Pomeranz's recursion. */
function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n ≤ x) by Pomeranz's recursion (1974). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const size = 2 * (ll + 1);
  const gPower = new Float64Array(size);
  const twoGPower = new Float64Array(size);
  const oneMinusTwoGPower = new Float64Array(size);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  const gn = g / n;
  const twoGn = (2 * g) / n;
  const oneMinusTwoGn = (1 - 2 * g) / n;
  for (let m = 1; m < size; m++) {
    gPower[m] = (gPower[m - 1] * gn) / m;
    twoGPower[m] = (twoGPower[m - 1] * twoGn) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1] * oneMinusTwoGn) / m;
  }
  let v0 = new Float64Array(size);
  let v1 = new Float64Array(size);
  v1[0] = 1;
  let v0Start = 0;
  let v1Start = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [v0, v1] = [v1, v0];
    [v0Start, v1Start] = [v1Start, v0Start];
    v1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const powers = i === 1 || i === 2 * n + 1 ? gPower : i % 2 ? twoGPower : oneMinusTwoGPower;
    const length = j2 - k1 + 1;
    if (length > 0) {
      // The full convolution of v0[k1 − v0Start …] (clipped to the array, as a slice is) with
      // powers[0 … length), of which entries j1 − k1 … j2 − k1 are kept.
      const offset = k1 - v0Start;
      const aLength = Math.max(0, Math.min(length, size - offset));
      const start = j1 - k1;
      const count = j2 - j1 + 1;
      for (let c = 0; c < count; c++) {
        const index = start + c;
        let sum = 0;
        const lo = Math.max(0, index - (length - 1));
        const hi = Math.min(aLength - 1, index);
        for (let a = lo; a <= hi; a++) sum += v0[offset + a] * powers[index - a];
        v1[c] = sum;
      }
      let max = -Infinity;
      for (let c = 0; c < size; c++) if (v1[c] > max) max = v1[c];
      if (max > 0 && max < EM128) {
        for (let c = 0; c < size; c++) v1[c] *= E128;
        exponent -= 128;
      }
      v1Start = v0Start + j1 - k1;
    }
  }
  let answer = v1[n - v1Start];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m;
  }
  return clip(exponent !== 0 ? ldexp(answer, exponent) : answer);
}

/** The Pelz-Good (1976) asymptotic expansion of P(D_n ≤ x). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coefficients = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qPower + coefficients[i];
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / divisors[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qPower = q ** k2;
    k2extra += k2 * qPower;
    const kPi = Math.PI * k;
    k3extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * qPower;
  }
  K[2] += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i] / n ** (i / 2);
  return sum;
}

/**
 * P(D⁺_n ≥ x), the one-sided Smirnov tail, by the Birnbaum-Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v), each term in logs so
 * nothing overflows, stopping once the remaining terms cannot change the sum. SciPy sums the same
 * terms in double-double; in double the result agrees to ~1e-13 relative.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nxFloor, alpha] = floorAndFraction(n, x);
  let lastTerm = n - nxFloor - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastTerm -= 1;
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxFloor >= n - 1) return (1 - x) ** n;
  if (n > 1_000_000) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  const terms = lastTerm + 1;
  // v = 0: (1 − x)^n / x.
  let sum = Math.exp(n * Math.log1p(-x)) / x;
  let logBinomial = 0;
  for (let v = 1; v < terms; v++) {
    logBinomial += Math.log((n - v + 1) / v);
    // x + v/n and 1 − x − v/n from the exact split n·x = nxFloor + alpha, so neither cancels.
    const up = (nxFloor + v + alpha) / n;
    const down = (n - nxFloor - v - alpha) / n;
    const term = Math.exp(logBinomial + (v - 1) * Math.log(up) + (n - v) * Math.log(down));
    if (Number.isFinite(term)) sum += term;
    if (term !== 0) {
      if (4 * (terms - v) * Math.abs(term) < EPSILON * sum && v !== terms - 1) break;
    } else if (v > n / 2) break;
  }
  return clip(x * sum);
}

/** ⌊n·x⌋ and n·x − ⌊n·x⌋ computed from the exact product (Dekker's two-product). */
function floorAndFraction(n: number, x: number): [number, number] {
  const hi = n * x;
  const lo = twoProductError(n, x, hi);
  let floor = Math.floor(hi);
  let fraction = hi - floor + lo;
  if (fraction < 0) {
    floor -= 1;
    fraction += 1;
  }
  if (fraction >= 1) {
    floor += 1;
    fraction -= 1;
  }
  return [floor, fraction];
}

const SPLITTER = 134217729; // 2^27 + 1

function twoProductError(a: number, b: number, product: number): number {
  const split = (v: number): [number, number] => {
    const c = SPLITTER * v;
    const high = c - (c - v);
    return [high, v - high];
  };
  const [aHi, aLo] = split(a);
  const [bHi, bLo] = split(b);
  return aLo * bLo - (product - aHi * bHi - aLo * bHi - aHi * bLo);
}
