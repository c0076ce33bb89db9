import { describe, expect, test } from 'vitest';
import type { Table } from '../../src/core/index.js';
import {
  Clip,
  createTransform,
  DateParts,
  HashingEncoder,
  KBinsDiscretizer,
  LogTransform,
  MinMaxScaler,
  OneHotEncoder,
  OrdinalEncoder,
  RobustScaler,
  SimpleImputer,
  StandardScaler,
  TargetEncoder,
  TRANSFORM_NAMES,
  transformFromJSON,
  type FeatureTarget,
  type Transform,
} from '../../src/features/index.js';
import { expectRowsMatchBatch, numberColumn, tableOf, textColumn, valuesOf } from './helpers.js';

// The estimator contract every transform keeps (scikit-learn's check_estimator, for transforms).

const n = 40;
const amounts = Array.from({ length: n }, (_, i) => (i % 9 === 4 ? null : ((i * 37) % 23) - 5 + i / 8));
const codes = Array.from({ length: n }, (_, i) => (i % 11 === 3 ? null : `c${(i * 7) % 5}`));
const stamps = Array.from({ length: n }, (_, i) =>
  i % 13 === 6 ? null : new Date(Date.UTC(2011, i % 12, 1 + (i % 28), i % 24, (i * 7) % 60)).toISOString(),
);
const target = Float64Array.from({ length: n }, (_, i) => (i * 13) % 4);

const numbers = (name = 'a'): Table => tableOf(numberColumn(name, amounts));
const texts = (name = 'k'): Table => tableOf(textColumn(name, codes));

interface Case {
  readonly make: () => Transform;
  readonly table: () => Table;
  readonly target?: FeatureTarget;
}

/** Every transform, with a setting that exercises its state, on data it accepts. */
const cases: Record<string, Case> = {
  SimpleImputer: { make: () => new SimpleImputer({ strategy: 'median', addIndicator: true }), table: numbers },
  StandardScaler: { make: () => new StandardScaler(), table: numbers },
  MinMaxScaler: { make: () => new MinMaxScaler({ featureRange: [-1, 1], clip: true }), table: numbers },
  RobustScaler: { make: () => new RobustScaler({ quantileRange: [10, 90] }), table: numbers },
  OneHotEncoder: { make: () => new OneHotEncoder({ minFrequency: 8 }), table: texts },
  OrdinalEncoder: { make: () => new OrdinalEncoder(), table: texts },
  TargetEncoder: { make: () => new TargetEncoder(), table: texts, target },
  KBinsDiscretizer: { make: () => new KBinsDiscretizer({ nBins: 4 }), table: numbers },
  LogTransform: { make: () => new LogTransform(), table: numbers },
  Clip: { make: () => new Clip({ min: 0, max: 10 }), table: numbers },
  DateParts: { make: () => new DateParts({ cyclical: ['hour'] }), table: () => tableOf(textColumn('t', stamps)) },
  HashingEncoder: { make: () => new HashingEncoder({ nFeatures: 4 }), table: texts },
};
const entries = Object.entries(cases);

const roundTrip = (t: Transform): Transform => transformFromJSON(JSON.parse(JSON.stringify(t.toJSON())));

