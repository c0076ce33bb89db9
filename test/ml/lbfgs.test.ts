import { describe, expect, it } from 'vitest';
import { minimizeLbfgs, type Objective } from '../../src/ml/index.js';

/** The Rosenbrock valley in n dimensions: minimum 0 at (1, …, 1), famously badly conditioned. */
const rosenbrock: Objective = (x, gradient) => {
  let value = 0;
  gradient.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    value += 100 * a * a + b * b;
    gradient[i] += -400 * x[i] * a - 2 * b;
    gradient[i + 1] += 200 * a;
  }
  return value;
};

describe('minimizeLbfgs', () => {
  it('finds the Rosenbrock minimum from the classic start (−1.2, 1, …)', () => {
    const start = Float64Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const result = minimizeLbfgs(rosenbrock, start, { maxIter: 500, gtol: 1e-10, ftol: 0 });
    expect(result.converged).toBe(true);
    expect(result.reason).toBe('gradient');
    for (const v of result.x) expect(v).toBeCloseTo(1, 8);
    expect(result.value).toBeLessThan(1e-15);
    expect(start[0]).toBe(-1.2); // the start is not modified
  });

  it('solves a quadratic with very different curvatures in few iterations', () => {
    const scales = [1, 1e2, 1e4];
    const quadratic: Objective = (x, gradient) => {
      let value = 0;
      for (let i = 0; i < x.length; i++) {
        value += 0.5 * scales[i] * (x[i] - i) ** 2;
        gradient[i] = scales[i] * (x[i] - i);
      }
      return value;
    };
    const result = minimizeLbfgs(quadratic, new Float64Array(3), { maxIter: 100, gtol: 1e-9 });
    expect(result.converged).toBe(true);
    expect(Array.from(result.x).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 1, 2]);
    expect(result.iterations).toBeLessThan(20);
  });

  it('stops at a start that already satisfies gtol without iterating', () => {
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(1, 1), { maxIter: 10, gtol: 1e-6 });
    expect(result).toMatchObject({ converged: true, reason: 'gradient', iterations: 0, evaluations: 1 });
  });

  it('reports max_iter when the iteration budget runs out', () => {
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 3, gtol: 1e-12 });
    expect(result).toMatchObject({ converged: false, reason: 'max_iter', iterations: 3 });
    expect(result.value).toBeLessThan(rosenbrock(Float64Array.of(-1.2, 1), new Float64Array(2)));
  });
});
