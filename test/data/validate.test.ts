import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Column, DataSchema, SignatureColumn, Table } from '../../src/core/index.js';
import {
  batchFormat,
  importCsv,
  readBatch,
  readTable,
  validateRows,
  validateTable,
  type RowValidation,
} from '../../src/data/index.js';
import { validateRowsGenerally } from '../../src/data/validate-rows.js';
import { LocalArtifactStore, openMetadataStore, type MetadataStore } from '../../src/store/index.js';

let dir: string;
let metadata: MetadataStore;
let churn: Table;
let schema: DataSchema;
let parquetPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-validate-test-'));
  metadata = await openMetadataStore('sqlite::memory:');
  const artifacts = new LocalArtifactStore(dir);
  const { version } = await importCsv(
    { metadata, artifacts },
    { dataset: 'churn', path: 'examples/churn/telco_churn.csv' },
  );
  parquetPath = await artifacts.localPath(version.artifact);
  churn = await readTable(parquetPath);
  schema = version.schema;
});

afterAll(async () => {
  await metadata.close();
  await rm(dir, { recursive: true, force: true });
});

/** `table` with column `name` replaced by `values` (numbers → number column, else text). */
function withColumn(table: Table, name: string, values: Float64Array | Array<string | null>): Table {
  const column: Column =
    values instanceof Float64Array ? { name, kind: 'number', values } : { name, kind: 'string', values };
  return { rows: table.rows, columns: table.columns.map((c) => (c.name === name ? column : c)) };
}

function numbers(name: string): Float64Array {
  return Float64Array.from(churn.columns.find((c) => c.name === name)?.values as Float64Array);
}

function texts(name: string): Array<string | null> {
  return [...(churn.columns.find((c) => c.name === name)?.values as Array<string | null>)];
}

