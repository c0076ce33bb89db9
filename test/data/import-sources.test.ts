import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError, type DataSourceConfig } from '../../src/core/index.js';
import { importCsv, importDataset, readTable, type ImportResult } from '../../src/data/index.js';
import { LocalArtifactStore, openMetadataStore, type MetadataStore } from '../../src/store/index.js';

/** The PostgreSQL the tests run against (see test/store/postgres.ts; CI starts it). */
const POSTGRES_URL = new URL(
  process.env.KEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
).toString();

let dir: string;
let scratch: string;
let originalTmpdir: string | undefined;
let metadata: MetadataStore;
let stores: { metadata: MetadataStore; artifacts: LocalArtifactStore };

/** A local JSON server: `base` answers the routes below, nothing listens at `closed`. */
let server: Server;
let base: string;
let closed: string;
const received: IncomingHttpHeaders[] = [];
const routes: Record<string, { status?: number; type?: string; body: string; delayMs?: number }> = {
  '/records': {
    body: JSON.stringify([
      { id: 1, city: 'Oslo' },
      { id: 2, city: 'Bergen' },
    ]),
  },
  '/wrapped': {
    body: JSON.stringify({
      data: {
        items: [
          { id: 1, v: 0.5 },
          { id: 2, v: null },
        ],
      },
      next: null,
    }),
  },
  '/object': { body: JSON.stringify({ data: { items: 3 } }) },
  '/empty': { body: '[]' },
  '/html': { type: 'text/html', body: '<!doctype html><p>Hello</p>' },
  '/broken': { body: '{"data": {"items": [1, }' },
  '/error': { status: 500, type: 'text/plain', body: 'oops' },
  '/slow': { body: '[]', delayMs: 2_000 },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request.headers);
    const route = routes[new URL(request.url ?? '/', 'http://x').pathname];
    if (!route) return void response.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    setTimeout(() => {
      response.writeHead(route.status ?? 200, { 'content-type': route.type ?? 'application/json' });
      response.end(route.body);
    }, route.delayMs ?? 0);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free and is closed again: nothing listens there.
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((done) => probe.close(done));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-import-sources-'));
  // Imports make their temp folders under os.tmpdir(): a private one shows that none is left behind.
  scratch = join(dir, 'tmp');
  await mkdir(scratch);
  originalTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  metadata = await openMetadataStore('sqlite::memory:');
  stores = { metadata, artifacts: new LocalArtifactStore(join(dir, 'artifacts')) };
});

