import { readFileSync } from 'node:fs';
import type { Column, Table } from '../../src/core/index.js';
import type { Transform } from '../../src/features/index.js';

/** scikit-learn's numbers for the transforms (test/fixtures/features/make-fixtures.py). */
export const sklearn = JSON.parse(readFileSync('test/fixtures/features/sklearn.json', 'utf8')) as SklearnFixture;

/** A numeric column from fixture values (null → NaN). */
export function numberColumn(name: string, values: ReadonlyArray<number | null>): Column {
  return { name, kind: 'number', values: Float64Array.from(values, (v) => (v === null ? NaN : v)) };
}

export function textColumn(name: string, values: ReadonlyArray<string | null>): Column {
  return { name, kind: 'string', values: [...values] };
}

export function tableOf(...columns: Column[]): Table {
  return { rows: columns[0]?.values.length ?? 0, columns };
}

/** A transform's output column as plain numbers (NaN → null, so toEqual compares missing values). */
export function valuesOf(table: Table, name: string): Array<number | string | null> {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no output column "${name}" (have ${table.columns.map((c) => c.name).join(', ')})`);
  return Array.from(column.values as ArrayLike<number | string | null>, (v) =>
    typeof v === 'number' && Number.isNaN(v) ? null : v,
  );
}

/** Expects |actual − expected| ≤ tol·max(1, |expected|) elementwise, with null ≡ NaN. */
export function expectClose(
  actual: ReadonlyArray<number | string | null>,
  expected: ReadonlyArray<number | null>,
  what: string,
  tol = 1e-12,
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  expected.forEach((e, i) => {
    const a = actual[i];
    const missing = (v: unknown) => v === null || (typeof v === 'number' && Number.isNaN(v));
    if (missing(e) && missing(a)) return;
    if (typeof a !== 'number' || e === null || Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) {
      throw new Error(`${what}[${i}]: ${String(a)}, expected ${String(e)}`);
    }
  });
}

/**
 * The single-row path against the batch path, row by row: every output must be the same number
 * (Object.is, so NaN matches NaN and 0 does not match -0).
 */
export function expectRowsMatchBatch(transform: Transform, table: Table): void {
  const batch = transform.transform(table);
  for (let i = 0; i < table.rows; i++) {
    const record: Record<string, number | string | null> = {};
    for (const c of table.columns) record[c.name] = c.values[i];
    const row = transform.transformRecord(record);
    for (const column of batch.columns) {
      if (!Object.is(row[column.name], column.values[i])) {
        throw new Error(
          `${transform.type} row ${i}, ${column.name}: ${String(row[column.name])} vs ${String(column.values[i])}`,
        );
      }
    }
  }
}

type Numbers = Array<number | null>;

export interface SklearnFixture {
  readonly numeric: { x: Numbers; y: Numbers };
  readonly standard_scaler: { mean: number[]; scale: number[]; columns: Numbers[] };
  readonly min_max_scaler: {
    featureRange: [number, number];
    scale: number[];
    min: number[];
    columns: Numbers[];
    probe: number[][];
    probeOut: number[][];
    probeClipped: number[][];
  };
  readonly robust_scaler: Array<{
    params: { quantileRange: [number, number]; withCentering: boolean; withScaling: boolean };
    center: number[];
    scale: number[];
    columns: Numbers[];
  }>;
  readonly simple_imputer: Array<{
    params: { strategy: 'mean' | 'median' | 'most_frequent' | 'constant'; fillValue?: number; addIndicator?: boolean };
    statistics: number[];
    columns: Numbers[];
  }>;
  readonly k_bins_discretizer: {
    x: number[];
    y: number[];
    cases: Array<{
      params: { nBins: number; strategy: 'quantile' | 'uniform' };
      edges: number[][];
      ordinal: number[][];
      onehot: number[][];
    }>;
  };
  readonly one_hot_encoder: {
    values: string[];
    probe: string[];
    cases: Array<{
      params: {
        handleUnknown: 'ignore' | 'infrequent_if_exist';
        minFrequency: number | null;
        maxCategories: number | null;
      };
      featureNames: string[];
      infrequent: string[];
      columns: number[][];
      probe: number[][];
    }>;
  };
  readonly one_hot_numeric: { values: number[]; categories: number[]; columns: number[][] };
  readonly ordinal_encoder: {
    text: Array<string | null>;
    textCategories: string[];
    textCodes: Numbers;
    textProbe: string[];
    textProbeCodes: Numbers;
    numbers: Numbers;
    numberCategories: number[];
    numberCodes: Numbers;
    numberProbe: number[];
    numberProbeCodes: Numbers;
  };
  readonly target_encoder: {
    values: string[];
    categories: string[];
    cases: Array<{
      targetType: 'continuous' | 'binary' | 'multiclass';
      target: Array<number | string>;
      smooth: 'auto' | number;
      classes: string[] | null;
      targetMean: number[];
      encodings: number[][];
    }>;
  };
  readonly hashing_encoder: {
    values: string[];
    murmurhash3: number[];
    nFeatures: number;
    signed: number[][];
    unsigned: number[][];
  };
  readonly date_parts: {
    text: Array<Record<string, number> & { value: string }>;
    epochSeconds: Array<Record<string, number> & { value: number }>;
  };
  readonly bike: {
    columns: string[];
    sample: number[];
    quantileEdges: number[][];
    quantileBins: number[][];
    robustCenter: number[];
    robustScale: number[];
    robust: number[][];
  };
}
