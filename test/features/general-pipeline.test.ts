import { beforeAll, describe, expect, test } from 'vitest';
import { rowAt, type Column, type DenseMatrix, type Table } from '../../src/core/index.js';
import { readCsvTable, validateRows } from '../../src/data/index.js';
import { FeaturePipeline, TRANSFORM_NAMES, type FeaturePipelineSpec } from '../../src/features/index.js';

// The general pipeline (derived columns + steps of any transforms) on the two example datasets:
// every transform type, and the serving path bit-identical to the batch path on every row.

/** The churn pipeline: every transform type, including date parts of an epoch number derived from tenure. */
const churnSpec: FeaturePipelineSpec = {
  derived: [
    { name: 'avgCharge', expr: 'if(tenure > 0, TotalCharges / tenure, MonthlyCharges)' },
    { name: 'contractLength', expr: 'if(Contract == "Month-to-month", "short", "long")' },
    { name: 'chargesGap', expr: 'coalesce(TotalCharges, 0) - MonthlyCharges * tenure' },
    // Sign-up time, as epoch seconds: 2015-01-01 minus `tenure` months of 30.44 days.
    { name: 'signup', expr: '1420070400 - tenure * 2629746' },
  ],
  steps: [
    {
      name: 'amounts',
      columns: ['tenure', 'MonthlyCharges'],
      transforms: [{ type: 'simple_imputer', strategy: 'median', addIndicator: true }, { type: 'robust_scaler' }],
    },
    {
      columns: ['TotalCharges'],
      transforms: [
        { type: 'simple_imputer', strategy: 'mean', addIndicator: true },
        { type: 'log' },
        { type: 'min_max_scaler', featureRange: [-1, 1] },
      ],
    },
    {
      columns: ['avgCharge', 'chargesGap'],
      transforms: [
        { type: 'simple_imputer', strategy: 'median' },
        { type: 'clip', min: -1000, max: 1000 },
        { type: 'standard_scaler' },
      ],
    },
    { columns: ['tenure'], transforms: [{ type: 'k_bins_discretizer', nBins: 6 }] },
    {
      columns: ['Contract', 'PaymentMethod', 'contractLength'],
      transforms: [
        { type: 'simple_imputer', strategy: 'most_frequent' },
        { type: 'one_hot_encoder', minFrequency: 0.22, handleUnknown: 'infrequent_if_exist' },
      ],
    },
    { columns: ['InternetService', 'SeniorCitizen'], transforms: [{ type: 'ordinal_encoder' }] },
    { columns: ['PaymentMethod', 'gender'], transforms: [{ type: 'target_encoder' }] },
    { columns: ['customerID'], transforms: [{ type: 'hashing_encoder', nFeatures: 8 }] },
    { columns: ['signup'], transforms: [{ type: 'date_parts', parts: ['year', 'month'], cyclical: ['month'] }] },
  ],
};

/** The bike pipeline; `dteday` is `dateday` (DD-MM-YYYY) and `hour` as ISO text, as a cleaning cast would give. */
const bikeSpec: FeaturePipelineSpec = {
  derived: [
    { name: 'feelsColder', expr: 'temp - feelingTemp' },
    { name: 'rushHour', expr: 'workingday == 1 and (hour == 8 or hour == 17 or hour == 18)' },
    { name: 'weather', expr: 'if(weathersit >= 3, "bad", if(weathersit == 2, "mist", "clear"))' },
  ],
  steps: [
    {
      name: 'calendar',
      columns: ['dteday'],
      transforms: [
        {
          type: 'date_parts',
          parts: ['year', 'month', 'weekday', 'hour', 'dayofyear'],
          cyclical: ['hour', 'weekday', 'month'],
        },
      ],
    },
    { columns: ['temp'], transforms: [{ type: 'min_max_scaler' }] },
    { columns: ['temp', 'humidity'], transforms: [{ type: 'k_bins_discretizer', nBins: 8, encode: 'ordinal' }] },
    {
      columns: ['humidity'],
      transforms: [{ type: 'simple_imputer', strategy: 'median', addIndicator: true }, { type: 'robust_scaler' }],
    },
    {
      columns: ['windspeed'],
      transforms: [
        { type: 'clip', max: 0.5 },
        { type: 'log', offset: 0.01 },
        { type: 'standard_scaler', withMean: false },
      ],
    },
    { columns: ['feelsColder', 'rushHour'], transforms: [] },
    { columns: ['weathersit', 'weather'], transforms: [{ type: 'one_hot_encoder' }] },
    { columns: ['season'], transforms: [{ type: 'ordinal_encoder' }] },
    { columns: ['hour', 'weekday'], transforms: [{ type: 'target_encoder', targetType: 'continuous', smooth: 20 }] },
    { columns: ['month'], transforms: [{ type: 'hashing_encoder', nFeatures: 4, alternateSign: false }] },
  ],
};

