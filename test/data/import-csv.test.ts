import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError } from '../../src/core/index.js';
import { importCsv, readTable } from '../../src/data/index.js';
import { LocalArtifactStore, openMetadataStore, type MetadataStore } from '../../src/store/index.js';

const CHURN = resolve('examples/churn/telco_churn.csv');

let dir: string;
let metadata: MetadataStore;
let stores: { metadata: MetadataStore; artifacts: LocalArtifactStore };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-import-test-'));
  metadata = await openMetadataStore('sqlite::memory:');
  stores = { metadata, artifacts: new LocalArtifactStore(join(dir, 'artifacts')) };
});

afterAll(async () => {
  await metadata.close();
  await rm(dir, { recursive: true, force: true });
});

describe('importCsv', () => {
  test('imports the churn CSV as a Parquet dataset version with a profile and schema', async () => {
    const { version, created } = await importCsv(stores, { dataset: 'churn', path: CHURN });

    expect(created).toBe(true);
    expect(version).toMatchObject({ dataset: 'churn', version: 1, rows: 7043 });
    expect(version.source).toEqual({
      kind: 'csv',
      uri: CHURN,
      options: { delimiter: ',', missing: ['', '?', 'NA'], header: true },
    });
    expect(version.columns).toHaveLength(21);
    expect(version.columns.find((c) => c.name === 'TotalCharges')).toEqual({ name: 'TotalCharges', type: 'float' });
    const totalCharges = version.profile.columns.find((c) => c.name === 'TotalCharges');
    expect(totalCharges).toMatchObject({ type: 'float', count: 7032, missing: 11 });
    expect(await stores.artifacts.has(version.artifact)).toBe(true);

    const table = await readTable(await stores.artifacts.localPath(version.artifact));
    expect(table.rows).toBe(7043);
    const column = table.columns.find((c) => c.name === 'TotalCharges');
    expect(column?.kind).toBe('number');
    expect([...(column?.values ?? [])].filter((v) => Number.isNaN(v))).toHaveLength(11);
  });

  test('importing the same content again returns the existing version without writing', async () => {
    const first = await importCsv(stores, { dataset: 'again', path: CHURN });
    const second = await importCsv(stores, { dataset: 'again', path: CHURN });

    expect(second.created).toBe(false);
    expect(second.version).toEqual(first.version);
    expect(await metadata.listDatasetVersions('again')).toHaveLength(1);
  });

  test('the same bytes parsed with other options are another version', async () => {
    const plain = await importCsv(stores, { dataset: 'options', path: CHURN });
    const noAsMissing = await importCsv(stores, { dataset: 'options', path: CHURN, missing: ['', 'No'] });

    expect(noAsMissing.created).toBe(true);
    expect(noAsMissing.version.version).toBe(plain.version.version + 1);
    expect(noAsMissing.version.contentHash).not.toBe(plain.version.contentHash);
    expect(noAsMissing.version.profile.columns.find((c) => c.name === 'Churn')?.missing).toBe(5174);
  });

  test('reads other delimiters, no header, quoted fields and whitespace-only values', async () => {
    const path = join(dir, 'semicolons.csv');
    await writeFile(path, '1;"a;b";  \n2;"say ""hi""";true\n3;\t;FALSE\n');
    const { version } = await importCsv(stores, { dataset: 'semicolons', path, delimiter: ';', header: false });
    const table = await readTable(await stores.artifacts.localPath(version.artifact));

    expect(version.columns).toEqual([
      { name: 'column0', type: 'integer' },
      { name: 'column1', type: 'string' },
      { name: 'column2', type: 'boolean' },
    ]);
    expect([...table.columns[0].values]).toEqual([1, 2, 3]);
    expect(table.columns[1].values).toEqual(['a;b', 'say "hi"', null]);
    expect([...table.columns[2].values]).toEqual([NaN, 1, 0]);
  });

  test('types each column by the narrowest type all its values fit', async () => {
    const path = join(dir, 'types.csv');
    await writeFile(
      path,
      'int,float,bool,date,text,odd,empty\n' +
        ' 12 ,1.0,True,2021-01-01,a,inf,\n' +
        '-3,2,FALSE, 2021-01-02 10:30:00,a,1_000,NA\n' +
        '4,,true,,a,,\n',
    );
    const { version } = await importCsv(stores, { dataset: 'types', path });

    expect(Object.fromEntries(version.columns.map((c) => [c.name, c.type]))).toEqual({
      int: 'integer',
      float: 'float',
      bool: 'boolean',
      date: 'datetime',
      text: 'categorical',
      odd: 'string',
      empty: 'float',
    });
    const profile = Object.fromEntries(version.profile.columns.map((c) => [c.name, c]));
    expect(profile.int).toMatchObject({ count: 3, min: -3, max: 12 });
    expect(profile.bool.topValues).toEqual([
      { value: 'true', count: 2 },
      { value: 'false', count: 1 },
    ]);
    expect(profile.date).toMatchObject({
      count: 2,
      missing: 1,
      min: Date.UTC(2021, 0, 1),
      max: Date.UTC(2021, 0, 2, 10, 30),
    });
    expect(profile.empty).toEqual({ name: 'empty', type: 'float', count: 0, missing: 3, distinct: 0 });
  });
});