describe('validateTable', () => {
  test('the data the schema was inferred from is clean', () => {
    expect(validateTable(churn, schema, { idColumn: 'customerID', maxMissingShare: 0.05 })).toEqual({
      ok: true,
      anomalies: [],
    });
  });

  test('a dropped column is a missing_column error', () => {
    const dropped = { rows: churn.rows, columns: churn.columns.filter((c) => c.name !== 'tenure') };
    const report = validateTable(dropped, schema);
    expect(report.ok).toBe(false);
    expect(report.anomalies).toEqual([
      {
        column: 'tenure',
        kind: 'missing_column',
        severity: 'error',
        message: 'column "tenure" is missing (the schema expects integer values)',
      },
    ]);
  });

  test('an unseen category is an out_of_domain warning', () => {
    const contract = texts('Contract');
    contract[5] = 'Weekly';
    const report = validateTable(withColumn(churn, 'Contract', contract), schema);
    expect(report.ok).toBe(true);
    expect(report.anomalies).toEqual([
      {
        column: 'Contract',
        kind: 'out_of_domain',
        severity: 'warning',
        message: 'column "Contract": 1 of 7043 values is not among the 3 known categories, e.g. "Weekly"',
      },
    ]);
  });

  test('a negative charge is an out_of_range warning', () => {
    const charges = numbers('MonthlyCharges');
    charges[3] = -20;
    const report = validateTable(withColumn(churn, 'MonthlyCharges', charges), schema);
    expect(report.ok).toBe(true);
    expect(report.anomalies).toEqual([
      {
        column: 'MonthlyCharges',
        kind: 'out_of_range',
        severity: 'warning',
        message: 'column "MonthlyCharges": 1 of 7043 values is outside the range [18.25, 118.75], e.g. -20',
      },
    ]);
  });

  test('text in a numeric column is a type_mismatch error', () => {
    const charges = Array.from(numbers('TotalCharges'), (x) => (Number.isNaN(x) ? null : String(x)));
    charges[7] = 'abc';
    const report = validateTable(withColumn(churn, 'TotalCharges', charges), schema);
    expect(report.ok).toBe(false);
    expect(report.anomalies).toEqual([
      {
        column: 'TotalCharges',
        kind: 'type_mismatch',
        severity: 'error',
        message: 'column "TotalCharges": 1 of 7043 values is not a number, e.g. "abc"',
      },
    ]);
  });

  test('a fractional value in an integer column is a type_mismatch error', () => {
    const tenure = numbers('tenure');
    tenure[0] = 1.5;
    const report = validateTable(withColumn(churn, 'tenure', tenure), schema);
    expect(report.anomalies.map((a) => [a.column, a.kind, a.severity])).toEqual([['tenure', 'type_mismatch', 'error']]);
  });

  test('a repeated id is a duplicate_id error', () => {
    const ids = texts('customerID');
    ids[10] = ids[0];
    const report = validateTable(withColumn(churn, 'customerID', ids), schema, { idColumn: 'customerID' });
    expect(report.ok).toBe(false);
    expect(report.anomalies).toEqual([
      {
        column: 'customerID',
        kind: 'duplicate_id',
        severity: 'error',
        message: `id column "customerID": 1 of 7043 ids repeats an earlier one, e.g. ${JSON.stringify(ids[0])}`,
      },
    ]);
  });

  test('missing values: an error above maxMissingShare, a warning in a column that had none', () => {
    const tenure = numbers('tenure').fill(NaN, 0, 500);
    const spiking = withColumn(churn, 'tenure', tenure);

    expect(validateTable(spiking, schema, { maxMissingShare: 0.05 }).anomalies).toEqual([
      {
        column: 'tenure',
        kind: 'missing_spike',
        severity: 'error',
        message: 'column "tenure": 7.1% of values are missing, more than the 5% allowed',
      },
    ]);
    expect(validateTable(spiking, schema).anomalies).toEqual([
      {
        column: 'tenure',
        kind: 'missing_spike',
        severity: 'warning',
        message: 'column "tenure": 500 of 7043 values are missing (7.1%); the schema had none',
      },
    ]);
  });

  test('an extra column is a warning', () => {
    const extra: Table = {
      rows: churn.rows,
      columns: [...churn.columns, { name: 'note', kind: 'string', values: new Array(churn.rows).fill(null) }],
    };
    expect(validateTable(extra, schema)).toEqual({
      ok: true,
      anomalies: [
        { column: 'note', kind: 'extra_column', severity: 'warning', message: 'column "note" is not in the schema' },
      ],
    });
  });
});