/** Whether two matrices hold the same bytes (every number identical, NaN payloads included). */
const sameBytes = (a: DenseMatrix, b: DenseMatrix): boolean =>
  a.rows === b.rows &&
  a.cols === b.cols &&
  Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );

const usedTypes = (spec: FeaturePipelineSpec): string[] =>
  [...new Set(spec.steps.flatMap((s) => s.transforms.map((t) => t.type)))].sort();

/** Compares `transformRow` (through serving's row validation) with `transform`, bit for bit, on every row. */
function expectServingMatchesBatch(pipeline: FeaturePipeline, table: Table, omit: readonly string[]): number {
  const matrix: DenseMatrix = pipeline.transform(table);
  const signature = pipeline.inputColumns();
  let compared = 0;
  for (let start = 0; start < table.rows; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, table.rows - start) }, (_, k) => rowAt(table, start + k, omit));
    const checked = validateRows(rows, signature);
    if (!checked.ok) throw new Error(checked.problems[0].message);
    checked.rows.forEach((row, k) => {
      const i = start + k;
      const vector = pipeline.transformRow(row);
      for (let j = 0; j < matrix.cols; j++) {
        if (!Object.is(vector[j], matrix.data[i * matrix.cols + j])) {
          throw new Error(
            `row ${i}, ${pipeline.featureNames[j]}: ${vector[j]} (row) vs ${matrix.data[i * matrix.cols + j]} (batch)`,
          );
        }
        compared++;
      }
    });
  }
  return compared;
}

let churn: Table;
let bike: Table;

beforeAll(async () => {
  churn = await readCsvTable('examples/churn/telco_churn.csv', { missing: ['', ' ', 'NA', '?'] });
  const raw = await readCsvTable('examples/bike-demand/bike_hour.csv');
  const dateday = raw.columns.find((c) => c.name === 'dateday')!.values as ReadonlyArray<string>;
  const hour = raw.columns.find((c) => c.name === 'hour')!.values as Float64Array;
  const dteday: Column = {
    name: 'dteday',
    kind: 'string',
    values: dateday.map(
      (d, i) => `${d.slice(6, 10)}-${d.slice(3, 5)}-${d.slice(0, 2)} ${String(hour[i]).padStart(2, '0')}:00:00`,
    ),
  };
  // Sensor failures (humidity 0) as missing, as the bike project's cleaning step makes them.
  const columns = raw.columns.map((c): Column =>
    c.name === 'humidity' && c.kind === 'number' ? { ...c, values: c.values.map((v) => (v === 0 ? NaN : v)) } : c,
  );
  bike = { rows: raw.rows, columns: [...columns, dteday] };
});

const targetOf = (table: Table, name: string): Float64Array | ReadonlyArray<string | null> =>
  table.columns.find((c) => c.name === name)!.values;

