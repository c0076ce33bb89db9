import { describe, expect, test } from 'vitest';
import type { Table } from '../../src/core/index.js';
import {
  OneHotEncoder,
  SimpleImputer,
  StandardScaler,
  transformFromJSON,
  type Transform,
} from '../../src/features/index.js';

const table: Table = {
  rows: 5,
  columns: [
    { name: 'x', kind: 'number', values: Float64Array.from([1, NaN, 4, 4, 10]) },
    { name: 'color', kind: 'string', values: ['red', null, 'blue', 'red', 'green'] },
  ],
};
const numbers = (t: Table, name: string): Array<number | string | null> => [
  ...(t.columns.find((c) => c.name === name)?.values ?? []),
];
const roundTrip = (t: Transform): Transform => transformFromJSON(JSON.parse(JSON.stringify(t.toJSON())));

describe('SimpleImputer', () => {
  const x: Table = { rows: 5, columns: [table.columns[0]] };

  test.each([
    ['mean', 4.75],
    ['median', 4],
    ['most_frequent', 4],
    ['constant', 0],
  ] as const)('%s fills missing numbers with %d', (strategy, fill) => {
    const imputer = new SimpleImputer({ strategy }).fit(x);
    expect(numbers(imputer.transform(x), 'x')).toEqual([1, fill, 4, 4, 10]);
  });

  test('most_frequent and constant fill text; ties go to the smallest value', () => {
    const color: Table = { rows: 5, columns: [table.columns[1]] };
    const frequent = new SimpleImputer({ strategy: 'most_frequent' }).fit(color);
    expect(frequent.transform(color).columns[0].values).toEqual(['red', 'red', 'blue', 'red', 'green']);
    const tie: Table = { rows: 3, columns: [{ name: 'c', kind: 'string', values: ['b', 'a', null] }] };
    expect(new SimpleImputer({ strategy: 'most_frequent' }).fit(tie).transformRecord({ c: null })).toEqual({ c: 'a' });
    const constant = new SimpleImputer({ strategy: 'constant', fillValue: '?' }).fit(color);
    expect(constant.transformRecord({ color: null })).toEqual({ color: '?' });
  });

  test('refuses a mean of text and a column without values', () => {
    expect(() => new SimpleImputer({ strategy: 'mean' }).fit(table)).toThrow(
      /cannot take the mean of text column "color"/,
    );
    const empty: Table = { rows: 2, columns: [{ name: 'e', kind: 'number', values: Float64Array.from([NaN, NaN]) }] };
    expect(() => new SimpleImputer({ strategy: 'median' }).fit(empty)).toThrow(/"e" has no values/);
  });
});

describe('StandardScaler', () => {
  test('centres on the mean and divides by the population standard deviation', () => {
    const t: Table = { rows: 4, columns: [{ name: 'x', kind: 'number', values: Float64Array.from([1, 2, 3, 4]) }] };
    const std = Math.sqrt(1.25);
    expect(numbers(new StandardScaler().fit(t).transform(t), 'x')).toEqual([
      -1.5 / std,
      -0.5 / std,
      0.5 / std,
      1.5 / std,
    ]);
  });

  test('a constant column gets scale 1 and missing values stay missing', () => {
    const t: Table = { rows: 3, columns: [{ name: 'x', kind: 'number', values: Float64Array.from([5, NaN, 5]) }] };
    expect(numbers(new StandardScaler().fit(t).transform(t), 'x')).toEqual([0, NaN, 0]);
  });
});

describe('OneHotEncoder', () => {
  const color: Table = { rows: 5, columns: [table.columns[1]] };

  test('one 0/1 column per sorted category; unknown and missing values are all zeros', () => {
    const encoder = new OneHotEncoder().fit(color);
    expect(encoder.outputNames()).toEqual(['color=blue', 'color=green', 'color=red']);
    const out = encoder.transform(color);
    expect(out.columns.map((c) => [...c.values])).toEqual([
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 1],
      [1, 0, 0, 1, 0],
    ]);
    expect(encoder.transformRecord({ color: 'purple' })).toEqual({ 'color=blue': 0, 'color=green': 0, 'color=red': 0 });
  });

  test('handleUnknown: error rejects an unseen category, naming the column', () => {
    const encoder = new OneHotEncoder({ handleUnknown: 'error' }).fit(color);
    expect(() => encoder.transformRecord({ color: 'purple' })).toThrow('column "color": unknown category "purple"');
  });

  test('numbers are encoded as their decimal text', () => {
    const codes: Table = { rows: 3, columns: [{ name: 'n', kind: 'number', values: Float64Array.from([2, 1, 2]) }] };
    const encoder = new OneHotEncoder().fit(codes);
    expect(encoder.outputNames()).toEqual(['n=1', 'n=2']);
    expect(encoder.transformRecord({ n: 2 })).toEqual({ 'n=1': 0, 'n=2': 1 });
  });
});

describe('the estimator contract', () => {
  const fitted = (): Transform[] => [
    new SimpleImputer({ strategy: 'median' }).fit({ rows: 5, columns: [table.columns[0]] }),
    new StandardScaler().fit({ rows: 5, columns: [table.columns[0]] }),
    new OneHotEncoder().fit({ rows: 5, columns: [table.columns[1]] }),
  ];

  test.each(fitted().map((t) => [t.type, t] as const))('%s round-trips through JSON with identical output', (_, t) => {
    const restored = roundTrip(t);
    expect(restored.toJSON()).toEqual(t.toJSON());
    expect(restored.transform(table)).toEqual(t.transform(table));
  });

  test.each([
    ['SimpleImputer', new SimpleImputer()],
    ['StandardScaler', new StandardScaler()],
    ['OneHotEncoder', new OneHotEncoder()],
  ] as const)('an unfitted %s refuses to transform', (type, t) => {
    expect(() => t.transform(table)).toThrow(`${type} is not fitted: call fit() first`);
  });

  test('fit replaces an earlier fit', () => {
    const encoder = new OneHotEncoder().fit({ rows: 1, columns: [{ name: 'c', kind: 'string', values: ['a'] }] });
    encoder.fit({ rows: 1, columns: [{ name: 'c', kind: 'string', values: ['b'] }] });
    expect(encoder.outputNames()).toEqual(['c=b']);
  });

  test('malformed JSON is rejected with the offending path', () => {
    expect(() =>
      transformFromJSON({ type: 'StandardScaler', params: {}, state: { columns: [{ name: 'x', mean: '1' }] } }),
    ).toThrow('feature pipeline JSON: $.state.columns[0].mean should be a number');
    expect(() => transformFromJSON({ type: 'Nope', params: {}, state: null })).toThrow(/\$\.type should be/);
  });
});
