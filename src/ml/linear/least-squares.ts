import { choleskyInPlace, choleskySolveInPlace, householderRInPlace, minimumNormSolve } from '../linalg.js';
import type { KernelRunner } from '../wasm/threads.js';
import { centredMoments, type CentredMoments } from './gram-kernel.js';

/**
 * Exact (ridge-penalised) least squares: minimise ‖y − X·w − b‖² + alpha·‖w‖², b unpenalised,
 * as scikit-learn's LinearRegression (alpha = 0, `scipy.linalg.lstsq` on centred data) and
 * Ridge (`solver="cholesky"` on centred data).
 *
 * The fast path forms the centred normal equations (XcᵀXc + alpha·I)·w = Xcᵀyc in one pass
 * over X (gram-kernel.ts) and solves them by Cholesky after scaling to unit diagonal; when the
 * factor shows a condition number above 1e4 it adds one step of iterative refinement against
 * the data. The normal equations square the condition number, so when the factor shows the
 * problem is ill-conditioned or singular (a duplicated or constant column) the fit takes the
 * stable path instead: a streaming Householder QR of [Xc yc] (one p × p triangle kept, X never
 * copied) and the minimum-norm solution from the SVD of R, which is what `lstsq` returns for
 * rank-deficient X. Either way coefficients agree with LAPACK's to about 1e-13 on the test data.
 */

export interface LeastSquaresFit {
  readonly coef: Float64Array;
  readonly intercept: number;
  /** Numerical rank of the centred X (with the ridge rows when alpha > 0). */
  readonly rank: number;
}

/** The fast path is trusted while cond(XᵀX), estimated from the Cholesky factor, stays below this. */
const MAX_GRAM_CONDITION = 1e10;
/**
 * Above this estimated condition the fast path's solution gets a refinement step: below it the
 * normal equations' error (about condition × 1e-16) is already far under 1e-10.
 */
const REFINE_CONDITION = 1e4;
/** Rows per Householder block on the stable path. */
const QR_BLOCK = 256;

export function fitLeastSquares(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  fitIntercept: boolean,
  alpha: number,
  runner: KernelRunner,
): LeastSquaresFit {
  const moments = fitIntercept ? centredMoments(x, n, p, y, runner) : uncentredMoments(x, n, p, y, runner);
  const { xMean, yMean } = moments;
  const fast = solveNormalEquations(moments, p, alpha);
  const { coef, rank } = fast ?? solveByQR(x, n, p, y, xMean, yMean, alpha);
  if (fast !== null && fast.condition > REFINE_CONDITION) refine(x, n, p, y, xMean, yMean, alpha, coef, fast);
  let intercept = 0;
  if (fitIntercept) {
    intercept = yMean;
    for (let j = 0; j < p; j++) intercept -= xMean[j] * coef[j];
  }
  return { coef, intercept, rank };
}

/** XᵀX and Xᵀy about the origin, for fitIntercept false: the centred moments with the mean taken out again. */
function uncentredMoments(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  runner: KernelRunner,
): CentredMoments {
  const moments = centredMoments(x, n, p, y, runner);
  const { xMean, yMean, gram, xty } = moments;
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) gram[a * p + b] += n * xMean[a] * xMean[b];
    xty[a] += n * xMean[a] * yMean;
  }
  return { ...moments, xMean: new Float64Array(p), yMean: 0, gram, xty };
}

/** A Cholesky factor of D⁻¹(XcᵀXc + alpha·I)D⁻¹ with D² its diagonal, and the solution it gave. */
interface NormalEquations {
  readonly coef: Float64Array;
  readonly rank: number;
  readonly factor: Float64Array;
  readonly scale: Float64Array;
  /** cond(D⁻¹(XcᵀXc + alpha·I)D⁻¹) estimated from the factor's diagonal (a lower bound). */
  readonly condition: number;
}

function solveNormalEquations(moments: CentredMoments, p: number, alpha: number): NormalEquations | null {
  const gram = Float64Array.from(moments.gram);
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    gram[j * p + j] += alpha;
    scale[j] = Math.sqrt(gram[j * p + j]);
    if (!(scale[j] > 0)) return null; // a constant column: rank deficient
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) gram[i * p + j] /= scale[i] * scale[j];
  if (!choleskyInPlace(gram, p)) return null;
  let smallest = Infinity;
  let largest = 0;
  for (let j = 0; j < p; j++) {
    smallest = Math.min(smallest, gram[j * p + j]);
    largest = Math.max(largest, gram[j * p + j]);
  }
  const condition = (largest / smallest) ** 2;
  if (condition > MAX_GRAM_CONDITION) return null;
  const coef = new Float64Array(p);
  for (let j = 0; j < p; j++) coef[j] = moments.xty[j] / scale[j];
  choleskySolveInPlace(gram, p, coef);
  for (let j = 0; j < p; j++) coef[j] /= scale[j];
  return { coef, rank: p, factor: gram, scale, condition };
}

/**
 * The stable path: R of the QR factorisation of [Xc yc] (stacked on √alpha·I with zero
 * targets for ridge), built block by block, then the minimum-norm solution of R·w = Qᵀyc.
 */
function solveByQR(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  xMean: Float64Array,
  yMean: number,
  alpha: number,
): { coef: Float64Array; rank: number } {
  const cols = p + 1;
  const work = new Float64Array((cols + QR_BLOCK) * cols);
  let filled = 0; // rows of work after the triangle that hold data
  const flush = (): void => {
    householderRInPlace(work, cols + filled, cols);
    work.fill(0, cols * cols);
    filled = 0;
  };
  const push = (values: (j: number) => number, target: number): void => {
    const row = (cols + filled) * cols;
    for (let j = 0; j < p; j++) work[row + j] = values(j);
    work[row + p] = target;
    if (++filled === QR_BLOCK) flush();
  };
  for (let i = 0; i < n; i++) push((j) => x[i * p + j] - xMean[j], y[i] - yMean);
  if (alpha > 0) {
    const root = Math.sqrt(alpha);
    for (let d = 0; d < p; d++) push((j) => (j === d ? root : 0), 0);
  }
  flush();
  const r = new Float64Array(p * p);
  const qty = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) r[i * p + j] = work[i * cols + j];
    qty[i] = work[i * cols + p];
  }
  const { x: coef, rank } = minimumNormSolve(r, p, qty, Number.EPSILON * Math.max(n, p));
  return { coef, rank };
}

/**
 * One step of iterative refinement: solve for the correction from the residual of the
 * normal equations, Xcᵀ(yc − Xc·w) − alpha·w, computed from the data, which removes most of
 * the error the squared condition number let in.
 */
function refine(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  xMean: Float64Array,
  yMean: number,
  alpha: number,
  coef: Float64Array,
  normal: NormalEquations,
): void {
  let offset = yMean;
  for (let j = 0; j < p; j++) offset -= xMean[j] * coef[j];
  const gradient = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    let residual = y[i] - offset;
    for (let j = 0; j < p; j++) residual -= x[row + j] * coef[j];
    for (let j = 0; j < p; j++) gradient[j] += (x[row + j] - xMean[j]) * residual;
  }
  const { factor, scale } = normal;
  for (let j = 0; j < p; j++) gradient[j] = (gradient[j] - alpha * coef[j]) / scale[j];
  choleskySolveInPlace(factor, p, gradient);
  for (let j = 0; j < p; j++) coef[j] += gradient[j] / scale[j];
}
