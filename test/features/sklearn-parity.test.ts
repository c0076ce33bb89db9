import { beforeAll, describe, expect, test } from 'vitest';
import type { Table } from '../../src/core/index.js';
import { readCsvTable } from '../../src/data/index.js';
import {
  DateParts,
  HashingEncoder,
  KBinsDiscretizer,
  MinMaxScaler,
  murmurhash3,
  OneHotEncoder,
  OrdinalEncoder,
  parseDatetime,
  RobustScaler,
  SimpleImputer,
  StandardScaler,
  TargetEncoder,
} from '../../src/features/index.js';
import { expectClose, expectRowsMatchBatch, numberColumn, sklearn, tableOf, textColumn, valuesOf } from './helpers.js';

// Each transform against scikit-learn 1.2's numbers on the same input (see
// test/fixtures/features/make-fixtures.py), and its single-row path against its batch path.

const numeric: Table = tableOf(numberColumn('x', sklearn.numeric.x), numberColumn('y', sklearn.numeric.y));
const columnsOf = (t: Table, names: readonly string[]) => names.map((n) => valuesOf(t, n));

describe('StandardScaler', () => {
  test('mean, population scale and output as scikit-learn, missing values kept', () => {
    const scaler = new StandardScaler().fit(numeric);
    const state = scaler.toJSON().state as { columns: Array<{ mean: number; scale: number }> };
    expectClose(
      state.columns.map((c) => c.mean),
      sklearn.standard_scaler.mean,
      'mean',
    );
    expectClose(
      state.columns.map((c) => c.scale),
      sklearn.standard_scaler.scale,
      'scale',
    );
    const out = scaler.transform(numeric);
    ['x', 'y'].forEach((n, j) => expectClose(valuesOf(out, n), sklearn.standard_scaler.columns[j], n));
    expectRowsMatchBatch(scaler, numeric);
  });
});

describe('MinMaxScaler', () => {
  const expected = sklearn.min_max_scaler;

  test('featureRange [-1, 2]: scale, min and output as scikit-learn', () => {
    const scaler = new MinMaxScaler({ featureRange: expected.featureRange }).fit(numeric);
    const state = scaler.toJSON().state as { columns: Array<{ scale: number; min: number }> };
    expect(state.columns.map((c) => c.scale)).toEqual(expected.scale);
    expect(state.columns.map((c) => c.min)).toEqual(expected.min);
    ['x', 'y'].forEach((n, j) => expectClose(valuesOf(scaler.transform(numeric), n), expected.columns[j], n, 0));
    expectRowsMatchBatch(scaler, numeric);
  });

  test('values outside the training range leave featureRange unless clip is set', () => {
    const probe = tableOf(
      numberColumn(
        'x',
        expected.probe.map((r) => r[0]),
      ),
      numberColumn(
        'y',
        expected.probe.map((r) => r[1]),
      ),
    );
    for (const [clip, want] of [
      [false, expected.probeOut],
      [true, expected.probeClipped],
    ] as const) {
      const out = new MinMaxScaler({ featureRange: expected.featureRange, clip }).fit(numeric).transform(probe);
      ['x', 'y'].forEach((n, j) =>
        expectClose(
          valuesOf(out, n),
          want.map((r) => r[j]),
          `${n} clip=${clip}`,
          0,
        ),
      );
    }
  });
});

describe('RobustScaler', () => {
  test.each(sklearn.robust_scaler.map((c) => [JSON.stringify(c.params), c] as const))(
    '%s: median, interquantile range and output as scikit-learn',
    (_, expected) => {
      const scaler = new RobustScaler(expected.params).fit(numeric);
      const state = scaler.toJSON().state as { columns: Array<{ center: number; scale: number }> };
      expect(state.columns.map((c) => c.center)).toEqual(expected.center);
      expect(state.columns.map((c) => c.scale)).toEqual(expected.scale);
      ['x', 'y'].forEach((n, j) => expectClose(valuesOf(scaler.transform(numeric), n), expected.columns[j], n, 0));
      expectRowsMatchBatch(scaler, numeric);
    },
  );
});

