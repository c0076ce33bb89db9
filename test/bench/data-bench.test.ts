import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/run.js';
import type { DataSuiteResult } from '../../bench/data/suite.js';

/** Keeps the data suite of `npm run bench` from rotting: it runs on a tiny CSV with Keel alone. */
describe('npm run bench -- data', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-data-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the CSV, reads it into a matrix and reports the timing', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['data', '--quick', '--keel-only', '--scale', '0.01', '--out', out]);
    log.mockRestore();
    progress.mockRestore();
    expect(code).toBe(0);
    const files = readdirSync(out).filter((f) => /^data-.*\.json$/.test(f));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as DataSuiteResult;
    expect(result.pandas).toBeNull();
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ id: 'csv_to_matrix', rows: 1000, cols: 20, pandasSeconds: null });
    expect(result.rows[0].keelSeconds).toBeGreaterThan(0);
    expect(printed.join('\n')).toMatch(/CSV 1k×20 → training matrix/);
  });
});
