import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/run.js';
import type { ServingSuiteResult } from '../../bench/serving/suite.js';

/**
 * Keeps the serving suite of `npm run bench` from rotting: one-second wrk runs against the
 * built `keel server` and the bare node:http server, and tree predictors fitted on a few hundred
 * rows against onnxruntime-node. It checks the harness and the JSON, not the numbers.
 */
describe('npm run bench -- serving', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-serving-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("loads both servers, measures latency at half load and monitoring's cost, and times the tree predictors", async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['serving', '--quick', '--scale', '0.1', '--out', out]);
    log.mockRestore();
    progress.mockRestore();
    expect(code).toBe(0);
    const files = readdirSync(out).filter((f) => /^serving-.*\.json$/.test(f));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as ServingSuiteResult;
    expect(result.loadGenerator).toMatchObject({ tool: 'wrk', threads: 1, pipelining: false, seconds: 1 });
    expect(result.throughput.runs.keel).toHaveLength(1);
    expect(result.throughput.runs.bare).toHaveLength(1);
    expect(result.throughput.keelRps).toBeGreaterThan(0);
    expect(result.throughput.bareRps).toBeGreaterThan(0);
    expect(result.latency.achievedRps).toBeGreaterThan(0);
    expect(result.latency.p99Ms).toBeGreaterThanOrEqual(result.latency.p50Ms);
    // Monitoring's cost: the same load on a server without it, one run each with --quick.
    expect(result.monitoring.runs.on).toHaveLength(1);
    expect(result.monitoring.runs.off).toHaveLength(1);
    expect(result.monitoring.offP50Ms).toBeGreaterThan(0);
    expect(result.monitoring.overhead).toBeCloseTo(result.monitoring.onP50Ms / result.monitoring.offP50Ms - 1, 12);
    expect(result.trees.map((r) => `${r.id}@${r.batch}`)).toEqual([
      'random_forest@1',
      'random_forest@1024',
      'hist_gradient_boosting@1',
      'hist_gradient_boosting@1024',
    ]);
    for (const row of result.trees) {
      expect(row.keelUsPerRow).toBeGreaterThan(0);
      expect(row.onnxUsPerRow).toBeGreaterThan(0);
      // Both sides predicted the same probabilities (float32 tree outputs in ONNX Runtime).
      expect(row.maxAbsDiff).toBeLessThan(1e-6);
    }
    expect(printed.join('\n')).toMatch(/single-row predict over HTTP \(churn\), req\/s/);
  }, 120_000);
});
