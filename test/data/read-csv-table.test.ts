import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Table } from '../../src/core/index.js';
import { readCsvTable } from '../../src/data/index.js';
import { resolveCsvOptions, typeCsv } from '../../src/data/csv.js';
import { readRelation, withDuckDB } from '../../src/data/duckdb.js';

// readCsvTable types a large file from a sample and reads it in one pass; whatever the file
// holds after the sample, the Table must be the one the exact two-pass read gives.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-read-csv-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The exact path: a typing pass over every value, then the cast read. */
function exactRead(path: string): Promise<Table> {
  return withDuckDB(async (connection) => {
    const csv = await typeCsv(connection, path, resolveCsvOptions({}));
    return readRelation(connection, csv.select, csv.columns, csv.rows);
  });
}

/** 12,000 rows of an integer, a decimal and a text column; `late` replaces fields of row 11,000. */
async function csvWith(name: string, late: Partial<Record<'count' | 'price' | 'city', string>> = {}): Promise<string> {
  const lines = ['count,price,city'];
  for (let i = 0; i < 12_000; i++) {
    const row = {
      count: String((i * 7) % 1000),
      price: ((i % 97) * 1.25 + 0.5).toFixed(2),
      city: ['Oslo', 'Lima'][i % 2],
    };
    if (i % 50 === 3) row.price = ''; // missing values belong to the ordinary case
    Object.assign(row, i === 11_000 ? late : {});
    lines.push(`${row.count},${row.price},${row.city}`);
  }
  const path = join(dir, `${name}.csv`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

function describeTable(table: Table) {
  return table.columns.map((c) => ({ name: c.name, kind: c.kind, values: Array.from(c.values as ArrayLike<unknown>) }));
}

describe('readCsvTable on a file larger than its typing sample', () => {
  test.each([
    ['nothing unusual', {}, { count: 'number', price: 'number', city: 'string' }],
    ['a decimal in the integer column', { count: '2.5' }, { count: 'number', price: 'number', city: 'string' }],
    ['an exponent in the integer column', { count: '1e3' }, { count: 'number', price: 'number', city: 'string' }],
    ['hex in the integer column', { count: '0x1F' }, { count: 'string', price: 'number', city: 'string' }],
    ['a word in the decimal column', { price: 'n/a' }, { count: 'number', price: 'string', city: 'string' }],
    ['inf in the decimal column', { price: 'inf' }, { count: 'number', price: 'string', city: 'string' }],
    ['nan in the decimal column', { price: 'nan' }, { count: 'number', price: 'string', city: 'string' }],
    ['a blank of spaces in the decimal column', { price: '   ' }, { count: 'number', price: 'number', city: 'string' }],
    [
      'an integer beyond 64 bits',
      { count: '99999999999999999999' },
      { count: 'number', price: 'number', city: 'string' },
    ],
    ['a number in the text column', { city: '12' }, { count: 'number', price: 'number', city: 'string' }],
  ])('%s: the same Table as the exact read', async (name, late, kinds) => {
    const path = await csvWith(name.replace(/\W+/g, '-'), late);
    const [fast, exact] = [await readCsvTable(path), await exactRead(path)];
    expect(fast.rows).toBe(12_000);
    expect(Object.fromEntries(fast.columns.map((c) => [c.name, c.kind]))).toEqual(kinds);
    expect(describeTable(fast)).toEqual(describeTable(exact));
  });

  test('digit-group underscores are numbers on both paths, as DuckDB parses them', async () => {
    const path = await csvWith('underscore', { count: '1_000' });
    const table = await readCsvTable(path);
    expect(table.columns[0]).toMatchObject({ kind: 'number' });
    expect(table.columns[0].values[11_000]).toBe(1000);
    expect(describeTable(table)).toEqual(describeTable(await exactRead(path)));
  });

  test('a ragged row after the sample is reported with its line', async () => {
    const path = join(dir, 'ragged.csv');
    const lines = ['a,b', ...Array.from({ length: 12_000 }, (_, i) => `${i},${i}`)];
    lines[11_001] = '1,2,3';
    await writeFile(path, `${lines.join('\n')}\n`);
    await expect(readCsvTable(path)).rejects.toThrow(/line 11002: expected 2 fields, found 3/);
  });
});
