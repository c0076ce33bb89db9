/**
 * Small dense linear algebra for the linear models: p × p systems from n × p data, where p is
 * the number of features (tens to a few thousands) and n can be millions. Matrices are
 * row-major Float64Arrays.
 */

/**
 * Cholesky factorisation in place: the lower triangle of `a` (p × p, symmetric positive
 * definite) becomes L with a = L·Lᵀ; the strict upper triangle is left as it was. Returns false
 * when a pivot is not positive (the matrix is not positive definite to working precision).
 */
export function choleskyInPlace(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    const rowJ = j * p;
    let pivot = a[rowJ + j];
    for (let k = 0; k < j; k++) pivot -= a[rowJ + k] * a[rowJ + k];
    if (!(pivot > 0)) return false;
    const ljj = Math.sqrt(pivot);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      const rowI = i * p;
      let v = a[rowI + j];
      for (let k = 0; k < j; k++) v -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = v / ljj;
    }
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place in `b`, with L from `choleskyInPlace`. */
export function choleskySolveInPlace(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let v = b[i];
    for (let k = 0; k < i; k++) v -= l[i * p + k] * b[k];
    b[i] = v / l[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let v = b[i];
    for (let k = i + 1; k < p; k++) v -= l[k * p + i] * b[k];
    b[i] = v / l[i * p + i];
  }
}

/**
 * Householder QR of the `rows` × `cols` row-major matrix `m`, in place: its upper triangle
 * becomes R (diagonal signs as they come) and the rest is overwritten. Used on small stacked
 * blocks, so no reflectors are kept.
 */
export function householderRInPlace(m: Float64Array, rows: number, cols: number): void {
  const steps = Math.min(rows, cols);
  for (let j = 0; j < steps; j++) {
    // Scale the column first so that squaring neither overflows nor underflows.
    let scale = 0;
    for (let i = j; i < rows; i++) scale = Math.max(scale, Math.abs(m[i * cols + j]));
    if (scale === 0) continue;
    let norm = 0;
    for (let i = j; i < rows; i++) {
      const v = m[i * cols + j] / scale;
      norm += v * v;
    }
    norm = scale * Math.sqrt(norm);
    const head = m[j * cols + j];
    const alpha = head > 0 ? -norm : norm; // the sign that avoids cancellation in v₀ = head − alpha
    const v0 = head - alpha;
    // Reflector v = (v0, m[j+1..rows) in column j), applied as I − 2vvᵀ/(vᵀv); vᵀv = −2·alpha·v0.
    const beta = 1 / (alpha * v0);
    for (let c = j + 1; c < cols; c++) {
      let dot = v0 * m[j * cols + c];
      for (let i = j + 1; i < rows; i++) dot += m[i * cols + j] * m[i * cols + c];
      const f = dot * beta;
      m[j * cols + c] += f * v0;
      for (let i = j + 1; i < rows; i++) m[i * cols + c] += f * m[i * cols + j];
    }
    m[j * cols + j] = alpha;
    for (let i = j + 1; i < rows; i++) m[i * cols + j] = 0;
  }
}

/**
 * The minimum-norm least-squares solution of R·x = b for a square `p` × `p` R, through its
 * singular value decomposition (one-sided Jacobi): singular values below `rcond` times the
 * largest are treated as zero, as LAPACK's gelsd does. Returns x and the numerical rank.
 */
export function minimumNormSolve(
  r: Float64Array,
  p: number,
  b: Float64Array,
  rcond: number,
): { x: Float64Array; rank: number } {
  const a = Float64Array.from(r); // becomes U·Σ column by column
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let i = 0; i < p - 1; i++) {
      for (let j = i + 1; j < p; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < p; k++) {
          const ai = a[k * p + i];
          const aj = a[k * p + j];
          alpha += ai * ai;
          beta += aj * aj;
          gamma += ai * aj;
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const m of [a, v]) {
          for (let k = 0; k < p; k++) {
            const mi = m[k * p + i];
            const mj = m[k * p + j];
            m[k * p + i] = c * mi - s * mj;
            m[k * p + j] = s * mi + c * mj;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let norm = 0;
    for (let k = 0; k < p; k++) norm += a[k * p + i] * a[k * p + i];
    sigma[i] = Math.sqrt(norm);
  }
  let largest = 0;
  for (let i = 0; i < p; i++) largest = Math.max(largest, sigma[i]);
  const cutoff = rcond * largest;
  const x = new Float64Array(p);
  let rank = 0;
  for (let i = 0; i < p; i++) {
    if (!(sigma[i] > cutoff)) continue;
    rank++;
    // x += v_i · (u_i · b) / σ_i with u_i = a_i / σ_i.
    let ub = 0;
    for (let k = 0; k < p; k++) ub += a[k * p + i] * b[k];
    const f = ub / (sigma[i] * sigma[i]);
    for (let k = 0; k < p; k++) x[k] += v[k * p + i] * f;
  }
  return { x, rank };
}
