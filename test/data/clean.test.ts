import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError, type CleaningStepConfig, type DatasetVersion, type Table } from '../../src/core/index.js';
import { cleanDataset, importCsv, readTable } from '../../src/data/index.js';
import { LocalArtifactStore, openMetadataStore, type MetadataStore } from '../../src/store/index.js';

const CHURN = resolve('examples/churn/telco_churn.csv');

/** Messy people: a duplicate row, padded names, text markers for missing, a bad date, a negative age. */
const PEOPLE = [
  'id,name,age,city,joined,score,flag',
  '1, Ann ,34,Paris,01-02-2020,1.5,yes',
  '2,Bob,NA,?,15-03-2021,2.0,no',
  '2,Bob,NA,?,15-03-2021,2.0,no',
  '3,Cy,22,Lyon,31-13-2021,x,maybe',
  '4,Di,51,Paris,02-02-2022,3.5,yes',
  '5,Ed ,-3,Lyon,10-10-2022,2.5,no',
].join('\n');

let dir: string;
let metadata: MetadataStore;
let stores: { metadata: MetadataStore; artifacts: LocalArtifactStore };
let people: DatasetVersion;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-clean-test-'));
  metadata = await openMetadataStore('sqlite::memory:');
  stores = { metadata, artifacts: new LocalArtifactStore(join(dir, 'artifacts')) };
  await writeFile(join(dir, 'people.csv'), PEOPLE);
  // No missing markers at import, so "NA" and "?" arrive as text for normalize_missing to handle.
  people = (await importCsv(stores, { dataset: 'people', path: join(dir, 'people.csv'), missing: [] })).version;
});

afterAll(async () => {
  await metadata.close();
  await rm(dir, { recursive: true, force: true });
});

async function rowsOf(version: DatasetVersion): Promise<Table> {
  return readTable(await stores.artifacts.localPath(version.artifact));
}

