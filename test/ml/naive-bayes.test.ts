import { describe, expect, it } from 'vitest';
import { GaussianNB, accuracy, createEstimator, estimatorFromJSON, type ClassLabel } from '../../src/ml/index.js';
import { expectKeelError, fixture, maxAbsDiff } from './helpers.js';

interface NaiveBayesFixture {
  X: number[][];
  y: ClassLabel[];
  XTest: number[][];
  cases: {
    params: { varSmoothing?: number; priors?: string };
    classes: ClassLabel[];
    theta: number[][];
    variance: number[][];
    classPrior: number[];
    classCount: number[];
    epsilon: number;
    proba: number[][];
    logProba: number[][];
    predictions: ClassLabel[];
  }[];
}

interface ClassicFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  results: Record<string, Record<string, { accuracy?: number; predictions?: number[] }>>;
}

const reference = fixture<NaiveBayesFixture>('naive-bayes.json');
const classic = fixture<ClassicFixture>('classic-datasets.json');

/** Largest difference relative to the larger magnitude (absolute below 1). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return max;
}

describe('GaussianNB against scikit-learn', () => {
  const { X, y, XTest } = reference;

  describe.each(reference.cases)('params $params', (expected) => {
    it('learns the same per-class means, variances, priors and epsilon', async () => {
      const model = await new GaussianNB(expected.params).fit(X, y);
      expect(model.classes).toEqual(expected.classes);
      expect(maxRelDiff(model.theta.data, expected.theta.flat())).toBeLessThan(1e-12);
      expect(maxRelDiff(model.variance.data, expected.variance.flat())).toBeLessThan(1e-12);
      expect(Array.from(model.classCount)).toEqual(expected.classCount);
      expect(maxAbsDiff(model.classPrior, expected.classPrior)).toBeLessThan(1e-15);
    });

    it('gives the same probabilities to 1e-9 and the same predictions', async () => {
      const model = await new GaussianNB(expected.params).fit(X, y);
      const proba = model.predictProba(XTest);
      expect([proba.rows, proba.cols]).toEqual([XTest.length, expected.classes.length]);
      expect(maxAbsDiff(proba.data, expected.proba.flat())).toBeLessThan(1e-9);
      // Where the probabilities are tiny, compare their logarithms relatively.
      const logProba = Array.from(proba.data, Math.log);
      const finite = expected.logProba
        .flat()
        .map((v, i) => (v > -700 ? Math.abs(logProba[i] - v) / Math.max(1, -v) : 0));
      expect(Math.max(...finite)).toBeLessThan(1e-9);
      expect(model.predict(XTest)).toEqual(expected.predictions);
    });
  });

  it.each(['breastCancer', 'wine', 'digits'])(
    '%s: the same test accuracy as scikit-learn (within 0.02)',
    async (name) => {
      const { X: data, y: target } = classic.datasets[name];
      const isTest = (_: unknown, i: number): boolean => i % 4 === 0;
      const isTrain = (_: unknown, i: number): boolean => i % 4 !== 0;
      const model = await new GaussianNB().fit(data.filter(isTrain), target.filter(isTrain));
      const predictions = model.predict(data.filter(isTest));
      const expected = classic.results[name].gaussianNB;
      expect(Math.abs(accuracy(target.filter(isTest), predictions) - expected.accuracy!)).toBeLessThan(0.02);
    },
  );
});

describe('GaussianNB', () => {
  const { X, y, XTest } = reference;

  it('round-trips through JSON with identical probabilities', async () => {
    const model = await new GaussianNB({ priors: '0.5,0.25,0.25' }).fit(X, y);
    const restored = estimatorFromJSON(JSON.parse(JSON.stringify(model))) as GaussianNB;
    expect(restored.predictProba(XTest)).toEqual(model.predictProba(XTest));
  });

  it('validates priors: a list of non-negative numbers summing to 1, one per class', async () => {
    expect(createEstimator('gaussian_nb', { priors: '0.2, 0.8' }).getParams().priors).toBe('0.2, 0.8');
    for (const priors of ['0.5,0.6', 'a,b', '-0.5,1.5', '', '0.5,,0.5']) {
      await expectKeelError(() => new GaussianNB({ priors }), 'invalid_argument', { field: 'priors' });
    }
    await expectKeelError(
      () => new GaussianNB({ priors: '0.5,0.5' }).fit(X, y),
      'invalid_argument',
      { field: 'priors' },
      /3 classes/,
    );
  });

  it('without smoothing, a feature constant within a class is an error, not NaN probabilities', async () => {
    await expectKeelError(
      () =>
        new GaussianNB({ varSmoothing: 0 }).fit(
          [
            [1, 0],
            [1, 1],
            [2, 5],
            [3, 6],
          ],
          ['a', 'a', 'b', 'b'],
        ),
      'invalid_argument',
      { field: 'varSmoothing' },
    );
  });

  it('with every feature constant, falls back to the priors', async () => {
    const model = await new GaussianNB().fit([[1], [1], [1]], ['a', 'b', 'b']);
    expect(maxAbsDiff(model.predictProba([[1], [1.00001]]).data, [1 / 3, 2 / 3, 1 / 3, 2 / 3])).toBeLessThan(1e-12);
  });
});