describe('validating a batch file', () => {
  /**
   * The churn CSV with four corruptions: Dependents dropped, an unseen Contract, a negative
   * MonthlyCharges and text in tenure, in different rows. (The file has no quoted fields, so
   * splitting on commas is exact.)
   */
  async function corruptedChurn(delimiter = ','): Promise<string> {
    const text = await readFile('examples/churn/telco_churn.csv', 'utf8');
    expect(text).not.toContain('"');
    const [header, ...lines] = text.trimEnd().split(/\r?\n/);
    const names = header.split(',');
    const at = (name: string) => names.indexOf(name);
    const rows = lines.map((line) => line.split(','));
    rows[4][at('Contract')] = 'Weekly';
    rows[8][at('MonthlyCharges')] = '-20.5';
    rows[12][at('tenure')] = 'twelve';
    const dropped = at('Dependents');
    const keep = (fields: string[]) => fields.filter((_, j) => j !== dropped).join(delimiter);
    const path = join(dir, `churn-corrupted.${delimiter === ',' ? 'csv' : 'tsv'}`);
    await writeFile(path, [keep(names), ...rows.map(keep)].join('\n') + '\n');
    return path;
  }

  const expected = [
    {
      column: 'Dependents',
      kind: 'missing_column',
      severity: 'error',
      message: 'column "Dependents" is missing (the schema expects categorical values)',
    },
    {
      column: 'tenure',
      kind: 'type_mismatch',
      severity: 'error',
      message: 'column "tenure": 1 of 7043 values is not an integer, e.g. "twelve"',
    },
    {
      column: 'Contract',
      kind: 'out_of_domain',
      severity: 'warning',
      message: 'column "Contract": 1 of 7043 values is not among the 3 known categories, e.g. "Weekly"',
    },
    {
      column: 'MonthlyCharges',
      kind: 'out_of_range',
      severity: 'warning',
      message: 'column "MonthlyCharges": 1 of 7043 values is outside the range [18.25, 118.75], e.g. -20.5',
    },
  ];

  test('a corrupted churn CSV gives exactly one anomaly per corruption', async () => {
    const batch = await readBatch(await corruptedChurn());
    const report = validateTable(batch, schema, { idColumn: 'customerID', maxMissingShare: 0.05 });
    expect(report).toEqual({ ok: false, anomalies: expected });
  });

  test('TSV is read with a tab delimiter, Parquet as stored', async () => {
    const tsv = await readBatch(await corruptedChurn('\t'));
    expect(validateTable(tsv, schema).anomalies).toEqual(expected);
    const parquet = join(dir, 'churn.parquet');
    await copyFile(parquetPath, parquet);
    expect(validateTable(await readBatch(parquet), schema)).toEqual({ ok: true, anomalies: [] });
  });

  test('the format comes from the extension', () => {
    expect(['a.csv', 'a.TSV', 'a.parquet'].map(batchFormat)).toEqual(['csv', 'tsv', 'parquet']);
    expect(() => batchFormat('batch.xlsx')).toThrow(
      'batch.xlsx: cannot tell the format of a batch from ".xlsx"; use a .csv, .tsv or .parquet file',
    );
  });

  test('true and false are booleans in a column read as text', () => {
    const flags: Table = { rows: 3, columns: [{ name: 'flag', kind: 'string', values: ['true', 'FALSE', 'maybe'] }] };
    const report = validateTable(flags, { columns: [{ name: 'flag', type: 'boolean', nullable: false }] });
    expect(report.anomalies).toEqual([
      {
        column: 'flag',
        kind: 'type_mismatch',
        severity: 'error',
        message: 'column "flag": 1 of 3 values is not a boolean (0 or 1), e.g. "maybe"',
      },
    ]);
  });
});

