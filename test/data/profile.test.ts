import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ColumnProfile, ColumnType, DataProfile } from '../../src/core/index.js';
import { importCsv, inferSchema, isCategorical, profileParquet } from '../../src/data/index.js';
import { LocalArtifactStore, openMetadataStore, type MetadataStore } from '../../src/store/index.js';

/** pandas' statistics of an example CSV, written by test/fixtures/data/make-profile-fixture.py. */
interface PandasColumn {
  name: string;
  dtype: 'int64' | 'float64' | 'object';
  count: number;
  missing: number;
  distinct: number;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  quantiles?: Record<string, number>;
  histogram?: { counts: number[]; edges: number[] };
  valueCounts?: Record<string, number>;
}

interface PandasProfile {
  rows: number;
  columns: PandasColumn[];
}

/** The example datasets whose profiles are compared with pandas'. */
const examples = [
  {
    name: 'churn',
    csv: 'examples/churn/telco_churn.csv',
    fixture: 'test/fixtures/data/churn-profile.json',
    numeric: ['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges'],
  },
  {
    name: 'bike',
    csv: 'examples/bike-demand/bike_hour.csv',
    fixture: 'test/fixtures/data/bike-profile.json',
    numeric: [
      'instant',
      'season',
      'year',
      'month',
      'hour',
      'holiday',
      'weekday',
      'workingday',
      'weathersit',
      'temp',
      'feelingTemp',
      'humidity',
      'windspeed',
      'casual',
      'registered',
      'count',
    ],
  },
];

let dir: string;
let metadata: MetadataStore;
const profiles = new Map<string, DataProfile>();
const pandasProfiles = new Map<string, PandasProfile>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-profile-test-'));
  metadata = await openMetadataStore('sqlite::memory:');
  const artifacts = new LocalArtifactStore(dir);
  for (const example of examples) {
    const { version } = await importCsv({ metadata, artifacts }, { dataset: example.name, path: example.csv });
    const profile = await profileParquet(await artifacts.localPath(version.artifact));
    expect(version.profile).toEqual(profile);
    profiles.set(example.name, profile);
    pandasProfiles.set(example.name, JSON.parse(await readFile(example.fixture, 'utf8')) as PandasProfile);
  }
});

afterAll(async () => {
  await metadata.close();
  await rm(dir, { recursive: true, force: true });
});

function expectClose(actual: number | undefined, expected: number | undefined, what: string): void {
  expect(actual, what).toBeTypeOf('number');
  const scale = Math.max(Math.abs(expected ?? NaN), 1e-300);
  expect(Math.abs((actual as number) - (expected as number)) / scale, what).toBeLessThanOrEqual(1e-9);
}

const pandasTypes: Record<PandasColumn['dtype'], ColumnType[]> = {
  int64: ['integer'],
  float64: ['float'],
  object: ['categorical', 'string'],
};

