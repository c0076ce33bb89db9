import { describe, expect, it } from 'vitest';
import {
  KNeighborsClassifier,
  KNeighborsRegressor,
  Rng,
  accuracy,
  createEstimator,
  estimatorFromJSON,
  r2,
  type ClassLabel,
  type KNeighborsParams,
  type KNeighborsResult,
} from '../../src/ml/index.js';
import { expectKeelError, fixture, maxAbsDiff, toMatrix } from './helpers.js';

interface NeighborsFixture {
  datasets: Record<string, { X: number[][]; XTest: number[][]; yClass: ClassLabel[]; yRegression: number[] }>;
  cases: {
    dataset: string;
    kind: 'classifier' | 'regressor';
    params: Pick<KNeighborsParams, 'nNeighbors' | 'weights' | 'p'>;
    distances: number[][];
    indices: number[][];
    predictions: ClassLabel[] | number[];
    proba?: number[][];
  }[];
}

interface ClassicFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  results: Record<string, Record<string, { accuracy?: number; r2?: number; predictions?: number[] }>>;
}

const reference = fixture<NeighborsFixture>('neighbors.json');
const classic = fixture<ClassicFixture>('classic-datasets.json');

/** Rows of a neighbour result as arrays, for toEqual. */
function rowsOf(values: ArrayLike<number>, k: number): number[][] {
  return Array.from({ length: values.length / k }, (_, i) => Array.from({ length: k }, (_, c) => values[i * k + c]));
}

/** The fixed split of classic-datasets.json: every fourth row is a test row. */
function split(X: number[][], y: number[]): { train: [number[][], number[]]; test: [number[][], number[]] } {
  const isTest = (i: number): boolean => i % 4 === 0;
  return {
    train: [X.filter((_, i) => !isTest(i)), y.filter((_, i) => !isTest(i))],
    test: [X.filter((_, i) => isTest(i)), y.filter((_, i) => isTest(i))],
  };
}

describe('k-nearest neighbours against scikit-learn (algorithm="brute")', () => {
  describe.each(reference.cases)('$kind on $dataset data, $params', (expected) => {
    const data = reference.datasets[expected.dataset];
    const fit = async (): Promise<KNeighborsClassifier | KNeighborsRegressor> =>
      expected.kind === 'classifier'
        ? new KNeighborsClassifier(expected.params).fit(data.X, data.yClass)
        : new KNeighborsRegressor(expected.params).fit(data.X, data.yRegression);

    it('finds the same neighbours at the same distances', async () => {
      const model = await fit();
      const { k, distances, indices } = model.kneighbors(data.XTest);
      expect(k).toBe(expected.params.nNeighbors);
      if (expected.dataset === 'grid') {
        // Integer features: many equal distances. The same rows are chosen (the lowest index
        // wins a tie at the k-th place); scikit-learn's order among equal distances is
        // unspecified, Keel's is by index, so compare sets.
        const sorted = (rows: number[][]): number[][] => rows.map((row) => [...row].sort((a, b) => a - b));
        expect(sorted(rowsOf(indices, k))).toEqual(sorted(expected.indices));
      } else {
        expect(rowsOf(indices, k)).toEqual(expected.indices);
      }
      // scikit-learn's ‖x‖² − 2x·y + ‖y‖² can leave a duplicate row at ~6e-8 instead of 0.
      const flat = expected.distances.flat();
      distances.forEach((d, i) => expect(Math.abs(d - flat[i])).toBeLessThan(1e-7 + 1e-12 * flat[i]));
    });

    it('predicts the same labels or values (and probabilities)', async () => {
      const model = await fit();
      const predictions = model.predict(data.XTest);
      if (model instanceof KNeighborsClassifier) {
        expect(predictions).toEqual(expected.predictions);
        // The zero-distance rows above shift scikit-learn's distance weights by ~1e-7.
        expect(maxAbsDiff(model.predictProba(data.XTest).data, expected.proba!.flat())).toBeLessThan(1e-6);
      } else {
        expect(maxAbsDiff(predictions as Float64Array, expected.predictions as number[])).toBeLessThan(1e-6);
      }
    });
  });

  describe.each(['breastCancer', 'wine', 'digits'])('%s (scikit-learn bundled data)', (name) => {
    const { X, y } = classic.datasets[name];
    const { train, test } = split(X, y);
    it.each([
      ['kNeighbors', {}],
      ['kNeighborsDistanceManhattan', { weights: 'distance', p: 1 }],
    ] as const)('%s: the same test predictions, so the same accuracy', async (model, params) => {
      const expected = classic.results[name][model];
      const fitted = await new KNeighborsClassifier(params).fit(...train);
      const predictions = fitted.predict(test[0]);
      expect(Math.abs(accuracy(test[1], predictions) - expected.accuracy!)).toBeLessThan(0.02);
      expect(predictions).toEqual(expected.predictions);
    });
  });

  it('KNeighborsRegressor on diabetes: R² within 0.01 of scikit-learn', async () => {
    const { X, y } = classic.datasets.diabetes;
    const { train, test } = split(X, y);
    const model = await new KNeighborsRegressor().fit(...train);
    expect(
      Math.abs(r2(test[1], model.predict(test[0])) - classic.results.diabetes.kNeighborsRegressor.r2!),
    ).toBeLessThan(0.01);
  });
});