describe('validateRows', () => {
  const columns: SignatureColumn[] = [
    { name: 'tenure', type: 'integer', nullable: false },
    { name: 'TotalCharges', type: 'float', nullable: true },
    { name: 'Contract', type: 'categorical', nullable: true, domain: ['Month-to-month', 'One year', 'Two year'] },
    { name: 'PaperlessBilling', type: 'boolean', nullable: true },
  ];

  test('converts valid rows to the signature columns, null for missing values, ignoring extra fields', () => {
    const result = validateRows(
      [
        { tenure: 3, TotalCharges: 99.5, Contract: 'One year', PaperlessBilling: true, customerID: 'x-1' },
        { tenure: 0, TotalCharges: null, Contract: null, PaperlessBilling: null },
      ],
      columns,
    );
    expect(result).toEqual({
      ok: true,
      rows: [
        { tenure: 3, TotalCharges: 99.5, Contract: 'One year', PaperlessBilling: 1 },
        { tenure: 0, TotalCharges: null, Contract: null, PaperlessBilling: null },
      ],
      anomalies: [],
    });
  });

  test('rejects wrong types, absent fields and missing required values, naming the row and field', () => {
    const full = { tenure: 1, TotalCharges: 5, Contract: 'One year', PaperlessBilling: false };
    const rows = [
      { ...full, tenure: 'abc' },
      { ...full, tenure: null },
      'not a row',
      { ...full, PaperlessBilling: 'yes' },
      { Tenure: 1, TotalCharges: 5, Contract: 'One year', PaperlessBilling: false },
    ];
    const result = validateRows(rows, columns);
    expect(result).toEqual({
      ok: false,
      problems: [
        { row: 0, field: 'tenure', message: 'row 0, field "tenure": expected a number, got "abc"' },
        { row: 1, field: 'tenure', message: 'row 1, field "tenure": a value is required, got null' },
        { row: 2, message: 'row 2: expected an object of fields, got "not a row"' },
        {
          row: 3,
          field: 'PaperlessBilling',
          message: 'row 3, field "PaperlessBilling": expected true or false, got "yes"',
        },
        { row: 4, field: 'tenure', message: 'row 4: field "tenure" is missing (send null if its value is unknown)' },
      ],
    } satisfies RowValidation);
  });

  test('accepts an unknown category but reports it for monitoring', () => {
    const result = validateRows(
      [{ tenure: 1, TotalCharges: null, Contract: 'Weekly', PaperlessBilling: null }],
      columns,
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.rows[0].Contract).toBe('Weekly');
    expect(result.ok && result.anomalies).toEqual([
      {
        row: 0,
        column: 'Contract',
        kind: 'out_of_domain',
        severity: 'warning',
        message: 'row 0, field "Contract": "Weekly" is not a known category',
      },
    ]);
  });

  test('numbers are accepted as category codes', () => {
    const codes: SignatureColumn[] = [
      { name: 'SeniorCitizen', type: 'categorical', nullable: false, domain: ['0', '1'] },
    ];
    expect(validateRows([{ SeniorCitizen: 1 }], codes)).toEqual({
      ok: true,
      rows: [{ SeniorCitizen: '1' }],
      anomalies: [],
    });
  });
});

describe('validateRows: the generated checker', () => {
  const values: unknown[] = [
    3,
    -2.5,
    0,
    1,
    1e308,
    '3',
    '',
    'abc',
    '2024-03-01T10:00:00Z',
    'One year',
    'Weekly',
    true,
    false,
    null,
    {},
    [],
    [1],
    { nested: 1 },
  ];
  const types: SignatureColumn['type'][] = ['integer', 'float', 'boolean', 'datetime', 'categorical', 'string'];
  const columnsOf = (type: SignatureColumn['type'], nullable: boolean): SignatureColumn[] => [
    type === 'categorical'
      ? { name: 'x', type, nullable, domain: ['One year', 'Two year', '3'] }
      : { name: 'x', type, nullable },
    { name: 'constructor', type: 'float', nullable: true },
  ];

  test('answers every value of every column type exactly as the general path does', () => {
    let compared = 0;
    for (const type of types) {
      for (const nullable of [false, true]) {
        const columns = columnsOf(type, nullable);
        // An absent field, a present one, and the inherited name "constructor" absent or present.
        const rows: unknown[] = [{}, { constructor: 2 }, 'not a row', null, [1, 2]];
        for (const value of values) rows.push({ x: value, constructor: null }, { x: value });
        for (const row of rows) {
          expect(validateRows([row], columns), `${type}${nullable ? '?' : ''} ${JSON.stringify(row)}`).toEqual(
            validateRowsGenerally([row], columns),
          );
          compared++;
        }
      }
    }
    expect(compared).toBe(types.length * 2 * (5 + values.length * 2));
  });

  test('keeps each row in its place among rows that take the general path', () => {
    const columns = columnsOf('categorical', true);
    const rows = [
      { x: 'One year', constructor: 1 },
      { x: 'Weekly', constructor: 1 },
      { x: 3, constructor: null },
    ];
    const result = validateRows(rows, columns);
    expect(result).toEqual(validateRowsGenerally(rows, columns));
    expect(result.ok && result.rows.map((r) => r.x)).toEqual(['One year', 'Weekly', '3']);
    expect(result.ok && result.anomalies.map((a) => a.row)).toEqual([1]);
  });
});
