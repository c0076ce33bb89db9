import { describe, expect, it } from 'vitest';
import { LinearRegression, Ridge, Rng, createEstimator, estimatorFromJSON, r2 } from '../../src/ml/index.js';
import { expectKeelError, fixture, maxAbsDiff } from './helpers.js';

interface LinearFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  cases: {
    dataset: string;
    algorithm: 'linear_regression' | 'ridge';
    params: { fitIntercept: boolean; alpha?: number };
    coef: number[];
    intercept: number;
    predictions: number[];
    rank?: number;
  }[];
}

interface ClassicFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  results: Record<string, Record<string, { r2?: number }>>;
}

const reference = fixture<LinearFixture>('linear-regression.json');
const classic = fixture<ClassicFixture>('classic-datasets.json');

/** max |a − b| relative to the largest |b|. */
function relativeError(a: ArrayLike<number>, b: readonly number[]): number {
  return maxAbsDiff(a, b) / Math.max(...b.map(Math.abs));
}

describe('LinearRegression and Ridge against scikit-learn', () => {
  describe.each(reference.cases)('$algorithm on $dataset data, $params', (expected) => {
    const { X, y } = reference.datasets[expected.dataset];

    it('finds the same coefficients (1e-8 relative) and intercept', async () => {
      const model = await (createEstimator(expected.algorithm, expected.params) as LinearRegression | Ridge).fit(X, y);
      expect(relativeError(model.coef, expected.coef)).toBeLessThan(1e-8);
      const scale = Math.max(1, Math.abs(expected.intercept));
      expect(Math.abs(model.intercept - expected.intercept) / scale).toBeLessThan(1e-8);
      expect(relativeError(model.predict(X.slice(0, 10)), expected.predictions)).toBeLessThan(1e-8);
      if (expected.rank !== undefined) expect(model.rank).toBe(expected.rank);
    });
  });

  it.each([
    ['linearRegression', LinearRegression],
    ['ridge', Ridge],
  ] as const)('%s on diabetes (bundled data): the same test R²', async (name, Model) => {
    const { X, y } = classic.datasets.diabetes;
    const isTest = (_: unknown, i: number): boolean => i % 4 === 0;
    const isTrain = (_: unknown, i: number): boolean => i % 4 !== 0;
    const model = await new Model().fit(X.filter(isTrain), y.filter(isTrain));
    const score = r2(y.filter(isTest), model.predict(X.filter(isTest)));
    expect(Math.abs(score - classic.results.diabetes[name].r2!)).toBeLessThan(1e-9);
  });
});

describe('LinearRegression and Ridge', () => {
  const rng = new Rng(5);
  const n = 5000;
  const p = 8;
  const weights = Array.from({ length: p }, () => rng.nextNormal());
  const X = Array.from({ length: n }, () => Array.from({ length: p }, () => rng.nextNormal() * 3 + 100));
  const y = X.map((row) => row.reduce((s, v, j) => s + v * weights[j], 7) + 0.01 * rng.nextNormal());

  it('recovers a linear function far from the origin (centring keeps it exact)', async () => {
    const model = await new LinearRegression().fit(X, y);
    expect(maxAbsDiff(model.coef, weights)).toBeLessThan(1e-3);
    expect(r2(y, model.predict(X))).toBeGreaterThan(0.9999);
  });

  it('on nearly collinear columns still agrees with the exact solution (stable fallback)', async () => {
    // Column 1 is column 0 plus 1e-7 noise: cond(XᵀX) ≈ 1e14, past the normal equations' reach.
    const noisy = new Rng(9);
    const rows = Array.from({ length: 400 }, () => {
      const a = noisy.nextNormal();
      return [a, a + 1e-7 * noisy.nextNormal(), noisy.nextNormal()];
    });
    const target = rows.map(([a, b, c]) => 2 * a + 3 * b - c + 5);
    const model = await new LinearRegression().fit(rows, target);
    expect(maxAbsDiff(model.coef, [2, 3, -1])).toBeLessThan(1e-5);
    expect(model.intercept).toBeCloseTo(5, 9);
    expect(model.rank).toBe(3);
  });

  it('on large data (threads, several regions) whose first rows sit far from the mean, still exact', async () => {
    // 400k × 11: enough work for the threads and more rows than one 32 MB region holds. Column
    // 0 trends from 0 to 1e6, so the first rows are a poor provisional centre.
    const rows = 400_000;
    const cols = 11;
    const big = new Rng(12);
    const data = new Float64Array(rows * cols);
    const target = new Float64Array(rows);
    const w = Float64Array.from({ length: cols }, (_, j) => j - 5);
    for (let i = 0; i < rows; i++) {
      let sum = 42;
      for (let j = 0; j < cols; j++) {
        const v = j === 0 ? (1e6 * i) / rows + big.nextNormal() : big.nextNormal() + 3;
        data[i * cols + j] = v;
        sum += w[j] * v;
      }
      target[i] = sum;
    }
    const model = await new LinearRegression().fit({ rows, cols, data }, target);
    expect(maxAbsDiff(model.coef, w)).toBeLessThan(1e-9);
    expect(Math.abs(model.intercept - 42)).toBeLessThan(1e-6);
  });

  it('Ridge shrinks towards zero as alpha grows, and alpha = 0 is LinearRegression', async () => {
    const norms: number[] = [];
    for (const alpha of [0, 10, 1e4, 1e8]) {
      const model = await new Ridge({ alpha }).fit(X, y);
      norms.push(Math.hypot(...model.coef));
    }
    expect(norms).toEqual([...norms].sort((a, b) => b - a));
    const ols = await new LinearRegression().fit(X, y);
    const ridge0 = await new Ridge({ alpha: 0 }).fit(X, y);
    expect(maxAbsDiff(ridge0.coef, ols.coef)).toBeLessThan(1e-12);
  });

  it('handles a single row and fitIntercept false', async () => {
    const one = await new LinearRegression().fit([[1, 2]], [3]);
    expect(Array.from(one.coef)).toEqual([0, 0]);
    expect(one.intercept).toBe(3);
    const origin = await new LinearRegression({ fitIntercept: false }).fit([[1], [2], [3]], [2, 4, 6]);
    expect(origin.intercept).toBe(0);
    expect(origin.coef[0]).toBeCloseTo(2, 14);
  });

  it('round-trips through JSON with identical predictions', async () => {
    const model = await new Ridge({ alpha: 3 }).fit(X, y);
    const restored = estimatorFromJSON(JSON.parse(JSON.stringify(model))) as Ridge;
    expect(restored.predict(X)).toEqual(model.predict(X));
    expect(restored.getParams()).toEqual({ alpha: 3, fitIntercept: true });
  });

  it('rejects a negative alpha and non-numeric targets', async () => {
    await expectKeelError(() => new Ridge({ alpha: -1 }), 'invalid_argument', { field: 'alpha' });
    await expectKeelError(() => new LinearRegression().fit([[1], [2]], ['a', 'b']), 'invalid_argument', {
      field: 'y',
      row: 0,
    });
  });
});