describe('every transform type on the whole churn data', () => {
  let pipeline: FeaturePipeline;
  beforeAll(async () => {
    pipeline = await new FeaturePipeline(churnSpec).fit(churn, targetOf(churn, 'Churn'));
  });

  test('the pipeline uses all twelve transform types', () => {
    expect(usedTypes(churnSpec)).toEqual([...TRANSFORM_NAMES].sort());
  });

  test('feature names say where each feature comes from', () => {
    const names = pipeline.featureNames;
    expect(names.slice(0, 4)).toEqual(['tenure', 'MonthlyCharges', 'TotalCharges', 'TotalCharges_missing']);
    expect(names).toContain('tenure.bin=5');
    expect(names).toContain('Contract=Month-to-month');
    expect(names).toContain('PaymentMethod=infrequent');
    expect(names).toContain('contractLength=short');
    expect(names).toContain('PaymentMethod.target');
    expect(names).toContain('customerID.hash=7');
    expect(names.slice(-3)).toEqual(['signup.month', 'signup.month_sin', 'signup.month_cos']);
    expect(new Set(names).size).toBe(names.length);
  });

  test('transformRow (after serving validation) equals transform, bit for bit, on all 7,043 rows', () => {
    const compared = expectServingMatchesBatch(pipeline, churn, ['Churn']);
    expect(compared).toBe(7043 * pipeline.featureNames.length);
  });

  test('the input signature: raw columns only, typed by how the steps read them', () => {
    const inputs = Object.fromEntries(pipeline.inputColumns().map((c) => [c.name, c]));
    expect(Object.keys(inputs)).toEqual([
      'tenure',
      'TotalCharges',
      'MonthlyCharges',
      'Contract',
      'PaymentMethod',
      'InternetService',
      'SeniorCitizen',
      'gender',
      'customerID',
    ]);
    expect(inputs.tenure.type).toBe('integer');
    expect(inputs.TotalCharges.type).toBe('float');
    expect(inputs.Contract).toEqual({
      name: 'Contract',
      type: 'categorical',
      nullable: true,
      domain: ['Month-to-month', 'One year', 'Two year'],
    });
    // Only ever encoded as a category, so read as text, as the default recipe does.
    expect(inputs.SeniorCitizen).toEqual({
      name: 'SeniorCitizen',
      type: 'categorical',
      nullable: true,
      domain: ['0', '1'],
    });
    expect(inputs.customerID.type).toBe('string');
  });

  test('a JSON round trip gives identical output without refitting', () => {
    const restored = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
    expect(sameBytes(restored.transform(churn), pipeline.transform(churn))).toBe(true);
    expect(restored.toJSON()).toEqual(pipeline.toJSON());
    expect(restored.inputColumns()).toEqual(pipeline.inputColumns());
    for (const i of [0, 1, 7042])
      expect(restored.transformRow(rowAt(churn, i))).toEqual(pipeline.transformRow(rowAt(churn, i)));
    expect(restored.spec).toEqual(pipeline.spec);
  });

  test('fit replaces an earlier fit', async () => {
    const half = { rows: 100, columns: churn.columns.map((c) => ({ ...c, values: c.values.slice(0, 100) }) as Column) };
    const refitted = await new FeaturePipeline(churnSpec).fit(half, targetOf(half, 'Churn'));
    await refitted.fit(churn, targetOf(churn, 'Churn'));
    expect(refitted.toJSON()).toEqual(pipeline.toJSON());
  });

  test('a request row with unknown and missing values still gets numbers', () => {
    const vector = pipeline.transformRow({
      ...rowAt(churn, 0, ['Churn']),
      Contract: 'Weekly',
      PaymentMethod: 'Bitcoin',
      TotalCharges: null,
      customerID: 'new-customer',
    });
    const at = (name: string) => vector[pipeline.featureNames.indexOf(name)];
    expect(at('TotalCharges_missing')).toBe(1);
    expect(at('Contract=infrequent')).toBe(1);
    expect(at('PaymentMethod.target')).toBeCloseTo(1869 / 7043, 12);
  });
});

describe('every transform type on the whole bike data', () => {
  let pipeline: FeaturePipeline;
  beforeAll(async () => {
    pipeline = await new FeaturePipeline(bikeSpec).fit(bike, targetOf(bike, 'count'));
  });

  test('transformRow (after serving validation) equals transform, bit for bit, on all 17,379 rows', () => {
    expect(usedTypes(bikeSpec)).toEqual([...TRANSFORM_NAMES].sort());
    const compared = expectServingMatchesBatch(pipeline, bike, ['count', 'casual', 'registered']);
    expect(compared).toBe(17379 * pipeline.featureNames.length);
  });

  test('calendar parts of the datetime text, and a datetime input in the signature', () => {
    const names = pipeline.featureNames;
    expect(names.slice(0, 5)).toEqual([
      'dteday.year',
      'dteday.month',
      'dteday.weekday',
      'dteday.hour',
      'dteday.dayofyear',
    ]);
    const m = pipeline.transform(bike);
    const row = (i: number, name: string) => m.data[i * m.cols + names.indexOf(name)];
    // Row 0 is Saturday 2011-01-01, 00:00; the CSV's own columns agree.
    expect([row(0, 'dteday.year'), row(0, 'dteday.weekday'), row(0, 'dteday.hour'), row(0, 'dteday.hour_cos')]).toEqual(
      [2011, 5, 0, 1],
    );
    const hour = targetOf(bike, 'hour') as Float64Array;
    for (let i = 0; i < bike.rows; i += 101) expect(row(i, 'dteday.hour')).toBe(hour[i]);
    expect(pipeline.inputColumns().find((c) => c.name === 'dteday')?.type).toBe('datetime');
    expect(names).toContain('humidity_missing');
    expect(names).toContain('weather=mist');
    expect(names).toContain('hour.target');
    expect(names).toContain('temp.bin');
  });

  test('a JSON round trip gives identical output', () => {
    const restored = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
    expect(sameBytes(restored.transform(bike), pipeline.transform(bike))).toBe(true);
  });
});