afterAll(async () => {
  if (originalTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmpdir;
  await metadata.close();
  await rm(dir, { recursive: true, force: true });
});

async function importInto(dataset: string, source: DataSourceConfig): Promise<ImportResult> {
  return importDataset(stores, { dataset, source, baseDir: dir });
}

/** The version's rows as plain objects (numbers, NaN for missing numbers, strings or null). */
async function rowsOf(result: ImportResult): Promise<Record<string, unknown>[]> {
  const table = await readTable(await stores.artifacts.localPath(result.version.artifact));
  return Array.from({ length: table.rows }, (_, i) =>
    Object.fromEntries(table.columns.map((c) => [c.name, c.values[i]])),
  );
}

const typesOf = (result: ImportResult): Record<string, string> =>
  Object.fromEntries(result.version.columns.map((c) => [c.name, c.type]));

const leftovers = async (): Promise<string[]> =>
  (await readdir(scratch)).filter((name) => name.startsWith('keel-import-'));

async function writeParquet(path: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('csv and tsv files', () => {
  test('a tsv defaults to tabs and is recorded as a csv source with its delimiter', async () => {
    await writeFile(join(dir, 'plain.tsv'), 'id\tname\tscore\n1\ta, b\t0.5\n2\tNA\t\n');
    const result = await importInto('tsv', { type: 'tsv', path: 'plain.tsv' });

    expect(result.version.source).toEqual({
      kind: 'csv',
      uri: join(dir, 'plain.tsv'),
      options: { delimiter: '\t', missing: ['', '?', 'NA'], header: true },
    });
    expect(typesOf(result)).toEqual({ id: 'integer', name: 'string', score: 'float' });
    expect(await rowsOf(result)).toEqual([
      { id: 1, name: 'a, b', score: 0.5 },
      { id: 2, name: null, score: NaN },
    ]);
  });

  test('quote, escape and header are options, recorded and hashed', async () => {
    const path = join(dir, 'quoted.csv');
    await writeFile(path, "1;'it\\'s; here';'a\\\\b'\n2;'plain';'x'\n");
    const source = { type: 'csv', path, delimiter: ';', quote: "'", escape: '\\', header: false } as const;
    const result = await importInto('quoted', source);

    expect(result.version.source.options).toEqual({
      delimiter: ';',
      quote: "'",
      escape: '\\',
      header: false,
      missing: ['', '?', 'NA'],
    });
    expect(await rowsOf(result)).toEqual([
      { column0: 1, column1: "it's; here", column2: 'a\\b' },
      { column0: 2, column1: 'plain', column2: 'x' },
    ]);
    const doubled = importInto('quoted', { ...source, escape: "'" });
    await expect(doubled).rejects.toThrow(/quoted\.csv, line 1: a quoted value is never closed/);
    const again = await importInto('quoted', source);
    expect(again).toEqual({ version: result.version, created: false });
  });

  test('importCsv is importDataset with a csv source: the same file is the same version', async () => {
    const path = join(dir, 'same.csv');
    await writeFile(path, 'a,b\n1,x\n2,y\n');
    const viaCsv = await importCsv(stores, { dataset: 'same', path });
    const viaDataset = await importInto('same', { type: 'csv', path: 'same.csv' });

    expect(viaDataset).toEqual({ version: viaCsv.version, created: false });
  });

  test('a 1,000,000-row CSV streams through DuckDB into one version', async () => {
    const path = join(dir, 'million.csv');
    const out = createWriteStream(path);
    out.write('id,value,group\n');
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      lines.push(`${i},${(i % 1000) / 10},g${i % 7}`);
      if (lines.length === 50_000) {
        out.write(lines.join('\n') + '\n');
        lines.length = 0;
      }
    }
    await new Promise<void>((done, fail) => out.end(() => done()).on('error', fail));

    const result = await importInto('million', { type: 'csv', path });
    expect(result.version.rows).toBe(1_000_000);
    expect(typesOf(result)).toEqual({ id: 'integer', value: 'float', group: 'categorical' });
    expect(result.version.profile.columns[0]).toMatchObject({ min: 0, max: 999_999, missing: 0 });
  }, 30_000);
});

describe('parquet files', () => {
  test('are rewritten with Keel storage types; nested values become JSON text', async () => {
    const path = join(dir, 'typed.parquet');
    await writeParquet(
      path,
      `SELECT * FROM (VALUES
        (1::TINYINT, 1.25::DECIMAL(10, 2), 'NaN'::DOUBLE, DATE '2021-01-02', TIMESTAMPTZ '2021-01-01 10:00:00+02',
         [1, 2], {'a': 1, 'b': 'x'}, 'NA', true),
        (2::TINYINT, 2.5::DECIMAL(10, 2), 3.5::DOUBLE, NULL, NULL, [], NULL, '  ', false),
        (3::TINYINT, NULL, NULL, DATE '2021-01-03', NULL, NULL, {'a': 2, 'b': NULL}, 'b', NULL)
      ) t(small, money, ratio, day, instant, list, struct, label, flag)`,
    );
    const result = await importInto('parquet', { type: 'parquet', path: 'typed.parquet' });

    expect(result.version.source).toEqual({ kind: 'parquet', uri: path, options: { missing: ['', '?', 'NA'] } });
    expect(typesOf(result)).toEqual({
      small: 'integer',
      money: 'float',
      ratio: 'float',
      day: 'datetime',
      instant: 'datetime',
      list: 'string',
      struct: 'string',
      label: 'string',
      flag: 'boolean',
    });
    const rows = await rowsOf(result);
    expect(rows.map((r) => [r.small, r.money, r.ratio, r.flag])).toEqual([
      [1, 1.25, NaN, 1],
      [2, 2.5, 3.5, 0],
      [3, NaN, NaN, NaN],
    ]);
    expect(rows.map((r) => [r.list, r.struct, r.label])).toEqual([
      ['[1,2]', '{"a":1,"b":"x"}', null],
      ['[]', null, null],
      [null, '{"a":2,"b":null}', 'b'],
    ]);
    const profile = Object.fromEntries(result.version.profile.columns.map((c) => [c.name, c]));
    expect(profile.ratio).toMatchObject({ count: 1, missing: 2 });
    expect(profile.instant).toMatchObject({ min: Date.UTC(2021, 0, 1, 8), missing: 2 });
    expect(profile.day).toMatchObject({ min: Date.UTC(2021, 0, 2), max: Date.UTC(2021, 0, 3) });

    expect((await importInto('parquet', { type: 'parquet', path })).created).toBe(false);
  });
});

describe('json and ndjson files', () => {
  const records = [
    { id: 1, name: 'a', score: 1.5, when: '2021-01-01', tags: ['x', 'y'], meta: { k: 1 }, mixed: 1 },
    { id: 2, name: 'NA', score: null, when: '2021-01-02', tags: [], meta: null, mixed: 'two' },
    { id: 3, name: 'c', when: null, tags: null, meta: { k: 3 }, mixed: true },
  ];

  test.each([
    ['json', JSON.stringify(records, null, 2)],
    ['ndjson', records.map((r) => JSON.stringify(r)).join('\n') + '\n'],
  ] as const)('%s records become typed columns, nested values JSON text', async (format, text) => {
    await writeFile(join(dir, `records.${format}`), text);
    const result = await importInto(`records-${format}`, { type: format, path: `records.${format}` });

    expect(result.version.source.kind).toBe(format);
    expect(typesOf(result)).toEqual({
      id: 'integer',
      name: 'string',
      score: 'float',
      when: 'datetime',
      tags: 'string',
      meta: 'string',
      mixed: 'string',
    });
    expect(await rowsOf(result)).toEqual([
      { id: 1, name: 'a', score: 1.5, when: '2021-01-01 00:00:00', tags: '["x","y"]', meta: '{"k":1}', mixed: '1' },
      { id: 2, name: null, score: NaN, when: '2021-01-02 00:00:00', tags: '[]', meta: null, mixed: 'two' },
      { id: 3, name: 'c', score: NaN, when: null, tags: null, meta: '{"k":3}', mixed: 'true' },
    ]);
    expect((await importInto(`records-${format}`, { type: format, path: `records.${format}` })).created).toBe(false);
  });

  test('the same bytes as json and as ndjson are different versions', async () => {
    await writeFile(join(dir, 'one.json'), '[{"a": 1}]');
    await writeFile(join(dir, 'one.ndjson'), '{"a": 1}\n');
    const asJson = await importInto('one', { type: 'json', path: 'one.json' });
    const missing = await importInto('one', { type: 'json', path: 'one.json', missing: ['x'] });
    const asNdjson = await importInto('one', { type: 'ndjson', path: 'one.ndjson' });

    expect([asJson.created, missing.created, asNdjson.created]).toEqual([true, true, true]);
    expect(new Set([asJson, missing, asNdjson].map((r) => r.version.contentHash)).size).toBe(3);
  });
});

describe('a PostgreSQL query', () => {
  const table = `keel_import_${process.pid}_${Date.now()}`;
  const url = POSTGRES_URL;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`
      create table ${table} (
        id int8 primary key, small int2, amount numeric(12, 2), ratio float8, active boolean,
        day date, seen timestamptz, local timestamp, name text, doc jsonb, list int4[]
      )`);
    await admin.query(`
      insert into ${table} values
        (1, 7, 12.50, 0.25, true, '2021-03-04', '2021-03-04 12:00:00+02', '2021-03-04 12:00:00', 'ann', '{"a": [1]}', '{1,2}'),
        (2, null, null, 'NaN', false, null, null, null, '', null, null),
        (3, -1, 1e6, 'Infinity', null, '2021-03-05', '2021-03-05 00:00:00+00', null, null, '"s"', '{}')`);
  });

  afterAll(async () => {
    await admin?.query(`drop table if exists ${table}`);
    await admin?.end();
  });

  test('is read through a cursor and typed from the result columns; the uri has no password', async () => {
    const withPassword = new URL(url);
    withPassword.password = 'secret-pw';
    const query = `select * from ${table} order by id;`;
    const result = await importInto('pg', { type: 'postgres', url: withPassword.toString(), query });

    expect(result.version.source.kind).toBe('postgres');
    expect(result.version.source.uri).not.toContain('secret-pw');
    expect(result.version.source.uri).toBe(url);
    expect(result.version.source.options).toEqual({ query: `select * from ${table} order by id` });
    expect(typesOf(result)).toEqual({
      id: 'integer',
      small: 'integer',
      amount: 'float',
      ratio: 'float',
      active: 'boolean',
      day: 'datetime',
      seen: 'datetime',
      local: 'datetime',
      name: 'string',
      doc: 'string',
      list: 'string',
    });
    const rows = await rowsOf(result);
    expect(rows[0]).toEqual({
      id: 1,
      small: 7,
      amount: 12.5,
      ratio: 0.25,
      active: 1,
      day: '2021-03-04 00:00:00',
      seen: '2021-03-04 10:00:00',
      local: '2021-03-04 12:00:00',
      name: 'ann',
      doc: '{"a": [1]}',
      list: '{1,2}',
    });
    // SQL has its own NULL: an empty string stays a value. Floats are finite, as from a CSV.
    expect(rows[1]).toMatchObject({ small: NaN, ratio: NaN, active: 0, name: '', doc: null });
    expect(rows[2]).toMatchObject({ amount: 1e6, ratio: NaN, active: NaN, doc: '"s"' });
  });

  test('the same rows are the same version; changed rows are a new one', async () => {
    const source = { type: 'postgres', url, query: `select id, name from ${table} order by id` } as const;
    const first = await importInto('pg-again', source);
    const second = await importInto('pg-again', source);
    expect(second).toEqual({ version: first.version, created: false });

    await admin.query(`update ${table} set name = 'bob' where id = 2`);
    const third = await importInto('pg-again', source);
    expect(third.created).toBe(true);
    expect(third.version.version).toBe(2);
    expect(await leftovers()).toEqual([]);
  });

  test('a result larger than one fetch batch streams in batches', async () => {
    const result = await importInto('pg-big', {
      type: 'postgres',
      url,
      query: 'select g as id, g % 10 as bucket, md5(g::text) as hash from generate_series(1, 25003) g order by g',
    });
    expect(result.version.rows).toBe(25_003);
    expect(result.version.profile.columns[0]).toMatchObject({ min: 1, max: 25_003, distinct: 25_003 });
  });

  test('urlEnv names the variable holding the url', async () => {
    const result = await importDataset(stores, {
      dataset: 'pg-env',
      source: { type: 'postgres', urlEnv: 'KEEL_TEST_IMPORT_URL', query: 'select 1 as one' },
      env: { KEEL_TEST_IMPORT_URL: url },
    });
    expect(result.version.source.options).toEqual({ query: 'select 1 as one', urlEnv: 'KEEL_TEST_IMPORT_URL' });
    expect(result.version.rows).toBe(1);
  });
});

