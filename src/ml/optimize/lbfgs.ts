/**
 * Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed., algorithms 7.4,
 * 3.5 and 3.6): the two-loop recursion for the search direction and a line search that
 * satisfies the strong Wolfe conditions, so every accepted step keeps the curvature pair
 * positive and the inverse-Hessian estimate positive definite.
 */

/** Writes ∇f(x) into `gradient` and returns f(x). */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  readonly maxIter: number;
  /** Stop when max |∇f| ≤ gtol (SciPy's `gtol`). */
  readonly gtol: number;
  /** Stop when the relative decrease of f in one step is ≤ ftol (SciPy's default: 1e7 × machine epsilon). */
  readonly ftol?: number;
  /** Curvature pairs kept (SciPy's `maxcor`). */
  readonly memory?: number;
  readonly maxLineSearch?: number;
}

export type StopReason = 'gradient' | 'value' | 'max_iter' | 'line_search';

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** True when a tolerance was met; false when maxIter ran out or the line search could not progress. */
  readonly converged: boolean;
  readonly reason: StopReason;
}

const C1 = 1e-4; // sufficient decrease
const C2 = 0.9; // curvature; 0.9 is the usual choice for quasi-Newton methods

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const memory = options.memory ?? 10;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const maxLineSearch = options.maxLineSearch ?? 25;

  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const direction = new Float64Array(n);
  const xTrial = new Float64Array(n);
  const gTrial = new Float64Array(n);
  // Ring buffers of the last `memory` steps s = x₊ − x and gradient changes y = g₊ − g.
  const S = new Float64Array(memory * n);
  const Y = new Float64Array(memory * n);
  const rho = new Float64Array(memory);
  const alpha = new Float64Array(memory);
  let stored = 0;
  let newest = -1;

  let evaluations = 1;
  let f = objective(x, g);
  const result = (iterations: number, converged: boolean, reason: StopReason): LbfgsResult => ({
    x,
    value: f,
    iterations,
    evaluations,
    converged,
    reason,
  });
  if (maxAbs(g) <= options.gtol) return result(0, true, 'gradient');

  /** Line search along `direction` from x; on success xTrial/gTrial hold the new point. */
  const lineSearch = (initialStep: number, f0: number, slope0: number): { step: number; value: number } | null => {
    const evaluate = (step: number): { value: number; slope: number } => {
      for (let i = 0; i < n; i++) xTrial[i] = x[i] + step * direction[i];
      evaluations++;
      const value = objective(xTrial, gTrial);
      return { value, slope: dot(gTrial, direction, n) };
    };
    const zoom = (
      lo: number,
      fLo: number,
      slopeLo: number,
      hi: number,
      fHi: number,
      slopeHi: number,
      budget: number,
    ): { step: number; value: number } | null => {
      for (let k = 0; k < budget; k++) {
        let step = cubicMinimizer(lo, fLo, slopeLo, hi, fHi, slopeHi);
        const low = Math.min(lo, hi);
        const width = Math.abs(hi - lo);
        // Keep trial steps away from the interval ends so the bracket keeps shrinking.
        if (!(step >= low + 0.1 * width && step <= low + 0.9 * width)) step = low + 0.5 * width;
        const trial = evaluate(step);
        if (!(trial.value <= f0 + C1 * step * slope0) || trial.value >= fLo) {
          hi = step;
          fHi = trial.value;
          slopeHi = trial.slope;
        } else {
          if (Math.abs(trial.slope) <= -C2 * slope0) return { step, value: trial.value };
          if (trial.slope * (hi - lo) >= 0) {
            hi = lo;
            fHi = fLo;
            slopeHi = slopeLo;
          }
          lo = step;
          fLo = trial.value;
          slopeLo = trial.slope;
        }
        if (width <= 1e-16 * Math.max(1, Math.abs(lo))) break;
      }
      // Out of budget: accept the best point with sufficient decrease, if any, as SciPy does.
      if (lo > 0 && fLo < f0) {
        evaluate(lo);
        return { step: lo, value: fLo };
      }
      return null;
    };

    let previous = 0;
    let fPrevious = f0;
    let slopePrevious = slope0;
    let step = initialStep;
    for (let k = 0; k < maxLineSearch; k++) {
      const trial = evaluate(step);
      if (!(trial.value <= f0 + C1 * step * slope0) || (k > 0 && trial.value >= fPrevious)) {
        return zoom(previous, fPrevious, slopePrevious, step, trial.value, trial.slope, maxLineSearch - k);
      }
      if (Math.abs(trial.slope) <= -C2 * slope0) return { step, value: trial.value };
      if (trial.slope >= 0) {
        return zoom(step, trial.value, trial.slope, previous, fPrevious, slopePrevious, maxLineSearch - k);
      }
      previous = step;
      fPrevious = trial.value;
      slopePrevious = trial.slope;
      step *= 2;
    }
    return null;
  };

  for (let iteration = 1; iteration <= options.maxIter; iteration++) {
    // Two-loop recursion: direction = −H·g with H the L-BFGS inverse-Hessian estimate.
    for (let i = 0; i < n; i++) direction[i] = g[i];
    for (let m = 0; m < stored; m++) {
      const slot = (newest - m + memory) % memory;
      const a = rho[slot] * dotAt(S, slot * n, direction, n);
      alpha[slot] = a;
      axpy(-a, Y, slot * n, direction, n);
    }
    if (stored > 0) {
      const gamma = 1 / (rho[newest] * squaredNormAt(Y, newest * n, n)); // sᵀy / yᵀy: H₀ scaled to the curvature just seen
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    }
    for (let m = stored - 1; m >= 0; m--) {
      const slot = (newest - m + memory) % memory;
      const b = rho[slot] * dotAt(Y, slot * n, direction, n);
      axpy(alpha[slot] - b, S, slot * n, direction, n);
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i];

    let slope = dot(g, direction, n);
    if (!(slope < 0)) {
      // Not a descent direction (rounding on a nearly flat objective): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i];
      slope = -dot(g, g, n);
    }
    // Without curvature information, a first step of unit length in x, as SciPy's L-BFGS-B takes.
    const initialStep = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const accepted = lineSearch(initialStep, f, slope);
    if (accepted === null) {
      if (stored > 0) {
        // A stale curvature model can produce a poor direction: forget it and retry once.
        stored = 0;
        iteration--;
        continue;
      }
      return result(iteration - 1, false, 'line_search');
    }

    newest = (newest + 1) % memory;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const s = xTrial[i] - x[i];
      const y = gTrial[i] - g[i];
      S[newest * n + i] = s;
      Y[newest * n + i] = y;
      sy += s * y;
      yy += y * y;
    }
    if (sy > 1e-10 * yy) {
      rho[newest] = 1 / sy;
      stored = Math.min(stored + 1, memory);
    } else {
      newest = (newest - 1 + memory) % memory; // skip a pair that would break positive definiteness
    }

    const previous = f;
    x.set(xTrial);
    g.set(gTrial);
    f = accepted.value;
    if (maxAbs(g) <= options.gtol) return result(iteration, true, 'gradient');
    if (previous - f <= ftol * Math.max(Math.abs(previous), Math.abs(f), 1)) return result(iteration, true, 'value');
  }
  return result(options.maxIter, false, 'max_iter');
}

/** Minimiser of the cubic matching f and f′ at both ends (Nocedal & Wright eq. 3.59); NaN when none. */
function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
}

function dot(a: Float64Array, b: Float64Array, n: number): number {
  return dotAt(a, 0, b, n);
}

/** a[offset … offset+n) · b. */
function dotAt(a: Float64Array, offset: number, b: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[offset + i] * b[i];
  return sum;
}

function squaredNormAt(a: Float64Array, offset: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[offset + i] * a[offset + i];
  return sum;
}

/** out += scale · source[offset … offset+n). */
function axpy(scale: number, source: Float64Array, offset: number, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] += scale * source[offset + i];
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > max) max = v;
  }
  return max;
}