describe('importCsv rejects malformed files with a clear error and creates no version', () => {
  const cases: Array<{ name: string; content?: string | Buffer; code: string; message: RegExp; line?: number }> = [
    { name: 'missing.csv', code: 'not_found', message: /no .*file at .*missing\.csv/ },
    { name: 'empty.csv', content: '', code: 'invalid_data', message: /empty\.csv is empty/ },
    { name: 'blank.csv', content: '  \n\n', code: 'invalid_data', message: /blank\.csv is empty/ },
    {
      name: 'binary.csv',
      content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x00, 0x08, 0x00]),
      code: 'invalid_data',
      message: /binary\.csv looks like a binary file/,
      line: 2,
    },
    {
      name: 'ragged.csv',
      content: 'a,b,c\n1,2,3\n4,5\n6,7,8\n',
      code: 'invalid_data',
      message: /ragged\.csv, line 3: expected 3 fields, found 2/,
      line: 3,
    },
    {
      name: 'too-many.csv',
      content: 'a,b,c\n1,2,3\n4,5,6,7\n',
      code: 'invalid_data',
      message: /too-many\.csv, line 3: expected 3 fields, found 4/,
      line: 3,
    },
    {
      name: 'unclosed.csv',
      content: 'a,b\n1,"never closed\n2,3\n',
      code: 'invalid_data',
      message: /unclosed\.csv, line 2: a quoted value is never closed/,
      line: 2,
    },
    {
      name: 'unclosed-header.csv',
      content: 'a,"b\n1,2\n',
      code: 'invalid_data',
      message: /unclosed-header\.csv, line 1: a quoted value is never closed/,
      line: 1,
    },
    {
      name: 'latin1.csv',
      content: Buffer.from('name\ncaf\xe9\n', 'latin1'),
      code: 'invalid_data',
      message: /latin1\.csv, line 2: the file is not UTF-8 text/,
      line: 2,
    },
    { name: 'header-only.csv', content: 'a,b\n', code: 'invalid_data', message: /header-only\.csv has no data rows/ },
  ];

  test.each(cases)('$name', async ({ name, content, code, message, line }) => {
    const path = join(dir, name);
    if (content !== undefined) await writeFile(path, content);
    const dataset = `bad-${name}`;

    const error = await importCsv(stores, { dataset, path }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeelError);
    const keelError = error as KeelError;
    expect(keelError.code).toBe(code);
    expect(keelError.message).toMatch(message);
    expect(keelError.message).not.toMatch(/Possible fixes|\n/);
    expect(keelError.details.file).toBe(path);
    if (line !== undefined) expect(keelError.details.line).toBe(line);
    expect(await metadata.listDatasetVersions(dataset)).toEqual([]);
  });

  test('a failing artifact store leaves no version behind', async () => {
    const failing = { ...stores, artifacts: Object.create(stores.artifacts) as LocalArtifactStore };
    failing.artifacts.putFile = () => Promise.reject(new Error('disk full'));

    await expect(importCsv(failing, { dataset: 'disk-full', path: CHURN })).rejects.toThrow('disk full');
    expect(await metadata.listDatasetVersions('disk-full')).toEqual([]);
  });

  test('an invalid delimiter is rejected before reading', async () => {
    await expect(importCsv(stores, { dataset: 'x', path: CHURN, delimiter: ';;' })).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { field: 'delimiter' },
    });
  });
});
