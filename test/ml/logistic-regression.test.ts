import { describe, expect, it } from 'vitest';
import { LogisticRegression, logLoss, type ClassLabel } from '../../src/ml/index.js';
import { expectKeelError, fixture, matrixRows, maxAbsDiff } from './helpers.js';

interface LogisticFixture {
  datasets: Record<string, { X: number[][]; y: ClassLabel[] }>;
  cases: {
    dataset: string;
    params: { C: number; fitIntercept: boolean };
    classes: ClassLabel[];
    coef: number[][];
    intercept: number[];
    logLoss: number;
    lbfgsDefaultLogLoss: number;
    probaHead: number[][];
    predictHead: ClassLabel[];
  }[];
}

const reference = fixture<LogisticFixture>('logistic-regression.json');

/** scikit-learn's objective: C·Σ log loss + ½‖w‖², intercept unpenalised. */
function objective(
  X: number[][],
  y: ClassLabel[],
  classes: ClassLabel[],
  coef: number[][],
  intercept: number[],
  C: number,
): number {
  let loss = 0;
  X.forEach((row, i) => {
    const z = coef.map((w, k) => w.reduce((sum, wj, j) => sum + wj * row[j], intercept[k]));
    const target = classes.indexOf(y[i]);
    if (z.length === 1) {
      loss += Math.max(z[0], 0) + Math.log1p(Math.exp(-Math.abs(z[0]))) - (target === 1 ? z[0] : 0);
    } else {
      const max = Math.max(...z);
      loss += max + Math.log(z.reduce((sum, v) => sum + Math.exp(v - max), 0)) - z[target];
    }
  });
  return C * loss + 0.5 * coef.flat().reduce((sum, v) => sum + v * v, 0);
}

describe('LogisticRegression against scikit-learn', () => {
  describe.each(reference.cases)('$dataset data, C=$params.C, fitIntercept=$params.fitIntercept', (expected) => {
    const { X, y } = reference.datasets[expected.dataset];

    it('reaches the same optimum: objective within 1e-12 (relative), coefficients within 1e-5', async () => {
      const model = await new LogisticRegression({ ...expected.params, tol: 1e-10, maxIter: 1000 }).fit(X, y);
      expect(model.converged).toBe(true);
      expect(model.classes).toEqual(expected.classes);
      const coef = matrixRows(model.coef);
      const ours = objective(X, y, model.classes, coef, Array.from(model.intercept), expected.params.C);
      const theirs = objective(X, y, expected.classes, expected.coef, expected.intercept, expected.params.C);
      expect(Math.abs(ours - theirs) / theirs).toBeLessThan(1e-12);
      expect(coef).toHaveLength(expected.coef.length);
      expect(maxAbsDiff(model.coef.data, expected.coef.flat())).toBeLessThan(1e-5);
      expect(maxAbsDiff(model.intercept, expected.intercept)).toBeLessThan(1e-5);
      const loss = logLoss(y, model.predictProba(X), { classes: model.classes });
      expect(Math.abs(loss - expected.logLoss)).toBeLessThan(1e-8);
      expect(model.predict(X.slice(0, 5))).toEqual(expected.predictHead);
      expect(maxAbsDiff(model.predictProba(X.slice(0, 5)).data, expected.probaHead.flat())).toBeLessThan(1e-7);
    });

    it('with default tol and maxIter, log loss is within 1e-4 of the optimum and of scikit-learn lbfgs', async () => {
      const model = await new LogisticRegression(expected.params).fit(X, y);
      const loss = logLoss(y, model.predictProba(X), { classes: model.classes });
      expect(Math.abs(loss - expected.logLoss)).toBeLessThan(1e-4);
      expect(Math.abs(loss - expected.lbfgsDefaultLogLoss)).toBeLessThan(1e-4);
    });
  });
});

describe('LogisticRegression', () => {
  const { X, y } = reference.datasets.binary;

  it('has one coefficient row for binary problems (the second class) and one per class otherwise', async () => {
    const binary = await new LogisticRegression().fit(X, y);
    expect([binary.coef.rows, binary.coef.cols, binary.intercept.length]).toEqual([1, 4, 1]);
    const multi = reference.datasets.multiclass;
    const multinomial = await new LogisticRegression().fit(multi.X, multi.y);
    expect([multinomial.coef.rows, multinomial.coef.cols, multinomial.intercept.length]).toEqual([3, 3, 3]);
  });

  it('without an intercept, the intercept is zero', async () => {
    const model = await new LogisticRegression({ fitIntercept: false }).fit(X, y);
    expect(Array.from(model.intercept)).toEqual([0]);
  });

  it('stronger regularisation (smaller C) shrinks the coefficients', async () => {
    const norm = async (C: number): Promise<number> => {
      const model = await new LogisticRegression({ C }).fit(X, y);
      return Math.hypot(...model.coef.data);
    };
    expect(await norm(0.001)).toBeLessThan(await norm(1));
  });

  it('reports when maxIter stops it before convergence', async () => {
    const model = await new LogisticRegression({ maxIter: 1, tol: 1e-12 }).fit(X, y);
    expect(model.nIter).toBe(1);
    expect(model.converged).toBe(false);
  });

  it('predicts the second class exactly when its probability exceeds one half', async () => {
    const model = await new LogisticRegression().fit(X, y);
    const proba = model.predictProba(X);
    model.predict(X).forEach((label, i) => expect(label).toBe(proba.data[2 * i + 1] > 0.5 ? 'yes' : 'no'));
  });

  it('handles perfectly separable data without overflow', async () => {
    const Xs = [[-2], [-1], [1], [2]];
    const model = await new LogisticRegression({ C: 1e6 }).fit(Xs, [0, 0, 1, 1]);
    expect(model.predict(Xs)).toEqual([0, 0, 1, 1]);
    const proba = model.predictProba(Xs);
    expect(Array.from(proba.data).every(Number.isFinite)).toBe(true);
  });

  it('needs at least two classes', async () => {
    await expectKeelError(
      () => new LogisticRegression().fit([[1], [2]], ['a', 'a']),
      'invalid_argument',
      { field: 'y' },
      /only one class/,
    );
  });

  it('validates its params', async () => {
    await expectKeelError(() => new LogisticRegression({ C: 0 }), 'invalid_argument', { field: 'C' }, /> 0/);
    await expectKeelError(() => new LogisticRegression({ maxIter: 2.5 }), 'invalid_argument', { field: 'maxIter' });
    await expectKeelError(() => new LogisticRegression({ fitIntercept: 'yes' as never }), 'invalid_argument', {
      field: 'fitIntercept',
    });
  });
});
