import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/run.js';
import type { DriftSuiteResult } from '../../bench/drift/suite.js';

/** Keeps the drift suite of `npm run bench` from rotting: it runs on tiny data with Keel alone. */
describe('npm run bench -- drift', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-drift-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the data, computes PSI + KS per column and reports the timing', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['drift', '--quick', '--keel-only', '--scale', '0.01', '--out', out]);
    log.mockRestore();
    progress.mockRestore();
    expect(code).toBe(0);
    const files = readdirSync(out).filter((f) => /^drift-.*\.json$/.test(f));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as DriftSuiteResult;
    expect(result.scipy).toBeNull();
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ id: 'psi_ks_20_columns', rows: 1000, cols: 20, scipySeconds: null });
    expect(result.rows[0].keelSeconds).toBeGreaterThan(0);
    expect(printed.join('\n')).toMatch(/PSI \+ KS, 20 columns, 1k vs 1k rows/);
  });
});
