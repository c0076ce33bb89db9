import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowAt, workspaceConfig, type Table } from '../../src/core/index.js';
import { readCsvTable, readTable } from '../../src/data/index.js';
import { openWorkspace, startServer, type RunningServer, type Workspace } from '../../src/server/index.js';
import { postJson, type Json } from '../helpers/churn-row.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { keel, keelBinary, keelJson } from '../helpers/keel-cli.js';

const ROWS = 100_000;

/** The churn CSV repeated to `rows` rows, each customer id made unique (`…-<row>`). */
function bigChurnCsv(path: string, rows: number): void {
  const [header, ...body] = readFileSync(join(churnProjectDir, 'telco_churn.csv'), 'utf8').trimEnd().split(/\r?\n/);
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const line = body[i % body.length];
    const comma = line.indexOf(',');
    lines.push(`${line.slice(0, comma)}-${i}${line.slice(comma)}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('keel predict: batch scoring', () => {
  let home: string;
  let input: string;
  let source: Table;
  let ws: Workspace;
  let server: RunningServer;
  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm run build:lib)`);
    home = mkdtempSync(join(tmpdir(), 'keel-predict-'));
    expect((await keel(home, 'run', churnProjectDir)).code).toBe(0);
    input = join(home, 'customers.csv');
    bigChurnCsv(input, ROWS);
    source = await readCsvTable(join(churnProjectDir, 'telco_churn.csv'), { missing: ['', ' ', 'NA', '?'] });
    ws = await openWorkspace(workspaceConfig({ KEEL_HOME: home }));
    server = await startServer(ws, { port: 0 });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await ws?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** What the churn endpoint answers for row `i` of the big file. */
  const endpointAnswer = async (i: number) => {
    const row = {
      ...rowAt(source, i % source.rows, ['Churn']),
      customerID: `${source.columns[0].values[i % source.rows]}-${i}`,
    };
    const { status, body } = await postJson(`${server.url}/v1/endpoints/churn/predict`, { instances: [row] });
    expect(status).toBe(200);
    return body.predictions[0] as Json;
  };
  const sample = [0, 1, 7_042, 7_043, 54_321, ROWS - 1];

  it('scores a 100k-row CSV to CSV: one row per input row, the id column, the endpoint’s answers', async () => {
    const output = join(home, 'scored.csv');
    const summary = await keelJson<Json>(home, 'predict', '--endpoint', 'churn', '--input', input, '--output', output);
    expect(summary).toMatchObject({
      rows: ROWS,
      output,
      format: 'csv',
      model: { name: 'churn', version: 1 },
      columns: ['customerID', 'label', 'probability_No', 'probability_Yes'],
    });
    expect(summary.seconds).toBeGreaterThan(0);

    const scored = await readCsvTable(output);
    expect(scored.rows).toBe(ROWS);
    const column = (name: string) => scored.columns.find((c) => c.name === name)?.values as ArrayLike<unknown>;
    for (const i of sample) {
      const answer = await endpointAnswer(i);
      expect(column('customerID')[i]).toBe(`${source.columns[0].values[i % source.rows]}-${i}`);
      expect(column('label')[i], `row ${i}`).toBe(answer.label);
      expect(column('probability_Yes')[i], `row ${i}`).toBe(answer.probabilities.Yes);
      expect(column('probability_No')[i], `row ${i}`).toBe(answer.probabilities.No);
    }
  }, 120_000);

  it('scores the same file to Parquet with the same predictions', async () => {
    const output = join(home, 'scored.parquet');
    const result = await keel(home, 'predict', '--model', 'churn@champion', '--input', input, '--output', output);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Scored 100,000 rows of customers\.csv with churn@1 → .*scored\.parquet \(Parquet; /,
    );
    // The progress line goes to stderr (a line per tenth when it is not a terminal).
    expect(result.stderr).toContain('scoring 100%  100,000/100,000 rows');

    const scored = await readTable(output);
    expect(scored.rows).toBe(ROWS);
    const column = (name: string) => scored.columns.find((c) => c.name === name)?.values as ArrayLike<unknown>;
    for (const i of sample.slice(0, 3)) {
      const answer = await endpointAnswer(i);
      expect(column('label')[i]).toBe(answer.label);
      expect(column('probability_Yes')[i]).toBe(answer.probabilities.Yes);
    }
  }, 120_000);

  it('scores a dataset version, and numbers rows when asked for no id column', async () => {
    const output = join(home, 'dataset.csv');
    const summary = await keelJson<Json>(
      home,
      'predict',
      '--model',
      'churn',
      '--input',
      'telco-churn@1',
      '--output',
      output,
    );
    expect(summary).toMatchObject({ rows: 7_043, input: 'telco-churn@1' });

    const numbered = join(home, 'numbered.csv');
    writeFileSync(
      join(home, 'no-ids.csv'),
      readFileSync(join(churnProjectDir, 'telco_churn.csv'), 'utf8').replace(/^customerID,/, 'ref,'),
    );
    const result = await keelJson<Json>(
      home,
      'predict',
      '--model',
      'churn',
      '--input',
      join(home, 'no-ids.csv'),
      '--output',
      numbered,
    );
    expect(result.columns[0]).toBe('row');
    expect(readFileSync(numbered, 'utf8').split('\n')[2]).toMatch(/^1,(Yes|No),/);
  }, 60_000);

  it('fails in one line naming the row and field of a bad value, and leaves no output behind', async () => {
    const lines = readFileSync(join(churnProjectDir, 'telco_churn.csv'), 'utf8').split(/\r?\n/);
    const header = lines[0].split(',');
    const tenure = header.indexOf('tenure');
    const bad = lines[4].split(',');
    bad[tenure] = 'twelve';
    lines[4] = bad.join(',');
    writeFileSync(join(home, 'bad.csv'), lines.join('\n'));
    const output = join(home, 'bad-out.csv');
    const result = await keel(
      home,
      'predict',
      '--model',
      'churn',
      '--input',
      join(home, 'bad.csv'),
      '--output',
      output,
    );
    expect(result.code).toBe(1);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('keel:')),
    ).toEqual(['keel: bad.csv: row 3, field "tenure": expected a number, got "twelve"']);
    expect(existsSync(output)).toBe(false);
  }, 60_000);

  it('refuses a missing column, an unknown model or endpoint, and ambiguous flags', async () => {
    writeFileSync(join(home, 'narrow.csv'), 'customerID,tenure\nx,1\n');
    const narrow = await keel(
      home,
      'predict',
      '--model',
      'churn',
      '--input',
      join(home, 'narrow.csv'),
      '--output',
      'o.csv',
    );
    expect(narrow.code).toBe(1);
    expect(narrow.stderr).toMatch(/^keel: narrow\.csv has no column "\w+", an input of churn@1\n$/);
    const model = await keel(home, 'predict', '--model', 'nope', '--input', input, '--output', 'o.csv');
    expect(model.stderr).toBe('keel: no model named "nope"\n');
    const version = await keel(home, 'predict', '--model', 'churn@7', '--input', input, '--output', 'o.csv');
    expect(version.stderr).toBe('keel: model "churn" has no version 7 (its latest is 1)\n');
    const endpoint = await keel(home, 'predict', '--endpoint', 'nope', '--input', input, '--output', 'o.csv');
    expect(endpoint.stderr).toBe('keel: no endpoint named "nope"\n');
    const both = await keel(
      home,
      'predict',
      '--model',
      'churn',
      '--endpoint',
      'churn',
      '--input',
      input,
      '--output',
      'o.csv',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give exactly one of --endpoint and --model');
    const nothing = await keel(home, 'predict', '--model', 'churn', '--input', 'no-such-thing', '--output', 'o.csv');
    expect(nothing.stderr).toBe('keel: no dataset no-such-thing (see `keel data list`)\n');
    const help = await keel(home, 'predict', '--help');
    expect(help.stdout).toMatch(/^Usage: keel predict /);
  }, 60_000);
});