describe('an http(s) JSON endpoint', () => {
  test('an array of records is imported; the same body is the same version', async () => {
    const source = { type: 'http', url: `${base}/records`, headers: { 'X-Api-Key': 'k-123' } } as const;
    const result = await importInto('http', source);

    expect(result.version.source).toEqual({
      kind: 'http',
      uri: `${base}/records`,
      options: { missing: ['', '?', 'NA'], headers: ['X-Api-Key'] },
    });
    expect(received.at(-1)?.['x-api-key']).toBe('k-123');
    expect(await rowsOf(result)).toEqual([
      { id: 1, city: 'Oslo' },
      { id: 2, city: 'Bergen' },
    ]);
    expect((await importInto('http', source)).created).toBe(false);
  });

  test('recordsPath picks the array inside an object', async () => {
    const result = await importInto('http-wrapped', {
      type: 'http',
      url: `${base}/wrapped`,
      recordsPath: 'data.items',
    });
    expect(result.version.source.options).toMatchObject({ recordsPath: 'data.items' });
    expect(await rowsOf(result)).toEqual([
      { id: 1, v: 0.5 },
      { id: 2, v: NaN },
    ]);
  });

  test('user info in the url becomes basic auth and is not recorded', async () => {
    const result = await importInto('http-auth', { type: 'http', url: base.replace('//', '//me:pw@') + '/records' });
    expect(received.at(-1)?.authorization).toBe(`Basic ${Buffer.from('me:pw').toString('base64')}`);
    expect(result.version.source.uri).toBe(`${base}/records`);
  });
});