describe('configuration errors name the keel.yaml path', () => {
  const steps = [{ columns: ['tenure'], transforms: [{ type: 'standard_scaler' }] }];

  test.each([
    [
      { steps: [{ columns: ['tenure'], transforms: [{ type: 'min_max_scaler', featureRange: [1, 1] }] }] },
      'features.steps[0].transforms[0].featureRange: MinMaxScaler parameter featureRange must be two increasing numbers',
    ],
    [
      { steps: [steps[0], { columns: ['Contract'], transforms: [{ type: 'one_hot_encoder', drop: 'first' }] }] },
      'features.steps[1].transforms[0].drop: OneHotEncoder has no parameter "drop"',
    ],
    [
      { steps: [{ columns: ['x'], transforms: [{ type: 'bucketize' }] }] },
      'features.steps[0].transforms[0].type: unknown transform "bucketize"',
    ],
    [
      { derived: [{ name: 'd', expr: 'log(tenure))' }], steps },
      'features.derived[0].expr: unexpected ")" at column 12',
    ],
    [
      {
        derived: [
          { name: 'd', expr: '1' },
          { name: 'd', expr: '2' },
        ],
        steps,
      },
      'features.derived[1].name: derived column "d" is defined twice',
    ],
    [{ steps: [{ columns: ['a', 'a'], transforms: [] }] }, 'features.steps[0].columns: column "a" is listed twice'],
  ] as const)('%#', (spec, message) => {
    expect(() => new FeaturePipeline(spec as FeaturePipelineSpec)).toThrow(message);
    expect(() => new FeaturePipeline(spec as FeaturePipelineSpec)).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });

  test.each([
    [
      { steps: [{ columns: ['Contract'], transforms: [{ type: 'simple_imputer', strategy: 'most_frequent' }] }] },
      'features.steps[0]: column "Contract" is still text after the last transform',
    ],
    [
      { derived: [{ name: 'tenure', expr: '1' }], steps },
      'features.derived[0].name: derived column "tenure" would hide',
    ],
    [
      { derived: [{ name: 'd', expr: 'Contract + 1' }], steps },
      'features.derived[0].expr: "+" needs a number, but "Contract" is text at column 1',
    ],
    [{ derived: [{ name: 'd', expr: 'nope * 2' }], steps }, 'the table has no feature column "nope"'],
    [
      {
        derived: [{ name: 'label', expr: 'if(tenure > 1, "a", "b")' }],
        steps: [{ columns: ['label'], transforms: [{ type: 'log' }] }],
      },
      'features.steps[0]: derived column "label" is text but log needs numbers',
    ],
    [
      {
        steps: [
          {
            columns: ['TotalCharges'],
            transforms: [{ type: 'simple_imputer', strategy: 'constant', fillValue: 'none' }],
          },
        ],
      },
      'features.steps[0].transforms[0].fillValue: SimpleImputer: fill value "none" for numeric column "TotalCharges" is text',
    ],
    [
      { steps: [{ columns: ['Contract'], transforms: [{ type: 'target_encoder' }] }] },
      'TargetEncoder needs the training target',
    ],
    [
      {
        derived: [{ name: 'tenureCopy', expr: 'tenure' }],
        steps: [
          { columns: ['tenure', 'tenureCopy'], transforms: [] },
          { columns: ['tenure'], transforms: [] },
        ],
      },
      'feature "tenure" is produced twice',
    ],
  ] as const)('at fit: %#', async (spec, message) => {
    await expect(new FeaturePipeline(spec as FeaturePipelineSpec).fit(churn)).rejects.toThrow(message);
  });

  test('text where a step needs numbers names the column and the step', async () => {
    await expect(
      new FeaturePipeline({ steps: [{ columns: ['Contract'], transforms: [{ type: 'robust_scaler' }] }] }).fit(churn),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_data',
        message:
          'feature column "Contract" should be numeric but holds text (features.steps[0] starts with robust_scaler)',
      }),
    );
  });

  test('a target of the wrong length is refused', async () => {
    await expect(new FeaturePipeline({ steps }).fit(churn, new Float64Array(3))).rejects.toThrow(
      'the target has 3 values for 7043 rows',
    );
  });
});
