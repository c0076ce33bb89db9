import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../../bench/run.js';
import type { MlSuiteResult } from '../../bench/ml/suite.js';
import { listAlgorithms } from '../../src/ml/index.js';

/**
 * Keeps `npm run bench` from rotting: the ML suite's harness runs end to end on tiny sizes
 * with Keel alone (no Python needed), and its JSON has the shape the reports rely on.
 */
describe('npm run bench -- ml', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every row on tiny data, prints the table and writes the JSON results', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['ml', '--quick', '--keel-only', '--scale', '0.02', '--out', out]);
    log.mockRestore();
    progress.mockRestore();
    expect(code).toBe(0);

    const files = readdirSync(out).filter((f) => /^ml-.*\.json$/.test(f));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as MlSuiteResult;
    expect(result.sklearn).toBeNull();
    expect(result.options).toMatchObject({ quick: true, keelOnly: true, repeats: 1 });
    const ids = result.rows.map((r) => r.id);
    expect(ids).toEqual([
      'random_forest',
      'hist_gradient_boosting',
      'logistic_regression',
      'decision_tree',
      'k_neighbors',
      'decision_tree.growth',
      'random_forest.growth',
      'hist_gradient_boosting.growth',
    ]);
    const algorithms = new Set<string>(listAlgorithms());
    for (const row of result.rows) {
      // Estimators that have not landed yet are reported, not crashed on.
      expect(row.status, `${row.id}: ${row.note ?? ''}`).toBe(algorithms.has(row.estimator) ? 'ok' : 'not_available');
      if (row.status !== 'ok') continue;
      expect(row.keel!.fitSeconds).toBeGreaterThan(0);
      expect(row.sklearn).toBeNull();
      expect(row.fitRatio).toBeNull();
      if (row.kind === 'growth') expect(Number.isFinite(row.keel!.slope)).toBe(true);
      else expect(row.keel!.metric).toBeGreaterThan(row.metric === 'log_loss' ? 0 : 0.5);
    }
    const table = printed.join('\n');
    expect(table).toMatch(/Keel only/);
    expect(table).toMatch(/logistic regression 2k×20, L2, lbfgs/);
  });

  it('parses its options and refuses unknown ones', () => {
    expect(parseArgs([])).toMatchObject({
      suites: ['ml', 'data', 'tracking', 'serving', 'drift'],
      quick: false,
      repeats: 3,
      scale: 1,
    });
    expect(parseArgs(['ml', '--quick', '--only', 'decision_tree,logistic_regression'])).toMatchObject({
      repeats: 1,
      only: ['decision_tree', 'logistic_regression'],
    });
    expect(parseArgs(['--help'])).toBe('help');
    expect(() => parseArgs(['gpu'])).toThrow(/unknown suite gpu/);
    expect(() => parseArgs(['--scale', '0'])).toThrow(/--scale/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option/);
  });
});