describe('SimpleImputer', () => {
  test.each(sklearn.simple_imputer.map((c) => [JSON.stringify(c.params), c] as const))(
    '%s as scikit-learn',
    (_, expected) => {
      const imputer = new SimpleImputer(expected.params).fit(numeric);
      const out = imputer.transform(numeric);
      const names = expected.params.addIndicator ? ['x', 'y', 'x_missing', 'y_missing'] : ['x', 'y'];
      expect(imputer.outputNames()).toEqual(names);
      names.forEach((n, j) => expectClose(valuesOf(out, n), expected.columns[j], n));
      expectRowsMatchBatch(imputer, numeric);
    },
  );

  test('addIndicator adds a column only for columns that had missing values in training', () => {
    const t = tableOf(numberColumn('full', [1, 2, 3]), textColumn('gaps', ['a', null, 'a']));
    const imputer = new SimpleImputer({ strategy: 'most_frequent', addIndicator: true }).fit(t);
    expect(imputer.outputNames()).toEqual(['full', 'gaps', 'gaps_missing']);
    expect(imputer.transformRecord({ full: NaN, gaps: null })).toEqual({ full: 1, gaps: 'a', gaps_missing: 1 });
    expect(valuesOf(imputer.transform(t), 'gaps_missing')).toEqual([0, 1, 0]);
  });
});

describe('KBinsDiscretizer', () => {
  const data = sklearn.k_bins_discretizer;
  const complete = tableOf(numberColumn('x', data.x), numberColumn('y', data.y));

  test.each(data.cases.map((c) => [JSON.stringify(c.params), c] as const))(
    '%s: the same edges and bins as scikit-learn',
    (_, expected) => {
      const ordinal = new KBinsDiscretizer({ ...expected.params, encode: 'ordinal' }).fit(complete);
      const state = ordinal.toJSON().state as { columns: Array<{ edges: number[] }> };
      expect(state.columns.map((c) => c.edges)).toEqual(expected.edges.map((e) => e.slice(1, -1)));
      ['x', 'y'].forEach((n, j) =>
        expect(valuesOf(ordinal.transform(complete), `${n}.bin`)).toEqual(expected.ordinal[j]),
      );
      const onehot = new KBinsDiscretizer({ ...expected.params, encode: 'onehot' }).fit(complete);
      expect(columnsOf(onehot.transform(complete), onehot.outputNames())).toEqual(expected.onehot);
      expectRowsMatchBatch(ordinal, complete);
      expectRowsMatchBatch(onehot, complete);
    },
  );

  test('values beyond the training range go to the first and last bins; missing stays missing', () => {
    const bins = new KBinsDiscretizer({ nBins: 4, strategy: 'uniform', encode: 'ordinal' }).fit(complete);
    expect(bins.transformRecord({ x: -1e9, y: 1e9 })).toEqual({ 'x.bin': 0, 'y.bin': 3 });
    expect(bins.transformRecord({ x: NaN, y: 0 })['x.bin']).toBeNaN();
    const onehot = new KBinsDiscretizer({ nBins: 3, encode: 'onehot' }).fit(complete);
    expect(Object.values(onehot.transformRecord({ x: NaN, y: 0 })).slice(0, 3)).toEqual([0, 0, 0]);
  });
});

describe('OneHotEncoder', () => {
  const data = sklearn.one_hot_encoder;
  const color = tableOf(textColumn('color', data.values));
  const probe = tableOf(textColumn('color', data.probe));

  test.each(data.cases.map((c) => [JSON.stringify(c.params), c] as const))(
    '%s: the same columns, infrequent categories and output as scikit-learn',
    (_, expected) => {
      const encoder = new OneHotEncoder(expected.params).fit(color);
      // scikit-learn names them color_a … color_infrequent_sklearn.
      expect(encoder.outputNames()).toEqual(
        expected.featureNames.map((n) => n.replace(/^color_/, 'color=').replace('infrequent_sklearn', 'infrequent')),
      );
      const state = encoder.toJSON().state as { columns: Array<{ infrequent: string[] }> };
      expect(state.columns[0].infrequent).toEqual(expected.infrequent);
      expect(columnsOf(encoder.transform(color), encoder.outputNames())).toEqual(expected.columns);
      expect(columnsOf(encoder.transform(probe), encoder.outputNames())).toEqual(expected.probe);
      expectRowsMatchBatch(encoder, color);
      expectRowsMatchBatch(encoder, probe);
    },
  );

  test('a numeric column sorts its categories numerically, as scikit-learn', () => {
    const hours = tableOf(numberColumn('hour', sklearn.one_hot_numeric.values));
    const encoder = new OneHotEncoder().fit(hours);
    expect(encoder.outputNames()).toEqual(sklearn.one_hot_numeric.categories.map((c) => `hour=${c}`));
    expect(columnsOf(encoder.transform(hours), encoder.outputNames())).toEqual(sklearn.one_hot_numeric.columns);
  });

  test('handleUnknown: error names the column and the value (a 400 for serving)', () => {
    const encoder = new OneHotEncoder({ handleUnknown: 'error' }).fit(color);
    expect(() => encoder.transformRecord({ color: 'zz' })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', details: { field: 'color', value: 'zz' } }),
    );
    expect(() => encoder.transform(probe)).toThrow(
      expect.objectContaining({ details: { field: 'color', value: 'zz', row: 2 } }),
    );
  });
});

