import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keel, keelBinary, keelJson } from '../helpers/keel-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceConfig } from '../../src/core/index.js';
import { openWorkspace } from '../../src/server/index.js';

interface RunJson {
  id: string;
  name: string;
  metrics: Record<string, number>;
}

describe('keel runs', () => {
  let home: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-cli-runs-'));
    // The runs a project's training would leave: a search with two trials, and a plain candidate.
    const ws = await openWorkspace(workspaceConfig({ KEEL_HOME: home }));
    try {
      const dataset = await ws.metadata.createDatasetVersion({
        dataset: 'telco',
        contentHash: 'sha256:content',
        artifact: 'sha256:parquet',
        source: { kind: 'csv', uri: 'telco.csv' },
        rows: 10,
        columns: [],
        schema: { columns: [] },
        profile: { rows: 10, columns: [] },
      });
      const common = { experiment: 'churn', datasetVersionIds: [dataset.id] };
      const forest = await ws.tracker.startRun({
        ...common,
        name: 'random_forest',
        params: { algorithm: 'random_forest', maxDepth: 8 },
        source: { configHash: 'f'.repeat(64), gitCommit: 'a'.repeat(40) },
      });
      for (const [step, loss] of [0.6, 0.45, 0.4].entries()) await forest.logMetric('loss', loss, step);
      await forest.logMetrics({ roc_auc: 0.86, accuracy: 0.8 });
      await forest.setNote('deeper trees than last week');
      await forest.logArtifact('model/estimator.json', '{}');
      await forest.end();
      for (const [i, depth] of [4, 8].entries()) {
        const trial = await ws.tracker.startRun({
          ...common,
          name: `random_forest trial ${i + 1}`,
          parentRunId: forest.id,
          params: { maxDepth: depth },
        });
        await trial.logMetric('cv_roc_auc', 0.8 + i / 100);
        await trial.end();
      }
      const logistic = await ws.tracker.startRun({
        ...common,
        name: 'logistic_regression',
        params: { algorithm: 'logistic_regression', C: 1 },
      });
      await logistic.logMetrics({ roc_auc: 0.84, accuracy: 0.8 });
      await logistic.end();
      Object.assign(ids, { forest: forest.id, logistic: logistic.id });
    } finally {
      await ws.close();
    }
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('has help for every runs command', async () => {
    for (const command of ['list', 'show', 'compare']) {
      const help = await keel(home, 'runs', command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(/^Usage: keel runs /);
    }
    expect((await keel(home, 'runs', 'list', '--help')).stdout).toContain('--filter <expression>');
  });

  it('lists the runs a filter selects, in the order asked, as a table and as JSON', async () => {
    const args = ['runs', 'list', '--filter', "metrics.roc_auc > 0.8 and params.algorithm LIKE '%_r%'"];
    const listed = await keelJson<{ runs: RunJson[]; nextPageToken: string | null }>(
      home,
      ...args,
      '--order-by',
      'metrics.roc_auc DESC',
    );
    expect(listed.runs.map((r) => r.name)).toEqual(['random_forest', 'logistic_regression']);
    expect(listed.nextPageToken).toBeNull();

    const table = await keel(
      home,
      'runs',
      'list',
      '--filter',
      'metrics.cv_roc_auc > 0',
      '--order-by',
      'metrics.cv_roc_auc',
    );
    expect(table.code).toBe(0);
    const [header, , ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^RUN\s+EXPERIMENT\s+NAME\s+STATUS\s+CV_ROC_AUC\s+DURATION\s+STARTED$/);
    expect(rows.map((row) => row.split(/\s{2,}/)[2])).toEqual(['random_forest trial 1', 'random_forest trial 2']);
    expect(rows[0]).toContain('0.8000');
  });

  it('pages with --limit and --page-token', async () => {
    const first = await keel(home, 'runs', 'list', '--experiment', 'churn', '--limit', '3');
    const token = /--page-token (\S+)/.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    const rest = await keelJson<{ runs: RunJson[] }>(
      home,
      'runs',
      'list',
      '--experiment',
      'churn',
      '--limit',
      '3',
      '--page-token',
      token!,
    );
    expect(rest.runs.map((r) => r.name)).toEqual(['random_forest']);
  });

  it('refuses a malformed filter in one line naming the column', async () => {
    const result = await keel(home, 'runs', 'list', '--filter', 'metric.auc > 0.8');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'keel: filter: unknown field "metric.auc" at column 1; use metrics.NAME, params.NAME, tags.NAME or attributes.NAME\n',
    );
    const order = await keel(home, 'runs', 'list', '--order-by', 'metrics.auc upward');
    expect(order.stderr.trim().split('\n')).toHaveLength(1);
    expect(order.stderr).toContain(
      'orderBy: expected ASC, DESC, a comma or the end of the sort keys, found "upward" at column 13',
    );
  });

  it('shows everything about a run', async () => {
    const shown = await keel(home, 'runs', 'show', ids.forest);
    expect(shown.code).toBe(0);
    const text = shown.stdout;
    expect(text).toMatch(/^run\s+run_/);
    expect(text).toMatch(/note\s+deeper trees than last week/);
    expect(text).toContain(`source       config sha256 ${'f'.repeat(64)}, git ${'a'.repeat(40)}`);
    expect(text).toMatch(
      /children\s+2: run_\S+ \(random_forest trial 2, finished\), run_\S+ \(random_forest trial 1, finished\)/,
    );
    expect(text).toMatch(/datasets\s+telco@1 \(dsv_/);
    expect(text).toMatch(/environment\s+keel \d+\.\d+\.\d+ · node v\d+/);
    expect(text).toMatch(/^loss\s+0\.4000\s+3$/m);
    expect(text).toMatch(/^maxDepth\s+8$/m);
    expect(text).toMatch(/^model\/estimator\.json\s+2 B\s+sha256:/m);

    const json = await keelJson<{
      run: RunJson & { note: string; metricPoints: Record<string, number>; durationMs: number };
      parent: null;
      children: RunJson[];
      datasets: Array<{ dataset: string; version: number }>;
      environment: Record<string, string>;
    }>(home, 'runs', 'show', ids.forest);
    expect(json.run).toMatchObject({ note: 'deeper trees than last week', metricPoints: { loss: 3, roc_auc: 1 } });
    expect(json.run.durationMs).toBeGreaterThanOrEqual(0);
    expect(json.parent).toBeNull();
    expect(json.children.map((c) => c.name)).toEqual(['random_forest trial 2', 'random_forest trial 1']);
    expect(json.datasets).toEqual([expect.objectContaining({ dataset: 'telco', version: 1 })]);
    expect(json.environment).toMatchObject({ node: process.version });

    const trial = await keelJson<{ parent: { id: string } }>(home, 'runs', 'show', json.children[0].id);
    expect(trial.parent.id).toBe(ids.forest);
    const missing = await keel(home, 'runs', 'show', 'run_missing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('keel: no run with id "run_missing" (see `keel runs list`)\n');
  });

  it('compares runs side by side, marking what differs', async () => {
    const compared = await keel(home, 'runs', 'compare', ids.forest, ids.logistic);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(/^\*\s+algorithm\s+random_forest\s+logistic_regression$/m);
    expect(compared.stdout).toMatch(/^\*\s+C\s+–\s+1$/m);
    expect(compared.stdout).toMatch(/^\s+accuracy\s+0\.8000\s+0\.8000$/m);
    expect(compared.stdout).toMatch(/^\*\s+roc_auc\s+0\.8600\s+0\.8400$/m);

    const json = await keelJson<{
      runs: Array<{ id: string }>;
      params: Record<string, unknown[]>;
      metrics: Record<string, unknown[]>;
      differing: string[];
    }>(home, 'runs', 'compare', ids.forest, ids.logistic);
    expect(json.runs.map((r) => r.id)).toEqual([ids.forest, ids.logistic]);
    expect(json.params).toEqual({
      C: [null, 1],
      algorithm: ['random_forest', 'logistic_regression'],
      maxDepth: [8, null],
    });
    expect(json.metrics.roc_auc).toEqual([0.86, 0.84]);
    expect(json.differing).toEqual([
      'params.C',
      'params.algorithm',
      'params.maxDepth',
      'metrics.loss',
      'metrics.roc_auc',
    ]);

    const one = await keel(home, 'runs', 'compare', ids.forest);
    expect(one).toMatchObject({ code: 1, stderr: 'keel: runs compare needs at least two run ids.\n' });
    const unknown = await keel(home, 'runs', 'compare', ids.forest, 'run_nope');
    expect(unknown.stderr).toBe('keel: no run with id "run_nope" (see `keel runs list`)\n');
  });
});