describe.each(entries)('%s', (type, { make, table, target: y }) => {
  const fitted = (): Transform => make().fit(table(), y);

  test('transformRecord gives the same numbers as transform, row by row', () => {
    expectRowsMatchBatch(fitted(), table());
  });

  test('a JSON round trip restores it without refitting: same JSON, same output', () => {
    const t = fitted();
    const restored = roundTrip(t);
    expect(restored.type).toBe(type);
    expect(restored.toJSON()).toEqual(t.toJSON());
    expect(restored.transform(table())).toEqual(t.transform(table()));
    expect(restored.outputNames()).toEqual(t.outputNames());
  });

  test('an unfitted one refuses to transform, and serialises with null state', () => {
    expect(() => make().transform(table())).toThrow(`${type} is not fitted: call fit() first`);
    expect(() => make().transformRecord({})).toThrow(/not fitted/);
    expect(make().toJSON().state).toBeNull();
    expect(() => roundTrip(make()).inputNames()).toThrow(/not fitted/);
  });

  test('fit replaces an earlier fit', () => {
    const t = make().fit(table(), y);
    const renamed = { ...table(), columns: table().columns.map((c) => ({ ...c, name: 'other' })) };
    t.fit(renamed, y);
    expect(t.inputNames()).toEqual(['other']);
    expect(t.toJSON()).toEqual(make().fit(renamed, y).toJSON());
  });

  test('an unknown parameter is refused, naming it and listing the real ones', () => {
    const TransformClass = make().constructor as new (params: unknown) => Transform;
    expect(() => new TransformClass({ nope: 1 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', details: { field: 'nope' } }),
    );
  });

  test('JSON with a malformed param or state is an incompatible package, reported by path', () => {
    const json = fitted().toJSON();
    expect(() => transformFromJSON({ ...json, params: { ...json.params, nope: 1 } })).toThrow(
      expect.objectContaining({ code: 'incompatible', details: { field: '$.params.nope' } }),
    );
    expect(() => transformFromJSON({ ...json, state: { columns: 'x' } })).toThrow(
      expect.objectContaining({ code: 'incompatible' }),
    );
  });
});

describe('bad parameter values name the parameter and what it should be', () => {
  test.each([
    [() => new SimpleImputer({ strategy: 'mode' as 'mean' }), 'strategy', /must be one of "mean", "median"/],
    [() => new MinMaxScaler({ featureRange: [1, 0] }), 'featureRange', /two increasing numbers/],
    [() => new RobustScaler({ quantileRange: [25, 175] }), 'quantileRange', /within \[0, 100\]/],
    [() => new OneHotEncoder({ minFrequency: 1.5 }), 'minFrequency', /a count ≥ 1/],
    [() => new OneHotEncoder({ handleUnknown: 'skip' as 'ignore' }), 'handleUnknown', /infrequent_if_exist/],
    [() => new TargetEncoder({ smooth: -1 }), 'smooth', /"auto" or a number ≥ 0/],
    [() => new KBinsDiscretizer({ nBins: 1 }), 'nBins', /an integer ≥ 2/],
    [() => new KBinsDiscretizer({ strategy: 'kmeans' as 'uniform' }), 'strategy', /"quantile", "uniform"/],
    [() => new Clip({}), 'min', /or max must be set/],
    [() => new Clip({ min: 5, max: 1 }), 'max', /below min/],
    [() => new DateParts({ parts: ['hour', 'hour'] }), 'parts', /each once/],
    [() => new DateParts({ parts: ['second' as 'hour'] }), 'parts', /"minute", "dayofyear"/],
    [() => new HashingEncoder({ nFeatures: 0 }), 'nFeatures', /≥ 1/],
    [() => new LogTransform({ offset: Infinity }), 'offset', /a number/],
  ] as const)('%#: %s', (make, field, message) => {
    expect(make).toThrow(
      expect.objectContaining({ code: 'invalid_argument', details: expect.objectContaining({ field }) }),
    );
    expect(make).toThrow(message);
  });
});

describe('createTransform builds transforms from keel.yaml specs', () => {
  test('every registered name builds the transform of that kind', () => {
    expect(
      TRANSFORM_NAMES.map((name) => createTransform({ type: name, ...(name === 'clip' ? { max: 1 } : {}) }, 'x').type),
    ).toEqual(Object.keys(cases));
  });

  test('errors carry the keel.yaml path of the offending key', () => {
    expect(() =>
      createTransform({ type: 'min_max_scaler', featureRange: [2, 1] }, 'features.steps[0].transforms[1]'),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/^features\.steps\[0\]\.transforms\[1\]\.featureRange: MinMaxScaler parameter/),
        details: expect.objectContaining({ field: 'features.steps[0].transforms[1].featureRange' }),
      }),
    );
    expect(() =>
      createTransform({ type: 'standard_scaler', with_mean: false }, 'features.steps[2].transforms[0]'),
    ).toThrow(
      'features.steps[2].transforms[0].with_mean: StandardScaler has no parameter "with_mean"; its parameters are withMean, withStd',
    );
    expect(() => createTransform({ type: 'pca' }, 'features.steps[0].transforms[0]')).toThrow(
      expect.objectContaining({ details: { field: 'features.steps[0].transforms[0].type' } }),
    );
  });
});

describe('per-transform behaviour', () => {
  test('LogTransform: log1p by default, ln(x + offset) with one; out of domain is missing', () => {
    const t = tableOf(numberColumn('v', [0, Math.E - 1, -1, -2, null]));
    expect(valuesOf(new LogTransform().fit(t).transform(t), 'v')).toEqual([0, 1, null, null, null]);
    const shifted = new LogTransform({ offset: 3 }).fit(t).transform(t);
    expect(valuesOf(shifted, 'v')).toEqual([Math.log(3), Math.log(Math.E + 2), Math.log(2), 0, null]);
    expect(valuesOf(new LogTransform({ offset: 0 }).fit(t).transform(t), 'v')[0]).toBeNull();
  });

  test('Clip: bounds either side, missing stays missing', () => {
    const t = tableOf(numberColumn('v', [-5, 0.5, 9, null]));
    expect(valuesOf(new Clip({ min: 0 }).fit(t).transform(t), 'v')).toEqual([0, 0.5, 9, null]);
    expect(valuesOf(new Clip({ min: 0, max: 1 }).fit(t).transform(t), 'v')).toEqual([0, 0.5, 1, null]);
  });

  test('numeric transforms refuse text columns, naming the column', () => {
    for (const t of [
      new StandardScaler(),
      new MinMaxScaler(),
      new RobustScaler(),
      new KBinsDiscretizer(),
      new LogTransform(),
    ]) {
      expect(() => t.fit(texts('label'))).toThrow(
        expect.objectContaining({ code: 'invalid_data', details: { field: 'label' } }),
      );
    }
  });

  test('SimpleImputer constant: a text fill for a numeric column is refused at fillValue', () => {
    expect(() => new SimpleImputer({ strategy: 'constant', fillValue: 'none' }).fit(numbers())).toThrow(
      expect.objectContaining({ details: { field: 'fillValue' } }),
    );
    const filled = new SimpleImputer({ strategy: 'constant' }).fit(texts());
    expect(filled.transformRecord({ k: null })).toEqual({ k: 'missing' });
  });

  test('OneHotEncoder: a category literally named "infrequent" cannot share the infrequent column name', () => {
    const t = tableOf(textColumn('k', ['infrequent', 'infrequent', 'rare']));
    expect(() => new OneHotEncoder({ minFrequency: 2 }).fit(t)).toThrow(/clash/);
  });
});