describe('OrdinalEncoder', () => {
  const data = sklearn.ordinal_encoder;

  test('text: sorted categories, missing → NaN, unknown → -1, as scikit-learn', () => {
    const t = tableOf(textColumn('c', data.text));
    const encoder = new OrdinalEncoder().fit(t);
    expect(encoder.domain('c')).toEqual(data.textCategories);
    expect(valuesOf(encoder.transform(t), 'c')).toEqual(data.textCodes);
    expect(valuesOf(encoder.transform(tableOf(textColumn('c', data.textProbe))), 'c')).toEqual(data.textProbeCodes);
    expectRowsMatchBatch(encoder, t);
  });

  test('numbers: numeric order; unknownValue null gives NaN, as scikit-learn', () => {
    const t = tableOf(numberColumn('n', data.numbers));
    const encoder = new OrdinalEncoder({ unknownValue: null }).fit(t);
    expect(encoder.domain('n')).toEqual(data.numberCategories.map(String));
    expect(valuesOf(encoder.transform(t), 'n')).toEqual(data.numberCodes);
    expect(valuesOf(encoder.transform(tableOf(numberColumn('n', data.numberProbe))), 'n')).toEqual(
      data.numberProbeCodes,
    );
    expectRowsMatchBatch(encoder, t);
  });

  test('an unknownValue that is also a category code is refused', () => {
    const t = tableOf(textColumn('c', ['a', 'b', 'c']));
    expect(() => new OrdinalEncoder({ unknownValue: 1 }).fit(t)).toThrow(
      expect.objectContaining({ details: { field: 'unknownValue' } }),
    );
  });
});

describe('TargetEncoder', () => {
  const data = sklearn.target_encoder;
  const color = tableOf(textColumn('color', data.values));

  test.each(data.cases.map((c) => [`${c.targetType}, smooth ${c.smooth}`, c] as const))(
    '%s: scikit-learn 1.3’s encodings',
    (_, expected) => {
      const target =
        expected.targetType === 'continuous'
          ? Float64Array.from(expected.target as number[])
          : (expected.target as string[]);
      const encoder = new TargetEncoder({ smooth: expected.smooth }).fit(color, target);
      const state = encoder.toJSON().state as {
        targetType: string;
        classes: string[] | null;
        targetMean: number[];
        columns: Array<{ categories: string[]; encodings: number[][] }>;
      };
      expect(state.targetType).toBe(expected.targetType);
      expect(state.classes).toEqual(expected.classes);
      expect(state.columns[0].categories).toEqual(data.categories);
      expectClose(state.targetMean, expected.targetMean, 'targetMean');
      expected.encodings.forEach((e, o) => expectClose(state.columns[0].encodings[o], e, `encodings[${o}]`));
      expect(encoder.outputNames()).toEqual(
        expected.targetType === 'multiclass'
          ? (expected.classes ?? []).map((c) => `color.target=${c}`)
          : ['color.target'],
      );
      // Unseen categories get the global mean.
      const unseen = encoder.transformRecord({ color: 'never seen' });
      expectClose(Object.values(unseen) as number[], expected.targetMean, 'unseen');
      expectRowsMatchBatch(encoder, color);
    },
  );

  test('fit needs the target, and a regression target can be declared continuous', () => {
    expect(() => new TargetEncoder().fit(color)).toThrow(/needs the training target/);
    const counts = Float64Array.from(data.values, (_, i) => i % 7);
    expect((new TargetEncoder().fit(color, counts).toJSON().state as { targetType: string }).targetType).toBe(
      'multiclass',
    );
    const encoder = new TargetEncoder({ targetType: 'continuous' }).fit(color, counts);
    expect(encoder.outputNames()).toEqual(['color.target']);
  });

  test('missing values are a category of their own', () => {
    const t = tableOf(textColumn('c', ['a', null, 'a', null, 'b']));
    const encoder = new TargetEncoder({ smooth: 0, targetType: 'continuous' }).fit(
      t,
      Float64Array.from([1, 10, 3, 20, 5]),
    );
    expect(encoder.transformRecord({ c: null })).toEqual({ 'c.target': 15 });
    expect(encoder.transformRecord({ c: 'a' })).toEqual({ 'c.target': 2 });
  });
});

describe('HashingEncoder', () => {
  const data = sklearn.hashing_encoder;
  const words = tableOf(textColumn('w', data.values));

  test('MurmurHash3 of the UTF-8 text is scikit-learn’s murmurhash3_32', () => {
    expect(data.values.map((w) => murmurhash3(w))).toEqual(data.murmurhash3);
  });

  test.each([
    [true, data.signed],
    [false, data.unsigned],
  ] as const)('alternateSign %s: the same buckets and signs as FeatureHasher', (alternateSign, expected) => {
    const encoder = new HashingEncoder({ nFeatures: data.nFeatures, alternateSign }).fit(words);
    const out = columnsOf(encoder.transform(words), encoder.outputNames());
    const rows = expected.map((_, i) => out.map((column) => column[i]));
    expect(rows).toEqual(expected);
    expectRowsMatchBatch(encoder, words);
  });
});