describe('KNeighborsClassifier and KNeighborsRegressor', () => {
  const rng = new Rng(11);
  const n = 1200;
  const p = 7;
  const X = Array.from({ length: n }, () => Array.from({ length: p }, () => rng.nextNormal()));
  const y = X.map((row) => (row[0] + row[1] > 0 ? 'up' : 'down'));
  const queries = Array.from({ length: 333 }, () => Array.from({ length: p }, () => rng.nextNormal()));

  /** The k nearest rows by a plain sort of all distances: the definition, slowly. */
  function naive(query: number[], k: number, power: 1 | 2): number[] {
    const distance = (row: number[]): number =>
      power === 2
        ? Math.hypot(...row.map((v, j) => v - query[j]))
        : row.reduce((s, v, j) => s + Math.abs(v - query[j]), 0);
    return X.map((row, i) => [distance(row), i])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, k)
      .map(([, i]) => i);
  }

  it.each([1, 2] as const)('matches a naive search with p=%i, for any k, one thread or several', async (power) => {
    const single = await new KNeighborsClassifier({ p: power, nJobs: 1 }).fit(X, y);
    const parallel = await new KNeighborsClassifier({ p: power, nJobs: 3 }).fit(X, y);
    for (const k of [1, 5, 40]) {
      const expected = queries.map((q) => naive(q, k, power));
      expect(rowsOf(single.kneighbors(queries, k).indices, k)).toEqual(expected);
      expect(parallel.kneighbors(queries, k)).toEqual(single.kneighbors(queries, k));
    }
  });

  it('uses threads for large searches with the same results as one thread', async () => {
    // Enough work to pass the threshold below which the search stays on the calling thread.
    const big = new Rng(3);
    const rows = 20_000;
    const data = Float64Array.from({ length: rows * 16 }, () => big.nextNormal());
    const matrix = { rows, cols: 16, data };
    const targets = Float64Array.from({ length: rows }, (_, i) => data[i * 16]);
    const query = { rows: 1001, cols: 16, data: data.subarray(0, 1001 * 16).map((v) => v + 0.01) };
    const one = await new KNeighborsRegressor({ nJobs: 1 }).fit(matrix, targets);
    const two = await new KNeighborsRegressor({ nJobs: 2 }).fit(matrix, targets);
    expect(two.kneighbors(query)).toEqual(one.kneighbors(query));
    expect(two.predict(query)).toEqual(one.predict(query));
  });

  it('breaks ties between equally distant rows by the lower training index', async () => {
    // Rows 0..5 are all at distance 1 from the query; the 3 nearest are the first three.
    const tied = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
      [1, 0],
      [0, 1],
      [5, 5],
    ];
    const model = await new KNeighborsRegressor({ nNeighbors: 3 }).fit(tied, [1, 2, 3, 4, 5, 6, 7]);
    const result: KNeighborsResult = model.kneighbors([[0, 0]]);
    expect(Array.from(result.indices)).toEqual([0, 1, 2]);
    expect(Array.from(result.distances)).toEqual([1, 1, 1]);
    expect(Array.from(model.predict([[0, 0]]))).toEqual([2]);
  });

  it('with weights "distance", an exact match takes all the weight', async () => {
    const model = await new KNeighborsRegressor({ nNeighbors: 3, weights: 'distance' }).fit(
      [[0], [1], [3], [10]],
      [5, 7, 9, 11],
    );
    expect(Array.from(model.predict([[1], [2]]))).toEqual([7, (7 / 1 + 9 / 1 + 5 / 2) / (1 + 1 + 0.5)]);
  });

  it('a vote tie goes to the first class, as scikit-learn', async () => {
    const model = await new KNeighborsClassifier({ nNeighbors: 2 }).fit([[0], [1], [10]], ['b', 'a', 'c']);
    expect(model.predict([[0.5]])).toEqual(['a']);
    expect(Array.from(model.predictProba([[0.5]]).data)).toEqual([0.5, 0.5, 0]);
  });

  it('keeps the training rows compactly in JSON and predicts identically after a round trip', async () => {
    const model = await new KNeighborsClassifier({ weights: 'distance' }).fit(X, y);
    const json = JSON.parse(JSON.stringify(model)) as { state: { X: unknown } };
    expect(typeof json.state.X).toBe('string'); // base64 of the float64 bytes
    expect(JSON.stringify(model).length).toBeLessThan(n * p * 8 * 1.4 + 10_000);
    const restored = estimatorFromJSON(json) as KNeighborsClassifier;
    expect(restored.predict(queries)).toEqual(model.predict(queries));
    expect(restored.predictProba(queries)).toEqual(model.predictProba(queries));
  });

  it('copies X at fit: changing the caller’s matrix afterwards changes nothing', async () => {
    const matrix = toMatrix(X);
    const model = await new KNeighborsClassifier().fit(matrix, y);
    const before = model.predict(queries);
    matrix.data.fill(0);
    expect(model.predict(queries)).toEqual(before);
  });

  it('is created from keel.yaml names with validated params', async () => {
    expect(createEstimator('k_neighbors', { nNeighbors: 3 })).toBeInstanceOf(KNeighborsClassifier);
    expect(createEstimator('k_neighbors_regressor')).toBeInstanceOf(KNeighborsRegressor);
    await expectKeelError(() => new KNeighborsClassifier({ p: 3 as never }), 'invalid_argument', { field: 'p' });
    await expectKeelError(() => new KNeighborsClassifier({ weights: 'inverse' as never }), 'invalid_argument', {
      field: 'weights',
    });
    await expectKeelError(() => new KNeighborsClassifier({ nJobs: 0 }), 'invalid_argument', { field: 'nJobs' });
    expect(new KNeighborsClassifier({ nJobs: -1 }).getParams().nJobs).toBe(-1);
  });

  it('rejects more neighbours than training rows, at fit and in kneighbors', async () => {
    await expectKeelError(
      () => new KNeighborsClassifier({ nNeighbors: 4 }).fit([[0], [1], [2]], [0, 1, 0]),
      'invalid_argument',
      { field: 'nNeighbors' },
      /only 3 rows/,
    );
    const model = await new KNeighborsClassifier({ nNeighbors: 2 }).fit([[0], [1], [2]], [0, 1, 0]);
    await expectKeelError(() => model.kneighbors([[0]], 4), 'invalid_argument', { field: 'nNeighbors' });
  });

  it('rejects distances that overflow instead of returning garbage neighbours', async () => {
    const model = await new KNeighborsRegressor({ nNeighbors: 1 }).fit([[1e200], [2e200]], [1, 2]);
    await expectKeelError(() => model.predict([[-1e200]]), 'invalid_argument', { field: 'X', row: 0 }, /overflow/);
  });
});
