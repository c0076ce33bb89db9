import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, packageRoot, type Run } from '../../src/core/index.js';
import { compareRuns, gitCommitOf, searchRuns, Tracker } from '../../src/tracking/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

describe('Tracker', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let tracker: Tracker;
  const notGit = mkdtempSync(join(tmpdir(), 'keel-not-git-'));
  beforeAll(async () => {
    ws = await tempWorkspace();
    tracker = new Tracker(ws, '9.9.9');
  });
  afterAll(async () => {
    await ws.dispose();
    rmSync(notGit, { recursive: true, force: true });
  });

  it('logs params, metric series, tags and a note, and ends the run with its duration', async () => {
    const run = await tracker.startRun({ experiment: 'logging', name: 'lr', note: 'first' });
    await run.logParam('C', 0.5);
    await run.logParams({ penalty: 'l2' });
    for (const [step, loss] of [0.9, 0.5, 0.3].entries()) await run.logMetric('loss', loss, step);
    await run.logMetrics({ auc: 0.8, skipped: Number.NaN });
    await run.setTag('stage', 'dev');
    await run.setNote('baseline with default features');
    const ended = await run.end();

    expect(ended).toMatchObject({
      status: 'finished',
      note: 'baseline with default features',
      params: { C: 0.5, penalty: 'l2' },
      metrics: { loss: 0.3, auc: 0.8 },
      metricPoints: { loss: 3, auc: 1 },
      tags: { stage: 'dev', 'keel.version': '9.9.9', 'env.node': process.version },
    });
    expect(ended.durationMs).toBeGreaterThanOrEqual(0);
    expect((await run.getMetricHistory('loss')).map((p) => [p.step, p.value])).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, 0.3],
    ]);
    expect(await tracker.getMetricHistory(run.id, 'loss')).toHaveLength(3);
    expect((await tracker.getRun(run.id))?.id).toBe(run.id);
  });

  it('records the config hash and the git commit of the project folder', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot, encoding: 'utf8' }).trim();
    const run = await tracker.startRun({
      experiment: 'source',
      name: 'in git',
      source: { configHash: 'ab'.repeat(32), dir: packageRoot },
    });
    expect(run.source).toEqual({ configHash: 'ab'.repeat(32), gitCommit: head });
    expect((await tracker.getRun(run.id))?.source).toEqual({ configHash: 'ab'.repeat(32), gitCommit: head });
  });

  it('records no commit outside a git checkout, or for a folder that does not exist, and does not fail', async () => {
    expect(await gitCommitOf(notGit)).toBeNull();
    expect(await gitCommitOf(join(notGit, 'missing'))).toBeNull();
    const run = await tracker.startRun({ experiment: 'source', name: 'no git', source: { dir: notGit } });
    expect((await tracker.getRun(run.id))?.source).toEqual({ configHash: null, gitCommit: null });
    const given = await tracker.startRun({
      experiment: 'source',
      name: 'given',
      source: { gitCommit: 'c'.repeat(40) },
    });
    expect(given.source?.gitCommit).toBe('c'.repeat(40));
    expect(tracker.resume(given.id).source).toBeNull();
  });

  it('searches runs with a filter and sort keys written as text', async () => {
    for (const [name, auc] of [
      ['a', 0.7],
      ['b', 0.9],
      ['c', 0.8],
    ] as const) {
      const run = await tracker.startRun({
        experiment: 'search',
        name,
        params: { algorithm: name === 'a' ? 'lr' : 'rf' },
      });
      await run.logMetric('auc', auc);
    }
    const page = await searchRuns(ws.metadata, {
      experiment: 'search',
      filter: "params.algorithm = 'rf'",
      orderBy: 'metrics.auc DESC',
      limit: 1,
    });
    expect(page.runs.map((r) => r.name)).toEqual(['b']);
    const next = await tracker.searchRuns({
      experiment: 'search',
      filter: "params.algorithm = 'rf'",
      orderBy: 'metrics.auc DESC',
      limit: 1,
      pageToken: page.nextPageToken!,
    });
    expect(next.runs.map((r) => r.name)).toEqual(['c']);
    await expect(searchRuns(ws.metadata, { filter: 'metric.auc > 1' })).rejects.toThrow(KeelError);
  });
});

describe('compareRuns', () => {
  const run = (name: string, params: Run['params'], metrics: Run['metrics']): Run => ({
    id: `run_${name}`,
    experiment: 'e',
    name,
    status: 'finished',
    parentRunId: null,
    pipelineRunId: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1_000,
    note: '',
    source: { configHash: null, gitCommit: null },
    params,
    metrics,
    metricPoints: {},
    tags: {},
    datasetVersionIds: [],
    artifacts: [],
  });

  it('lines up params and metrics, null where a run lacks one, and lists what differs', () => {
    const comparison = compareRuns([
      run('lr', { algorithm: 'lr', C: 1 }, { auc: 0.8, loss: Number.NaN }),
      run('tree', { algorithm: 'tree', maxDepth: 5 }, { auc: 0.8, loss: Number.NaN }),
    ]);
    expect(comparison).toEqual({
      runs: [
        { id: 'run_lr', name: 'lr', experiment: 'e', status: 'finished', durationMs: 1_000 },
        { id: 'run_tree', name: 'tree', experiment: 'e', status: 'finished', durationMs: 1_000 },
      ],
      params: { C: [1, null], algorithm: ['lr', 'tree'], maxDepth: [null, 5] },
      metrics: { auc: [0.8, 0.8], loss: [Number.NaN, Number.NaN] },
      differing: ['params.C', 'params.algorithm', 'params.maxDepth'],
    });
  });
});
