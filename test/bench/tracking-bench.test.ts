import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/run.js';
import type { TrackingSuiteResult } from '../../bench/tracking/suite.js';

/** Keeps the tracking suite of `npm run bench` from rotting: a few hundred runs instead of 100k. */
describe('npm run bench -- tracking', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-tracking-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes runs through the store, times the searches and reports their plans', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['tracking', '--quick', '--scale', '0.02', '--out', out]);
    log.mockRestore();
    progress.mockRestore();
    expect(code).toBe(0);
    const files = readdirSync(out).filter((f) => /^tracking-.*\.json$/.test(f));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as TrackingSuiteResult;
    expect(result.backends[0]).toMatchObject({ backend: 'sqlite', runs: 200 });
    for (const backend of result.backends) {
      expect(backend.queries.length).toBeGreaterThanOrEqual(8);
      for (const query of backend.queries) {
        expect(query.medianMs, query.id).toBeGreaterThan(0);
        expect(query.returned, query.id).toBeLessThanOrEqual(100);
        expect(['index', 'ordered-scan', 'scan']).toContain(query.plan.access);
        expect(query.plan.lines.length, query.id).toBeGreaterThan(0);
      }
    }
    // The metric sort reads the (key, value, run_id) index on SQLite whatever the table size.
    const sortOnly = result.backends[0].queries.find((q) => q.id === 'sort_only');
    expect(sortOnly?.plan.access).toBe('index');
    expect(printed.join('\n')).toMatch(/Tracking benchmark: run search, page of 100/);
  });
});