describe.each(examples)('profileParquet agrees with pandas on the $name data', (example) => {
  let profile: DataProfile;
  let pandas: PandasProfile;
  beforeAll(() => {
    profile = profiles.get(example.name) as DataProfile;
    pandas = pandasProfiles.get(example.name) as PandasProfile;
  });
  const column = (name: string) => profile.columns.find((c) => c.name === name) as ColumnProfile;

  test('rows and columns', () => {
    expect(profile.rows).toBe(pandas.rows);
    expect(profile.columns.map((c) => c.name)).toEqual(pandas.columns.map((c) => c.name));
  });

  test('types, counts, missing values and distinct values, exactly', () => {
    for (const expected of pandas.columns) {
      const actual = column(expected.name);
      expect(pandasTypes[expected.dtype], expected.name).toContain(actual.type);
      expect({ count: actual.count, missing: actual.missing, distinct: actual.distinct }, expected.name).toEqual({
        count: expected.count,
        missing: expected.missing,
        distinct: expected.distinct,
      });
    }
  });

  test('min, max, mean, std and quantiles of numeric columns, to 1e-9 relative', () => {
    const numeric = pandas.columns.filter((c) => c.dtype !== 'object');
    expect(numeric.map((c) => c.name)).toEqual(example.numeric);
    for (const expected of numeric) {
      const actual = column(expected.name);
      for (const stat of ['min', 'max', 'mean', 'std'] as const) {
        expectClose(actual[stat], expected[stat], `${expected.name} ${stat}`);
      }
      expect(Object.keys(actual.quantiles ?? {})).toEqual(Object.keys(expected.quantiles ?? {}));
      for (const [p, value] of Object.entries(expected.quantiles ?? {})) {
        expectClose(actual.quantiles?.[p], value, `${expected.name} quantile ${p}`);
      }
    }
  });

  test('histograms are numpy.histogram(values, bins=20)', () => {
    for (const expected of pandas.columns.filter((c) => c.histogram)) {
      const bins = column(expected.name).histogram ?? [];
      expect(
        bins.map((b) => b.count),
        expected.name,
      ).toEqual(expected.histogram?.counts);
      const edges = [...bins.map((b) => b.lower), bins[bins.length - 1].upper];
      edges.forEach((edge, i) => expectClose(edge, expected.histogram?.edges[i], `${expected.name} edge ${i}`));
    }
  });

  test('categorical columns list every value with its count', () => {
    for (const expected of pandas.columns.filter((c) => c.valueCounts)) {
      const actual = column(expected.name);
      expect(actual.type, expected.name).toBe('categorical');
      const counts = Object.fromEntries((actual.topValues ?? []).map((v) => [v.value, v.count]));
      expect(counts, expected.name).toEqual(expected.valueCounts);
    }
  });

  test('text columns with many distinct values are string, with their 20 most frequent values', () => {
    for (const expected of pandas.columns.filter((c) => c.dtype === 'object' && !c.valueCounts)) {
      const actual = column(expected.name);
      expect(actual.type, expected.name).toBe('string');
      expect(actual.topValues, expected.name).toHaveLength(20);
    }
  });
});

describe('profiles of the example datasets', () => {
  test('an identifier column is string, with its 20 top values', () => {
    const id = profiles.get('churn')?.columns.find((c) => c.name === 'customerID');
    expect(id?.type).toBe('string');
    expect(id?.topValues).toHaveLength(20);
  });

  test('the bike data: a non-ISO date is text, hours are integers 0–23', () => {
    const bike = profiles.get('bike') as DataProfile;
    expect(bike.columns.find((c) => c.name === 'dateday')).toMatchObject({ type: 'string', distinct: 731 });
    expect(bike.columns.find((c) => c.name === 'hour')).toMatchObject({ type: 'integer', min: 0, max: 23 });
  });
});

describe('inferSchema', () => {
  test('infers the churn schema: types, nullability, domains and ranges', () => {
    const schema = inferSchema(profiles.get('churn') as DataProfile);
    const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));

    expect(schema.columns).toHaveLength(21);
    expect(byName.customerID).toEqual({ name: 'customerID', type: 'string', nullable: false });
    expect(byName.tenure).toEqual({ name: 'tenure', type: 'integer', nullable: false, min: 0, max: 72 });
    expect(byName.TotalCharges).toEqual({
      name: 'TotalCharges',
      type: 'float',
      nullable: true,
      min: 18.8,
      max: 8684.8,
    });
    expect(byName.Contract).toEqual({
      name: 'Contract',
      type: 'categorical',
      nullable: false,
      domain: ['Month-to-month', 'One year', 'Two year'],
    });
    expect(byName.Churn.domain).toEqual(['No', 'Yes']);
    expect(schema.columns.filter((c) => c.type === 'categorical')).toHaveLength(16);
  });

  test('text is categorical when it has at most 50 distinct values that repeat', () => {
    expect(isCategorical(2, 7043)).toBe(true);
    expect(isCategorical(50, 100)).toBe(true);
    expect(isCategorical(51, 10_000)).toBe(false);
    expect(isCategorical(6, 10)).toBe(false);
    expect(isCategorical(7043, 7043)).toBe(false);
  });
});
