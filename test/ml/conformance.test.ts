/**
 * The estimator contract, checked for every registered estimator (scikit-learn's
 * check_estimator). A new estimator joins this suite by being added to the registry.
 */
import { describe, expect, it } from 'vitest';
import {
  createEstimator,
  estimatorClass,
  estimatorFromJSON,
  isClassifier,
  listAlgorithms,
  type Classifier,
  type Estimator,
} from '../../src/ml/index.js';
import { blobs, expectKeelError, expectProbabilities, regressionData, toMatrix, type Dataset } from './helpers.js';

type Label = number | string;

function trainingData(estimator: Estimator, seed = 1): Dataset<Label> {
  if (estimator.tags.unsupervised) return blobs(120, 4, ['ant', 'bee', 'cat'], seed); // y is ignored
  if (!estimator.tags.classifier) return regressionData(120, 4, seed);
  return blobs(120, 4, estimator.tags.multiclass ? ['ant', 'bee', 'cat'] : ['ant', 'bee'], seed);
}

/** Predictions in a form toEqual compares exactly. */
function predictions(estimator: Estimator, X: number[][]): unknown {
  if (isClassifier(estimator)) {
    const proba = estimator.predictProba(X);
    return { labels: estimator.predict(X), proba: Array.from(proba.data) };
  }
  return Array.from(estimator.predict(X));
}

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.each(listAlgorithms())('estimator contract: %s', (algorithm) => {
  const Class = estimatorClass(algorithm);
  const make = (params = {}): Estimator => createEstimator(algorithm, params);

  it('is registered under its algorithm name and declares its tags', () => {
    expect(Class.algorithm).toBe(algorithm);
    const estimator = make();
    expect(estimator.algorithm).toBe(algorithm);
    expect(estimator.tags).toBe(Class.tags);
    if (Class.tags.unsupervised) expect([Class.tags.classifier, Class.tags.regressor]).toEqual([false, false]);
    else expect(Class.tags.classifier).not.toBe(Class.tags.regressor);
    expect(estimator).toBeInstanceOf(Class);
    // A randomized estimator is seeded by a param, so runs can be reproduced.
    expect('seed' in estimator.getParams()).toBe(Class.tags.randomized);
  });

  it('exposes feature importances when its tags say so', async () => {
    const { X, y } = trainingData(make());
    const fitted = (await make().fit(X, y)) as Estimator & { featureImportances?: Float64Array };
    if (!Class.tags.featureImportances) {
      expect(fitted.featureImportances).toBeUndefined();
      return;
    }
    const importances = fitted.featureImportances!;
    expect(importances).toHaveLength(4);
    expect(importances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...importances)).toBeGreaterThanOrEqual(0);
  });

  it('constructor stores params and fits nothing', async () => {
    const estimator = make();
    expect(estimator.isFitted).toBe(false);
    expect(
      Object.values(estimator.getParams()).every(
        (v) => v === null || ['number', 'string', 'boolean'].includes(typeof v),
      ),
    ).toBe(true);
    await expectKeelError(() => estimator.predict([[1, 2, 3, 4]]), 'failed_precondition', {}, /not fitted yet/);
    await expectKeelError(() => estimator.nFeatures, 'failed_precondition');
  });

  it('rejects unknown params and invalid values, naming the field', async () => {
    await expectKeelError(() => make({ no_such_param: 1 }), 'invalid_argument', { field: 'no_such_param' });
    const [name] = Object.keys(make().getParams());
    await expectKeelError(() => make({ [name]: 'not valid' as never }), 'invalid_argument', { field: name });
    await expectKeelError(() => make().setParams({ [name]: -1e300 }), 'invalid_argument', { field: name });
  });

  it('fit returns the estimator itself and predicts one value per row', async () => {
    const { X, y } = trainingData(make());
    const estimator = make();
    expect(await estimator.fit(X, y)).toBe(estimator);
    expect(estimator.isFitted).toBe(true);
    expect(estimator.nFeatures).toBe(4);
    const predicted = estimator.predict(X.slice(0, 7));
    expect(predicted).toHaveLength(7);
    if (isClassifier(estimator)) {
      const k = estimator.tags.multiclass ? 3 : 2;
      expect(estimator.classes).toEqual(['ant', 'bee', 'cat'].slice(0, k));
      const proba = estimator.predictProba(X.slice(0, 7));
      expect([proba.rows, proba.cols]).toEqual([7, k]);
      expect(proba.data).toBeInstanceOf(Float64Array);
      expectProbabilities(proba);
      // predict is the most probable class.
      predicted.forEach((label, i) => {
        const row = Array.from(proba.data.subarray(i * k, i * k + k));
        expect(row[estimator.classes.indexOf(label)]).toBe(Math.max(...row));
      });
      // It learned something: blobs are easy.
      const correct = estimator.predict(X).filter((label, i) => label === y[i]).length;
      expect(correct / X.length).toBeGreaterThan(0.8);
    } else if (Class.tags.unsupervised) {
      expect(Array.from(predicted as ArrayLike<unknown>).every(Number.isFinite)).toBe(true);
    } else {
      expect(predicted).toBeInstanceOf(Float64Array);
      expect(Array.from(predicted as Float64Array).every(Number.isFinite)).toBe(true);
    }
  });

  it('accepts number[][], Float64 and Float32 dense matrices alike', async () => {
    const { X, y } = trainingData(make());
    const fromRows = await make().fit(X, y);
    const fromDense = await make().fit(toMatrix(X), y);
    expect(predictions(fromDense, X)).toEqual(predictions(fromRows, X));
    const dense = toMatrix(X);
    const float32 = { rows: dense.rows, cols: dense.cols, data: Float32Array.from(dense.data) };
    const fromFloat32 = await make().fit(float32, y);
    expect(fromFloat32.predict(float32)).toHaveLength(X.length);
  });

  it('is deterministic: the same data and params give the same model', async () => {
    const { X, y } = trainingData(make());
    const first = await make().fit(X, y);
    const second = await make().fit(X, y);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('clone is unfitted and has equal params', async () => {
    const { X, y } = trainingData(make());
    const fitted = await make().fit(X, y);
    const copy = fitted.clone();
    expect(copy).toBeInstanceOf(Class);
    expect(copy.isFitted).toBe(false);
    expect(copy.getParams()).toEqual(fitted.getParams());
    expect(copy).not.toBe(fitted);
  });

  it('round-trips through JSON.stringify and JSON.parse with identical predictions', async () => {
    const { X, y } = trainingData(make());
    const fitted = await make().fit(X, y);
    const json = roundTrip(fitted.toJSON());
    expect(json).toMatchObject({ algorithm, params: fitted.getParams() });
    const viaRegistry = estimatorFromJSON(json);
    const viaClass = Class.fromJSON(json);
    expect(viaRegistry).toBeInstanceOf(Class);
    expect(predictions(viaRegistry, X)).toEqual(predictions(fitted, X));
    expect(predictions(viaClass, X)).toEqual(predictions(fitted, X));
    expect(JSON.stringify(viaRegistry)).toBe(JSON.stringify(fitted));
  });

  it('round-trips an unfitted estimator as params with a null state', () => {
    const estimator = make();
    const json = roundTrip(estimator.toJSON()) as { state: unknown };
    expect(json.state).toBeNull();
    const restored = estimatorFromJSON(json);
    expect(restored.isFitted).toBe(false);
    expect(restored.getParams()).toEqual(estimator.getParams());
  });

  it('a second fit replaces the first', async () => {
    const first = trainingData(make(), 1);
    const second = make().tags.classifier
      ? blobs(80, 3, [7, 8], 2) // other labels, other column count
      : regressionData(80, 3, 2);
    const refitted = await (await make().fit(first.X, first.y)).fit(second.X, second.y);
    const fresh = await make().fit(second.X, second.y);
    expect(refitted.nFeatures).toBe(3);
    expect(JSON.stringify(refitted)).toBe(JSON.stringify(fresh));
    if (isClassifier(refitted)) expect(refitted.classes).toEqual([7, 8]);
  });

  it('a failed fit keeps the previous fit', async () => {
    const { X, y } = trainingData(make());
    const estimator = await make().fit(X, y);
    const before = JSON.stringify(estimator);
    // Infinity is invalid for every estimator (NaN is a missing value to those that handle them).
    await expectKeelError(() => estimator.fit([[1, 2, 3, Infinity]], [y[0]]), 'invalid_argument');
    expect(JSON.stringify(estimator)).toBe(before);
  });

  it('setParams validates, updates getParams and discards the fit', async () => {
    const { X, y } = trainingData(make());
    const estimator = await make().fit(X, y);
    const params = estimator.getParams();
    expect(estimator.setParams({})).toBe(estimator);
    expect(estimator.getParams()).toEqual(params);
    expect(estimator.isFitted).toBe(false);
  });

  it('rejects bad X with the offending row and column', async () => {
    const { X, y } = trainingData(make());
    const withNaN = X.map((row) => [...row]);
    withNaN[5][2] = NaN;
    if (!Class.tags.handlesMissing) {
      await expectKeelError(
        () => make().fit(withNaN, y),
        'invalid_argument',
        { field: 'X', row: 5, column: 2 },
        /missing value/,
      );
    }
    const withInfinity = X.map((row) => [...row]);
    withInfinity[3][1] = Infinity;
    await expectKeelError(() => make().fit(withInfinity, y), 'invalid_argument', { field: 'X', row: 3, column: 1 });
    const withText = X.map((row) => [...row]) as unknown[][];
    withText[4][0] = 'red';
    await expectKeelError(
      () => make().fit(withText as number[][], y),
      'invalid_argument',
      { row: 4, column: 0 },
      /"red"/,
    );
    const ragged = X.map((row) => [...row]);
    ragged[9] = ragged[9].slice(0, 3);
    await expectKeelError(() => make().fit(ragged, y), 'invalid_argument', { field: 'X', row: 9 });
    await expectKeelError(() => make().fit([], []), 'invalid_argument', { field: 'X' }, /empty/);
    await expectKeelError(
      () => make().fit({ rows: 2, cols: 2, data: new Float64Array(3) }, [y[0], y[1]]),
      'invalid_argument',
      {
        field: 'X.data',
      },
    );
  });

  it('rejects y of the wrong length or with invalid values', async () => {
    const { X, y } = trainingData(make());
    if (Class.tags.unsupervised) {
      // y is not needed and, if given, ignored.
      const withoutY = await make().fit(X);
      expect(JSON.stringify(await make().fit(X, y.slice(1)))).toBe(JSON.stringify(withoutY));
      return;
    }
    await expectKeelError(() => make().fit(X, y.slice(1)), 'invalid_argument', {
      field: 'y',
      expected: 120,
      actual: 119,
    });
    const withNull = [...y] as unknown[];
    withNull[7] = null;
    await expectKeelError(() => make().fit(X, withNull as Label[]), 'invalid_argument', { field: 'y', row: 7 });
  });

  it('rejects prediction input with a different column count', async () => {
    const { X, y } = trainingData(make());
    const estimator = await make().fit(X, y);
    await expectKeelError(() => estimator.predict([[1, 2, 3]]), 'invalid_argument', {
      field: 'X',
      expected: 4,
      actual: 3,
    });
    const invalid = Class.tags.handlesMissing ? Infinity : NaN;
    await expectKeelError(() => estimator.predict([[1, 2, invalid, 4]]), 'invalid_argument', { row: 0, column: 2 });
  });

  it('rejects model JSON that is damaged, naming the field', async () => {
    const { X, y } = trainingData(make());
    const json = roundTrip(await make().fit(X, y)) as {
      algorithm: string;
      params: object;
      state: Record<string, unknown>;
    };
    await expectKeelError(() => Class.fromJSON({ ...json, algorithm: 'something_else' }), 'invalid_data', {
      field: 'model.algorithm',
    });
    await expectKeelError(() => estimatorFromJSON({ ...json, algorithm: 'something_else' }), 'incompatible');
    await expectKeelError(() => Class.fromJSON({ ...json, params: { bogus: 1 } }), 'invalid_data', {
      field: 'model.params.bogus',
    });
    await expectKeelError(() => Class.fromJSON({ ...json, state: { ...json.state, nFeatures: -1 } }), 'invalid_data', {
      field: 'model.state.nFeatures',
    });
    await expectKeelError(() => Class.fromJSON('not an object'), 'invalid_data', { field: 'model' });
  });
});

describe.each(listAlgorithms().filter((a) => estimatorClass(a).tags.classifier))(
  'classifier contract: %s',
  (algorithm) => {
    const make = (): Classifier => createEstimator(algorithm) as Classifier;

    it('keeps labels as given: numbers stay numbers, strings stay strings, classes sorted', async () => {
      const { X } = blobs(90, 3, [0, 1, 2], 3);
      const numeric = await make().fit(
        X,
        Float64Array.from({ length: 90 }, (_, i) => [30, 4, 100][i % 3]),
      );
      expect(numeric.classes).toEqual([4, 30, 100]);
      expect(typeof numeric.predict(X)[0]).toBe('number');
      const text = await make().fit(
        X,
        Array.from({ length: 90 }, (_, i) => ['b', 'a', 'c'][i % 3]),
      );
      expect(text.classes).toEqual(['a', 'b', 'c']);
      expect(typeof text.predict(X)[0]).toBe('string');
    });

    it('rejects labels that mix numbers and strings', async () => {
      const { X } = blobs(4, 2, [0, 1], 3);
      await expectKeelError(
        () => make().fit(X, [1, 'a', 1, 'a']),
        'invalid_argument',
        { field: 'y', row: 1 },
        /mixes numbers and strings/,
      );
    });

    it('predictProba columns follow classes', async () => {
      const { X, y } = blobs(150, 3, ['x', 'y', 'z'], 4);
      const model = await make().fit(X, y);
      const proba = model.predictProba(X);
      // Each class's column is largest, on average, on that class's own rows.
      model.classes.forEach((label, c) => {
        const own = y.map((l, i) => (l === label ? proba.data[i * 3 + c] : NaN)).filter((v) => !Number.isNaN(v));
        const other = y.map((l, i) => (l !== label ? proba.data[i * 3 + c] : NaN)).filter((v) => !Number.isNaN(v));
        const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
        expect(mean(own)).toBeGreaterThan(mean(other));
      });
    });
  },
);