describe('bad input is a KeelError naming the source and where, and creates no version', () => {
  interface Case {
    name: string;
    file?: [string, string | Buffer];
    source: (where: { dir: string; url: string; http: string; closed: string }) => DataSourceConfig;
    code: string;
    message: RegExp;
    details?: Record<string, unknown>;
  }
  const bytes = (...b: number[]) => Buffer.from(b);
  const cases: Case[] = [
    {
      name: 'a missing csv',
      source: () => ({ type: 'csv', path: 'nope.csv' }),
      code: 'not_found',
      message: /no readable file at .*nope\.csv/,
    },
    {
      name: 'a missing json',
      source: () => ({ type: 'json', path: 'nope.json' }),
      code: 'not_found',
      message: /no file at .*nope\.json/,
    },
    {
      name: 'a missing parquet',
      source: () => ({ type: 'parquet', path: 'nope.parquet' }),
      code: 'not_found',
      message: /no file at .*nope\.parquet/,
    },
    {
      name: 'a ragged tsv',
      file: ['ragged.tsv', 'a\tb\n1\t2\n3\n'],
      source: () => ({ type: 'tsv', path: 'ragged.tsv' }),
      code: 'invalid_data',
      message: /ragged\.tsv, line 3: expected 2 fields, found 1/,
      details: { line: 3 },
    },
    {
      name: 'an unclosed custom quote',
      file: ['unclosed.csv', "a,b\n1,'open\n"],
      source: () => ({ type: 'csv', path: 'unclosed.csv', quote: "'" }),
      code: 'invalid_data',
      message: /unclosed\.csv, line 2: a quoted value is never closed/,
      details: { line: 2 },
    },
    {
      name: 'a delimiter equal to the quote',
      source: () => ({ type: 'csv', path: 'x.csv', delimiter: "'", quote: "'" }),
      code: 'invalid_argument',
      message: /delimiter must be one character other than a quote/,
    },
    {
      name: 'malformed ndjson',
      file: ['bad.ndjson', '{"a": 1}\n{"a": 2\n{"a": 3}\n'],
      source: () => ({ type: 'ndjson', path: 'bad.ndjson' }),
      code: 'invalid_data',
      message: /cannot read JSON .*bad\.ndjson, line 3: malformed JSON \(unexpected character\)/,
      details: { line: 3 },
    },
    {
      name: 'malformed json',
      file: ['bad.json', '[{"a": 1},\n {"a": 2},\n {"a": }]'],
      source: () => ({ type: 'json', path: 'bad.json' }),
      code: 'invalid_data',
      message: /cannot read JSON .*bad\.json, record 3: malformed JSON/,
      details: { record: 3 },
    },
    {
      name: 'an empty json file',
      file: ['empty.json', '  \n'],
      source: () => ({ type: 'json', path: 'empty.json' }),
      code: 'invalid_data',
      message: /empty\.json is empty/,
    },
    {
      name: 'an empty json array',
      file: ['no-records.json', '[ ]'],
      source: () => ({ type: 'json', path: 'no-records.json' }),
      code: 'invalid_data',
      message: /no-records\.json has no records/,
    },
    {
      name: 'a json object instead of an array',
      file: ['object.json', '{"a": 1}'],
      source: () => ({ type: 'json', path: 'object.json' }),
      code: 'invalid_data',
      message: /object\.json holds a JSON object, not an array of records/,
    },
    {
      name: 'json values that are not records',
      file: ['scalars.json', '[1, 2, 3]'],
      source: () => ({ type: 'json', path: 'scalars.json' }),
      code: 'invalid_data',
      message: /scalars\.json holds JSON values that are not records/,
    },
    {
      name: 'an array in an ndjson file',
      file: ['array.ndjson', '[{"a": 1}]\n'],
      source: () => ({ type: 'ndjson', path: 'array.ndjson' }),
      code: 'invalid_data',
      message: /array\.ndjson, line 1: a JSON array, not one record per line/,
    },
    {
      name: 'a binary file read as json',
      file: ['binary.json', bytes(0x50, 0x4b, 0x03, 0x04, 0x00, 0x00)],
      source: () => ({ type: 'json', path: 'binary.json' }),
      code: 'invalid_data',
      message: /binary\.json looks like a binary file, not JSON text/,
    },
    {
      name: 'a csv file read as parquet',
      file: ['not.parquet', 'a,b\n1,2\n'],
      source: () => ({ type: 'parquet', path: 'not.parquet' }),
      code: 'invalid_data',
      message: /not\.parquet is not a Parquet file/,
    },
    {
      name: 'bad SQL',
      source: ({ url }) => ({ type: 'postgres', url, query: 'select from where' }),
      code: 'invalid_argument',
      message: /the PostgreSQL query failed at character 13: syntax error at or near "where"/,
      details: { field: 'query', position: 13 },
    },
    {
      name: 'a missing table',
      source: ({ url }) => ({ type: 'postgres', url, query: 'select * from keel_no_such_table' }),
      code: 'invalid_argument',
      message: /query failed at character 15: relation "keel_no_such_table" does not exist/,
    },
    {
      name: 'a statement that is not a query',
      source: ({ url }) => ({ type: 'postgres', url, query: 'delete from keel_no_such_table' }),
      code: 'invalid_argument',
      message: /only a SELECT query can be imported/,
    },
    {
      name: 'a query without rows',
      source: ({ url }) => ({ type: 'postgres', url, query: 'select 1 as one where false' }),
      code: 'invalid_data',
      message: /has no rows/,
    },
    {
      name: 'an unreachable PostgreSQL',
      source: () => ({ type: 'postgres', url: 'postgres://postgres:pw@127.0.0.1:1/test', query: 'select 1' }),
      code: 'not_found',
      message: /^cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: connection refused/,
    },
    {
      name: 'an unset urlEnv',
      source: () => ({ type: 'postgres', urlEnv: 'KEEL_TEST_NO_SUCH_VARIABLE', query: 'select 1' }),
      code: 'invalid_argument',
      message: /environment variable KEEL_TEST_NO_SUCH_VARIABLE \(urlEnv\) is not set/,
    },
    {
      name: 'HTTP 404',
      source: ({ http }) => ({ type: 'http', url: `${http}/missing` }),
      code: 'not_found',
      message: /\/missing answered HTTP 404 Not Found/,
    },
    {
      name: 'HTTP 500',
      source: ({ http }) => ({ type: 'http', url: `${http}/error` }),
      code: 'invalid_data',
      message: /\/error answered HTTP 500/,
    },
    {
      name: 'an HTML answer',
      source: ({ http }) => ({ type: 'http', url: `${http}/html` }),
      code: 'invalid_data',
      message: /\/html did not answer JSON \(it answered text\/html\)/,
    },
    {
      name: 'an object answer without recordsPath',
      source: ({ http }) => ({ type: 'http', url: `${http}/object` }),
      code: 'invalid_data',
      message: /\/object answered a JSON object, not an array of records: set recordsPath/,
    },
    {
      name: 'a recordsPath that is not there',
      source: ({ http }) => ({ type: 'http', url: `${http}/object`, recordsPath: 'data.items' }),
      code: 'invalid_data',
      message: /recordsPath "data\.items" holds a number, not an array of records/,
    },
    {
      name: 'an empty array answer',
      source: ({ http }) => ({ type: 'http', url: `${http}/empty` }),
      code: 'invalid_data',
      message: /\/empty has no records/,
    },
    {
      name: 'a broken JSON answer',
      source: ({ http }) => ({ type: 'http', url: `${http}/broken`, recordsPath: 'data.items' }),
      code: 'invalid_data',
      message: /\/broken did not answer valid JSON/,
    },
    {
      name: 'a refused connection',
      source: ({ closed }) => ({ type: 'http', url: `${closed}/records` }),
      code: 'not_found',
      message: /cannot reach http:\/\/127\.0\.0\.1:\d+\/records: connection refused/,
    },
    {
      name: 'a server slower than the timeout',
      source: ({ http }) => ({ type: 'http', url: `${http}/slow`, timeoutSeconds: 0.2 }),
      code: 'not_found',
      message: /\/slow did not answer within 0\.2 s/,
    },
  ];

  test.each(cases)('$name', async ({ name, file, source, code, message, details }) => {
    if (file) await writeFile(join(dir, file[0]), file[1]);
    const dataset = `bad-${name.replaceAll(' ', '-')}`;

    const error = await importInto(dataset, source({ dir, url: POSTGRES_URL, http: base, closed })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(KeelError);
    const keelError = error as KeelError;
    expect({ code: keelError.code, message: keelError.message }).toMatchObject({ code, message });
    expect(keelError.message).not.toMatch(/\n|Possible|LINE 1|Error:/);
    if (file) expect(keelError.details.file).toBe(join(dir, file[0]));
    if (details) expect(keelError.details).toMatchObject(details);
    expect(await metadata.listDatasetVersions(dataset)).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });
});
