import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvaluationReport, loadProject } from '../../src/core/index.js';
import { runProject, type LifecycleOutputs, type PipelineResult } from '../../src/pipelines/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** A copy of the churn project whose keel.yaml can be edited by the test. */
function churnCopy(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-churn-'));
  cpSync(churnProjectDir, dir, { recursive: true });
  writeFileSync(join(dir, 'keel.yaml'), edit(readFileSync(join(dir, 'keel.yaml'), 'utf8')));
  return dir;
}

describe('evaluation reports, the gate and model cards in the churn lifecycle', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let first: PipelineResult<LifecycleOutputs>;

  beforeAll(async () => {
    ws = await tempWorkspace();
    first = await runProject(loadProject(churnProjectDir), ws);
  });
  afterAll(() => ws.dispose());

  it("stores each candidate's evaluation report on its run, sliced by the project's columns", async () => {
    for (const result of first.outputs.evaluate.results) {
      const run = await ws.metadata.getRun(result.runId);
      const entry = run?.artifacts.find((a) => a.path === 'evaluation/report.json');
      expect(entry?.digest).toBe(result.report);
      const report = decodeEvaluationReport(await ws.artifacts.get(result.report));
      expect(report.rows).toBe(first.outputs.split.test);
      expect(report.split).toEqual({ method: 'stratified', trainRows: 5634, testRows: 1409, seed: 42 });
      expect(report.slices.columns.map((c) => c.column)).toEqual([
        'Contract',
        'gender',
        'SeniorCitizen',
        'InternetService',
        'tenure',
      ]);
      expect(report.metrics.roc_auc).toBeCloseTo(result.metrics.roc_auc, 12);
      expect(report.slices.worst.length).toBeGreaterThan(0);
      expect(report.largestErrors.rows[0].id).toMatch(/^\d{4}-[A-Z]{5}$/);
      expect(report.classification?.curves?.roc.length).toBeGreaterThan(10);
    }
  });

  it('records the gate decision with the measured predict latency, and blesses the champion', async () => {
    const version = await ws.registry.resolve('churn@champion');
    expect(version.version).toBe(1);
    const { blessing } = version;
    expect(blessing).toMatchObject({ passed: true, alias: 'champion', champion: null, actor: 'keel run' });
    expect(blessing?.latencyMs?.rows).toBe(200);
    expect(blessing?.latencyMs?.p99).toBeGreaterThan(0);
    expect(blessing?.latencyMs?.p50).toBeLessThanOrEqual(blessing?.latencyMs?.p99 ?? 0);
    expect(blessing?.checks.map((c) => [c.kind, c.name])).toEqual([
      ['threshold', 'roc_auc'],
      ['threshold', 'accuracy'],
      ['threshold', 'recall'],
      ['latency', 'p99'],
      ['champion', 'roc_auc'],
    ]);
    expect(first.outputs.gate.latencyMs).toEqual(blessing?.latencyMs);
    expect(version.tags['gate.passed']).toBe('true');
  });

  it('stores a model card stating the intended use, the data, the test metrics, the slices and the gate decision', async () => {
    const version = await ws.registry.resolve('churn@1');
    const stored = await ws.registry.readCard(version);
    const card = stored?.card;
    expect(card?.intendedUse?.decision).toBe(
      'Each Monday, retention calls the 500 customers with the highest churn probability.',
    );
    expect(card?.trainingData).toMatchObject({ dataset: 'telco-churn', version: 1, rows: 7043, dateRanges: [] });
    expect(card?.evaluation?.metrics.roc_auc).toBeCloseTo(version.metrics.roc_auc, 12);
    expect(card?.evaluation?.slices.some((s) => s.column === 'Contract' && s.label === 'Two year')).toBe(true);
    expect(card?.gate?.passed).toBe(true);
    expect(card?.model.aliases).toEqual(['champion']);
    const worst = card?.evaluation?.worstSlices[0];
    expect(card?.limitations).toContain(
      `roc_auc is ${Number(worst?.value.toPrecision(4))} on ${worst?.column} = ${worst?.label} (${worst?.rows} test rows), ` +
        `against ${Number(worst?.overall.toPrecision(4))} overall.`,
    );
    expect(stored?.markdown).toMatch(/## Gate decision\n\nBlessed for @champion by keel run/);
  });

  it('promotes only a blessed version: a slower candidate is registered but the champion stays', async () => {
    // Retrained (another tree depth), so a new version meets a stricter latency bound.
    const strict = churnCopy((y) =>
      y.replace('maxDepth: 6', 'maxDepth: 5').replace('maxLatencyMs: { p99: 20 }', 'maxLatencyMs: { p99: 0.0001 }'),
    );
    const second = await runProject(loadProject(strict), ws);
    expect(second.outputs.register.version).toBe(2);
    expect(second.outputs.gate).toMatchObject({ passed: false, candidate: 2, champion: 1 });
    expect(second.outputs.deploy).toMatchObject({ version: 1, changed: false });
    const refused = await ws.registry.resolve('churn@2');
    expect(refused.blessing?.passed).toBe(false);
    expect(refused.blessing?.checks.find((c) => !c.passed)?.reason).toMatch(
      /^p99 latency .* ms is above the maximum 0\.0001 ms$/,
    );
    expect((await ws.registry.resolve('churn@champion')).version).toBe(1);
    expect((await ws.registry.readCard(refused))?.card.limitations.join('\n')).toContain(
      'The gate did not bless this version: p99 latency',
    );
  });

  it('follows the dataset version down to every run, both model versions and the endpoint', async () => {
    const dataset = await ws.metadata.getDatasetVersion('telco-churn', 1);
    if (!dataset) throw new Error('the dataset version is missing');
    const lineage = await ws.registry.datasetLineage(dataset);
    const kinds = lineage.nodes.map((n) => n.kind);
    expect(kinds.filter((k) => k === 'run').length).toBeGreaterThanOrEqual(2);
    expect(
      lineage.nodes
        .filter((n) => n.kind === 'model_version')
        .map((n) => n.id)
        .sort(),
    ).toEqual(['model_version:churn@1', 'model_version:churn@2']);
    expect(lineage.edges).toContainEqual({ from: 'model_version:churn@1', to: 'endpoint:churn', relation: 'served' });
  });
});