describe('DateParts', () => {
  const parts = ['year', 'month', 'day', 'weekday', 'hour', 'minute', 'dayofyear'] as const;
  const cyclical = ['month', 'weekday', 'hour'] as const;

  test.each([
    ['ISO text', sklearn.date_parts.text.map((r) => r.value), 's'],
    ['epoch seconds', sklearn.date_parts.epochSeconds.map((r) => r.value), 's'],
    ['epoch milliseconds', sklearn.date_parts.epochSeconds.map((r) => r.value * 1000), 'ms'],
  ] as const)('%s: the parts Python’s datetime gives, in UTC', (_, values, unit) => {
    const t = tableOf(
      typeof values[0] === 'string' ? textColumn('t', values as string[]) : numberColumn('t', values as number[]),
    );
    const transform = new DateParts({ parts: [...parts], cyclical: [...cyclical], unit }).fit(t);
    const out = transform.transform(t);
    sklearn.date_parts.text.forEach((expected, i) => {
      for (const part of parts) expect(valuesOf(out, `t.${part}`)[i]).toBe(expected[part]);
      for (const part of cyclical) {
        for (const f of ['sin', 'cos']) {
          expectClose([valuesOf(out, `t.${part}_${f}`)[i]], [expected[`${part}_${f}`]], `${part}_${f}`, 1e-15);
        }
      }
    });
    expectRowsMatchBatch(transform, t);
  });

  test('accepted and refused datetime text', () => {
    expect(parseDatetime('2011-01-01')).toBe(Date.UTC(2011, 0, 1));
    expect(parseDatetime('2011-01-01 05:06')).toBe(Date.UTC(2011, 0, 1, 5, 6));
    expect(parseDatetime('2011-01-01T05:06:07.891Z')).toBe(Date.UTC(2011, 0, 1, 5, 6, 7, 891));
    expect(parseDatetime('2011-01-01 00:00:00+00')).toBe(Date.UTC(2011, 0, 1));
    expect(parseDatetime('2011-01-01T01:00:00+0130')).toBe(Date.UTC(2010, 11, 31, 23, 30));
    for (const bad of ['2011-02-29', '2011-13-01', '01-01-2011', '2011-01-01T25:00', '2011-01-01x', '', 'soon']) {
      expect(parseDatetime(bad), bad).toBeNaN();
    }
    const t = tableOf(textColumn('t', ['01-01-2011', null]));
    expect(valuesOf(new DateParts({ parts: ['year'] }).fit(t).transform(t), 't.year')).toEqual([null, null]);
  });
});

describe('on the bike data (many ties)', () => {
  let bike: Table;
  beforeAll(async () => {
    const all = await readCsvTable('examples/bike-demand/bike_hour.csv');
    bike = { rows: all.rows, columns: sklearn.bike.columns.map((n) => all.columns.find((c) => c.name === n)!) };
  });

  test('10 quantile bins: the same edges (narrow bins merged) and bins as scikit-learn', () => {
    const bins = new KBinsDiscretizer({ nBins: 10, encode: 'ordinal' }).fit(bike);
    const state = bins.toJSON().state as { columns: Array<{ edges: number[] }> };
    expect(state.columns.map((c) => c.edges)).toEqual(sklearn.bike.quantileEdges.map((e) => e.slice(1, -1)));
    const out = bins.transform(bike);
    sklearn.bike.columns.forEach((n, j) =>
      expect(sklearn.bike.sample.map((i) => valuesOf(out, `${n}.bin`)[i])).toEqual(
        sklearn.bike.quantileBins.map((r) => r[j]),
      ),
    );
    expectRowsMatchBatch(bins, bike);
  });

  test('RobustScaler: the same medians and IQRs as scikit-learn', () => {
    const scaler = new RobustScaler().fit(bike);
    const state = scaler.toJSON().state as { columns: Array<{ center: number; scale: number }> };
    expect(state.columns.map((c) => c.center)).toEqual(sklearn.bike.robustCenter);
    expect(state.columns.map((c) => c.scale)).toEqual(sklearn.bike.robustScale);
    const out = scaler.transform(bike);
    sklearn.bike.columns.forEach((n, j) =>
      expect(sklearn.bike.sample.map((i) => valuesOf(out, n)[i])).toEqual(sklearn.bike.robust.map((r) => r[j])),
    );
  });
});
