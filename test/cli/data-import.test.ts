import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keelBinary, runKeel, type KeelResult } from '../helpers/keel-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceConfig } from '../../src/core/index.js';
import { openWorkspace } from '../../src/server/index.js';

/** The PostgreSQL the tests run against (see test/store/postgres.ts; CI starts it). */
const POSTGRES_URL = new URL(
  process.env.KEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
).toString();

interface ImportSummary {
  dataset: string;
  version: number;
  rows: number;
  columns: Array<{ name: string; type: string }>;
  created: boolean;
}

describe('keel data import', () => {
  let home: string;
  let server: Server;
  let base: string;

  /** Runs the built `keel` binary the way a user does, in its own workspace. */
  const keel = (...args: string[]): Promise<KeelResult> => runKeel({ home: join(home, '.keel'), cwd: home }, ...args);

  async function imported(...args: string[]): Promise<ImportSummary> {
    const result = await keel('data', 'import', ...args, '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as ImportSummary;
  }

  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-cli-import-'));
    server = createServer((request, response) => {
      if (request.url !== '/api/rides') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          data: {
            items: [
              { id: 1, km: 2.5 },
              { id: 2, km: 4 },
            ],
          },
        }),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    rmSync(home, { recursive: true, force: true });
  });

  it('imports a CSV, then finds the same content already imported', async () => {
    writeFileSync(join(home, 'people.csv'), 'id,name,age\n1,ann,31\n2,bob,NA\n');
    const first = await imported('people.csv', '--name', 'people');
    expect(first).toEqual({
      dataset: 'people',
      version: 1,
      rows: 2,
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'string' },
        { name: 'age', type: 'integer' },
      ],
      created: true,
    });

    const again = await keel('data', 'import', 'people.csv', '--name', 'people');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Already imported: people@1: 2 rows, 3 columns\n');
  });

  it('takes the format from the extension or --format, and the CSV dialect from flags', async () => {
    writeFileSync(join(home, 'semi.txt'), "1;'a;b'\n2;'c'\n");
    const csv = await imported(
      'semi.txt',
      '--name',
      'semi',
      '--format',
      'csv',
      '--delimiter',
      ';',
      '--quote',
      "'",
      '--no-header',
    );
    expect(csv.columns).toEqual([
      { name: 'column0', type: 'integer' },
      { name: 'column1', type: 'string' },
    ]);

    writeFileSync(join(home, 'tabs.tsv'), 'a\tb\n1\t?\n2\tx\n');
    expect((await imported('tabs.tsv', '--name', 'tabs', '--missing', 'x')).columns).toEqual([
      { name: 'a', type: 'integer' },
      { name: 'b', type: 'string' },
    ]);

    writeFileSync(join(home, 'events.jsonl'), '{"t": "2021-01-01", "n": 1}\n{"t": "2021-01-02", "n": 2}\n');
    expect(await imported('events.jsonl', '--name', 'events')).toMatchObject({
      rows: 2,
      columns: [
        { name: 't', type: 'datetime' },
        { name: 'n', type: 'integer' },
      ],
    });
  });

  it('imports a PostgreSQL query and an http(s) JSON endpoint', async () => {
    const query = 'select g as id, g * 0.5 as half from generate_series(1, 3) g order by g';
    expect(await imported('--name', 'pg', '--postgres', POSTGRES_URL, '--query', query)).toMatchObject({
      dataset: 'pg',
      rows: 3,
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'half', type: 'float' },
      ],
      created: true,
    });

    expect(await imported(`${base}/api/rides`, '--name', 'rides', '--records-path', 'data.items')).toMatchObject({
      rows: 2,
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'km', type: 'float' },
      ],
    });
  });

  it('refuses bad input in one line that says what and where', async () => {
    writeFileSync(join(home, 'ragged.csv'), 'a,b\n1,2\n3\n');
    writeFileSync(join(home, 'data.bin'), 'x');
    const cases: Array<[string[], RegExp]> = [
      [['ragged.csv', '--name', 'ragged'], /ragged\.csv, line 3: expected 2 fields, found 1/],
      [['data.bin', '--name', 'bin'], /cannot tell the format of data\.bin from its extension: give --format/],
      [['events.jsonl', '--name', 'ev', '--delimiter', ';'], /--delimiter does not apply to a ndjson file/],
      [['--name', 'none'], /give a FILE or URL to import, or --postgres URL --query SQL/],
      [['--name', 'pg', '--postgres', POSTGRES_URL], /--postgres needs --query SQL/],
      [[`${base}/nothing`, '--name', 'gone'], /\/nothing answered HTTP 404 Not Found/],
    ];
    for (const [args, message] of cases) {
      const result = await keel('data', 'import', ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('leaves the PostgreSQL password out of the recorded source', async () => {
    const url = new URL(POSTGRES_URL);
    url.password = 'hunter2';
    await imported('--name', 'pg-secret', '--postgres', url.toString(), '--query', 'select 1 as one');

    const ws = await openWorkspace(workspaceConfig({ KEEL_HOME: join(home, '.keel') }));
    try {
      const version = await ws.metadata.getDatasetVersion('pg-secret');
      expect(version?.source).toEqual({ kind: 'postgres', uri: POSTGRES_URL, options: { query: 'select 1 as one' } });
    } finally {
      await ws.close();
    }
  });
});