function values(table: Table, name: string): Array<string | number | null> {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name}`);
  return Array.from(column.values as ArrayLike<string | number | null>);
}

async function cleanError(steps: CleaningStepConfig[], version = people): Promise<KeelError> {
  const error = await cleanDataset(stores, { version, steps, dataset: 'errors' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe('cleanDataset', () => {
  const steps: CleaningStepConfig[] = [
    { step: 'drop_duplicates' },
    { step: 'normalize_missing', markers: ['NA', '?'] },
    { step: 'trim' },
    { step: 'cast', column: 'age', to: 'integer' },
    { step: 'cast', column: 'joined', to: 'datetime', format: '%d-%m-%Y' },
    { step: 'drop_rows', where: 'age < 0', reason: 'ages are never negative' },
    { step: 'repair', column: 'age', set: 40 },
    { step: 'drop_missing', columns: ['joined'] },
  ];

  test('runs the steps in order into a derived version and reports the rows each touched', async () => {
    const { version, created, report } = await cleanDataset(stores, { version: people, steps });

    expect(created).toBe(true);
    expect(report).toEqual([
      { step: 'drop_duplicates', rows: 1 },
      { step: 'normalize_missing', rows: 1 },
      { step: 'trim', rows: 2 },
      { step: 'cast', column: 'age', rows: 4, failed: 0 },
      { step: 'cast', column: 'joined', rows: 5, failed: 1 },
      { step: 'drop_rows', rows: 1 },
      { step: 'repair', column: 'age', rows: 1 },
      { step: 'drop_missing', rows: 1 },
    ]);
    expect(version).toMatchObject({ dataset: 'people', version: 2, rows: 3 });
    expect(version.source).toEqual({
      kind: 'derived',
      uri: 'people@1',
      options: { parent: people.id, steps, report },
    });
    const types = Object.fromEntries(version.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ id: 'integer', age: 'integer', joined: 'datetime', name: 'string' });

    const table = await rowsOf(version);
    expect(values(table, 'id')).toEqual([1, 2, 4]);
    expect(values(table, 'name')).toEqual(['Ann', 'Bob', 'Di']);
    expect(values(table, 'age')).toEqual([34, 40, 51]);
    expect(values(table, 'city')).toEqual(['Paris', null, 'Paris']);
    expect(values(table, 'joined')).toEqual(['2020-02-01 00:00:00', '2021-03-15 00:00:00', '2022-02-02 00:00:00']);
  });

  test('the same steps on the same content return the existing version and its report', async () => {
    const first = await cleanDataset(stores, { version: people, steps });
    const again = await cleanDataset(stores, { version: people, steps });
    expect(again.created).toBe(false);
    expect(again.version).toEqual(first.version);
    expect(again.report).toEqual(first.report);

    const other = await cleanDataset(stores, { version: people, steps: steps.slice(0, 3) });
    expect(other.created).toBe(true);
    expect(other.version.version).toBe(3);
  });

  test('writes into another dataset when one is named', async () => {
    const { version } = await cleanDataset(stores, { version: people, steps, dataset: 'people-clean' });
    expect(version).toMatchObject({ dataset: 'people-clean', version: 1 });
  });

  test('drop_duplicates over some columns keeps the first row of each and the row order', async () => {
    const { version, report } = await cleanDataset(stores, {
      version: people,
      steps: [{ step: 'drop_duplicates', columns: ['city'] }],
      dataset: 'dedupe',
    });
    expect(report).toEqual([{ step: 'drop_duplicates', rows: 3 }]);
    expect(values(await rowsOf(version), 'id')).toEqual([1, 2, 3]);
  });

  test('repair sets a literal or an expression where a condition holds, and counts the changed rows', async () => {
    const { version, report } = await cleanDataset(stores, {
      version: people,
      steps: [
        { step: 'repair', column: 'city', where: "city = '?'", set: 'Unknown' },
        { step: 'repair', column: 'score', where: "score = 'x'", set: null },
        { step: 'cast', column: 'score', to: 'float' },
        { step: 'repair', column: 'score', where: 'id >= 4', set: { expr: 'score * 10' } },
        { step: 'repair', column: 'score', set: 0 },
      ],
      dataset: 'repair',
    });
    expect(report.map((r) => r.rows)).toEqual([2, 1, 5, 2, 1]);
    const table = await rowsOf(version);
    expect(values(table, 'city')).toEqual(['Paris', 'Unknown', 'Unknown', 'Lyon', 'Paris', 'Lyon']);
    expect(values(table, 'score')).toEqual([1.5, 2, 2, 0, 35, 25]);
  });

  test('casts are strict: a value that does not convert becomes missing and is counted', async () => {
    const { version, report } = await cleanDataset(stores, {
      version: people,
      steps: [
        { step: 'cast', column: 'score', to: 'integer' },
        { step: 'cast', column: 'flag', to: 'boolean' },
        { step: 'cast', column: 'id', to: 'string' },
      ],
      dataset: 'casts',
    });
    expect(report).toEqual([
      { step: 'cast', column: 'score', rows: 6, failed: 4 },
      { step: 'cast', column: 'flag', rows: 6, failed: 1 },
      { step: 'cast', column: 'id', rows: 6, failed: 0 },
    ]);
    const table = await rowsOf(version);
    // 1.5, 3.5 and 2.5 are not integers and x is not a number; 2.0 is.
    expect(values(table, 'score')).toEqual([NaN, 2, 2, NaN, NaN, NaN]);
    expect(values(table, 'flag')).toEqual([1, 0, 0, NaN, 1, 0]);
    expect(version.columns.find((c) => c.name === 'id')?.type).not.toBe('integer');
  });

  test('a cast to the type a column already has changes nothing', async () => {
    const { report } = await cleanDataset(stores, {
      version: people,
      steps: [{ step: 'cast', column: 'id', to: 'integer' }],
      dataset: 'noop',
    });
    expect(report).toEqual([{ step: 'cast', column: 'id', rows: 0, failed: 0 }]);
  });

  test('normalize_missing on a number column matches the markers that are numbers', async () => {
    const { report, version } = await cleanDataset(stores, {
      version: people,
      steps: [{ step: 'normalize_missing', markers: ['2', 'none'], columns: ['id'] }],
      dataset: 'sentinel',
    });
    expect(report).toEqual([{ step: 'normalize_missing', rows: 2 }]);
    expect(values(await rowsOf(version), 'id')).toEqual([1, NaN, NaN, 3, 4, 5]);
  });

  test('cleans real data: the 11 churn customers without TotalCharges are dropped', async () => {
    const churn = (await importCsv(stores, { dataset: 'churn', path: CHURN })).version;
    const { version, report } = await cleanDataset(stores, {
      version: churn,
      steps: [
        { step: 'drop_missing', columns: ['TotalCharges'] },
        { step: 'drop_duplicates', columns: ['customerID'] },
      ],
    });
    expect(report).toEqual([
      { step: 'drop_missing', rows: 11 },
      { step: 'drop_duplicates', rows: 0 },
    ]);
    expect(version.rows).toBe(7032);
    expect(version.profile.columns.find((c) => c.name === 'TotalCharges')?.missing).toBe(0);
  });
});

describe('cleanDataset refuses bad steps, naming cleaning[i].FIELD', () => {
  test('an unknown column', async () => {
    const error = await cleanError([{ step: 'trim' }, { step: 'drop_missing', columns: ['age', 'agee'] }]);
    expect(error.details.field).toBe('cleaning[1].columns');
    expect(error.message).toMatch(/^cleaning\[1\]\.columns: no column "agee" in the data \(columns: id, name, age/);
    const cast = await cleanError([{ step: 'cast', column: 'nope', to: 'float' }]);
    expect(cast.details.field).toBe('cleaning[0].column');
  });

  test('a condition DuckDB rejects, with its reason', async () => {
    const error = await cleanError([{ step: 'drop_rows', where: 'agee > 3' }]);
    expect(error.details.field).toBe('cleaning[0].where');
    expect(error.message).toContain('Referenced column "agee" not found');
    expect(error.message).not.toContain('__keel_row');
    const syntax = await cleanError([{ step: 'drop_rows', where: 'age >' }]);
    expect(syntax.message).toMatch(/^cleaning\[0\]\.where: not a SQL condition: syntax error/);
    const notBoolean = await cleanError([{ step: 'repair', column: 'age', where: 'id + 1', set: 'x' }]);
    expect(notBoolean.message).toBe('cleaning[0].where: the condition is BIGINT, not true/false: id + 1');
  });

  test('anything but one expression over the row, such as a second statement or a subquery', async () => {
    const injected = await cleanError([{ step: 'drop_rows', where: "true) FROM t; COPY t TO '/tmp/x' --" }]);
    expect(injected.details.field).toBe('cleaning[0].where');
    const clause = await cleanError([{ step: 'drop_rows', where: 'true) FROM (SELECT 1' }]);
    expect(clause.message).toContain('must be a single SQL condition');
    const subquery = await cleanError([{ step: 'drop_rows', where: `id IN (SELECT 1 FROM read_csv('${CHURN}'))` }]);
    expect(subquery.message).toContain('cannot contain a subquery');
    const expr = await cleanError([{ step: 'repair', column: 'age', set: { expr: '1 FROM people' } }]);
    expect(expr.details.field).toBe('cleaning[0].set');
  });

  test('casts that cannot be made, and a bad format', async () => {
    const datetime = await cleanError([
      { step: 'cast', column: 'joined', to: 'datetime', format: '%d-%m-%Y' },
      { step: 'cast', column: 'joined', to: 'integer' },
    ]);
    expect(datetime.message).toBe('cleaning[1].to: column "joined" is datetime and cannot be cast to integer');
    const format = await cleanError([{ step: 'cast', column: 'joined', to: 'datetime', format: '%Q' }]);
    expect(format.details.field).toBe('cleaning[0].format');
    const misplaced = await cleanError([{ step: 'cast', column: 'id', to: 'datetime', format: '%Y' }]);
    expect(misplaced.message).toContain('a format only applies when casting text to datetime');
  });

  test('a repair value that does not fit the column', async () => {
    const text = await cleanError([{ step: 'repair', column: 'id', set: 'n/a' }]);
    expect(text.message).toBe('cleaning[0].set: "n/a" is not a value of column "id" (integer)');
    const fraction = await cleanError([{ step: 'repair', column: 'id', set: 2.5 }]);
    expect(fraction.message).toBe('cleaning[0].set: 2.5 is not an integer, but column "id" is');
    const conversion = await cleanError([{ step: 'repair', column: 'id', where: 'id = 3', set: { expr: 'name' } }]);
    expect(conversion.details.field).toBe('cleaning[0].set');
    expect(conversion.message).toContain('Could not convert string');
  });

  test('trimming a column that is not text', async () => {
    const error = await cleanError([{ step: 'trim', columns: ['id'] }]);
    expect(error.message).toBe('cleaning[0].columns: column "id" is integer, not text; only text can be trimmed');
  });

  test('cleaning that leaves no rows; nothing is stored after any failure', async () => {
    const error = await cleanError([{ step: 'drop_rows', where: 'true' }]);
    expect(error.code).toBe('invalid_data');
    expect(error.message).toBe('cleaning left no rows of dataset people v1 (drop_rows: 6)');
    expect(await metadata.listDatasetVersions('errors')).toEqual([]);
  });
});
