import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, loadProject } from '../../src/core/index.js';
import { runProject, type LifecycleOutputs, type PipelineResult } from '../../src/pipelines/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** A copy of the churn project whose keel.yaml can be edited by the test. */
function churnCopy(edit: (yaml: string) => string = (y) => y): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-churn-'));
  cpSync(churnProjectDir, dir, { recursive: true });
  writeFileSync(join(dir, 'keel.yaml'), edit(readFileSync(join(dir, 'keel.yaml'), 'utf8')));
  return dir;
}

describe('the churn lifecycle, end to end', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let first: PipelineResult<LifecycleOutputs>;

  beforeAll(async () => {
    ws = await tempWorkspace();
    first = await runProject(loadProject(churnProjectDir), ws);
  });
  afterAll(() => ws.dispose());

  it('imports the CSV as a dataset version, blanks in TotalCharges read as missing', async () => {
    expect(first.outputs.import).toMatchObject({ dataset: 'telco-churn', version: 1, rows: 7043, created: true });
    const version = await ws.metadata.getDatasetVersion('telco-churn', 1);
    const totalCharges = version?.profile.columns.find((c) => c.name === 'TotalCharges');
    expect(totalCharges).toMatchObject({ missing: 11 });
    expect(['float', 'integer']).toContain(totalCharges?.type);
  });

  it('uses every column but the id and the target as features', () => {
    const [numeric, categorical] = first.outputs.profile.steps;
    expect([numeric.name, categorical.name]).toEqual(['numeric', 'categorical']);
    expect([...numeric.columns, ...categorical.columns].sort()).toEqual(
      [
        'gender',
        'SeniorCitizen',
        'Partner',
        'Dependents',
        'tenure',
        'PhoneService',
        'MultipleLines',
        'InternetService',
        'OnlineSecurity',
        'OnlineBackup',
        'DeviceProtection',
        'TechSupport',
        'StreamingTV',
        'StreamingMovies',
        'Contract',
        'PaperlessBilling',
        'PaymentMethod',
        'MonthlyCharges',
        'TotalCharges',
      ].sort(),
    );
    expect(numeric.columns).toEqual(expect.arrayContaining(['tenure', 'MonthlyCharges', 'TotalCharges']));
  });

  it('splits 80/20, stratified and seeded', () => {
    expect(first.outputs.split).toMatchObject({ method: 'stratified', train: 5634, test: 1409, seed: 42 });
  });

  it('trains and evaluates both candidates as tracked runs with real metrics', async () => {
    const { results } = first.outputs.evaluate;
    expect(results.map((r) => r.name)).toEqual(['logistic_regression', 'decision_tree']);
    const lr = results[0].metrics;
    expect(lr.roc_auc).toBeGreaterThan(0.83);
    expect(lr.roc_auc).toBeLessThan(0.87);
    expect(lr.accuracy).toBeGreaterThan(0.78);
    for (const r of results) {
      const run = await ws.metadata.getRun(r.runId);
      expect(run).toMatchObject({ status: 'finished', experiment: 'churn', pipelineRunId: first.run.id });
      expect(run?.params.algorithm).toBe(r.name);
      expect(run?.datasetVersionIds).toEqual([first.outputs.import.datasetVersionId]);
      for (const key of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'])
        expect(run?.metrics[key]).toBeTypeOf('number');
      expect(run?.artifacts.map((a) => a.path)).toEqual(
        expect.arrayContaining(['model/estimator.json', 'evaluation/report.json']),
      );
    }
  });

  it('registers the best, blesses it at the gate, makes it champion and deploys it', async () => {
    const { register, gate, deploy } = first.outputs;
    expect(register).toMatchObject({ model: 'churn', version: 1, runId: first.outputs.evaluate.best });
    expect(gate).toMatchObject({ passed: true, champion: 1 });
    const model = await ws.metadata.getRegisteredModel('churn');
    expect(model?.aliases).toEqual({ champion: 1 });
    const version = await ws.metadata.getModelVersion('churn', 1);
    expect(version?.tags['gate.passed']).toBe('true');
    expect(version?.signature.inputs).toHaveLength(19);
    expect(version?.signature.classes).toEqual(['No', 'Yes']);
    expect(deploy).toEqual({ endpoint: 'churn', model: 'churn', version: 1, changed: true });
    const endpoint = await ws.metadata.getEndpoint('churn');
    expect(endpoint?.policy.routes).toEqual([{ model: 'churn', version: 1, percent: 100, variant: 'primary' }]);
  });

  it('does no work on a second run with nothing changed', async () => {
    const runsBefore = (await ws.metadata.listRuns()).length;
    const again = await runProject(loadProject(churnProjectDir), ws);
    expect(again.allCached).toBe(true);
    expect(again.steps.every((s) => s.status === 'cached')).toBe(true);
    expect((await ws.metadata.listRuns()).length).toBe(runsBefore);
    expect((await ws.metadata.getRegisteredModel('churn'))?.latestVersion).toBe(1);
  });

  it('reruns from the first changed step when the project file changes', async () => {
    const dir = churnCopy((y) => y.replace('maxDepth: 6', 'maxDepth: 4'));
    const events: string[] = [];
    const result = await runProject(loadProject(dir), ws, {
      onEvent: (e) => {
        if (e.type === 'cached' || e.type === 'done') events.push(`${e.step}:${e.type}`);
      },
    });
    expect(events.slice(0, 5)).toEqual([
      'import:cached',
      'profile:cached',
      'validate:cached',
      'split:cached',
      'features:cached',
    ]);
    expect(events).toContain('train:done');
    expect(result.outputs.register.version).toBe(2);
  });
});

describe('hyperparameter search in the train step', () => {
  const withSearch = (search: string) =>
    churnCopy((y) =>
      y.replace(
        'params: { maxDepth: 6, minSamplesLeaf: 20 }',
        `params: { minSamplesLeaf: 20 }\n      search:\n${search}`,
      ),
    );

  it('cross-validates the space, refits the best setting and records each trial as a nested run', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = withSearch('        method: grid\n        cv: 3\n        space:\n          maxDepth: [2, 5]');
      const result = await runProject(loadProject(dir), ws);
      const tree = result.outputs.train.candidates.find((c) => c.name === 'decision_tree');
      const run = await ws.metadata.getRun(tree?.runId ?? '');
      expect(run?.params).toMatchObject({ algorithm: 'decision_tree', 'search.method': 'grid', minSamplesLeaf: 20 });
      expect([2, 5]).toContain(run?.params.maxDepth);
      expect(run?.metrics.cv_roc_auc).toBeGreaterThan(0.75);
      expect(run?.metrics.search_trials).toBe(2);
      const trials = (await ws.metadata.listRuns()).filter((r) => r.parentRunId === run?.id);
      expect(trials.map((t) => t.params.maxDepth).sort()).toEqual([2, 5]);
      const best = trials.find((t) => t.metrics.rank === 1);
      expect(best?.params.maxDepth).toBe(run?.params.maxDepth);
      expect(best?.metrics.cv_roc_auc).toBeCloseTo(run?.metrics.cv_roc_auc ?? NaN, 12);
    } finally {
      await ws.dispose();
    }
  });

  it('rejects a bad search before running, naming the key', async () => {
    const ws = await tempWorkspace();
    try {
      const grid = withSearch(
        '        method: grid\n        space:\n          maxDepth: { distribution: randint, low: 2, high: 9 }',
      );
      const gridError = (await runProject(loadProject(grid), ws).catch((e: unknown) => e)) as KeelError;
      expect(gridError.details.field).toBe('training.candidates[1].search.space');
      expect(gridError.message).toContain('grid search takes lists of values');
      const unknownParam = withSearch('        method: random\n        space:\n          depth: [2, 4]');
      const paramError = (await runProject(loadProject(unknownParam), ws).catch((e: unknown) => e)) as KeelError;
      expect(paramError.details.field).toBe('training.candidates[1].search.space.depth');
      expect(paramError.message).toMatch(/decision_tree has no param "depth"; it has .*maxDepth/);
      expect(await ws.metadata.listPipelineRuns()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });
});

describe('the lifecycle refuses bad input cleanly', () => {
  it('names a missing data file and writes nothing', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = churnCopy((y) => y.replace('path: telco_churn.csv', 'path: missing.csv'));
      const error = await runProject(loadProject(dir), ws).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeelError);
      expect((error as KeelError).message).toMatch(/step "import" failed: .*missing\.csv/);
      expect(await ws.metadata.listDatasets()).toEqual([]);
      expect(await ws.metadata.listRegisteredModels()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('checks every candidate against the ML registry before running anything', async () => {
    const ws = await tempWorkspace();
    try {
      const unknown = churnCopy((y) => y.replace('- algorithm: decision_tree', '- algorithm: deep_magic'));
      const error = (await runProject(loadProject(unknown), ws).catch((e: unknown) => e)) as KeelError;
      expect(error.details.field).toBe('training.candidates[1].algorithm');
      expect(error.message).toMatch(/unknown algorithm "deep_magic"; Keel has .*logistic_regression/);
      const badParam = churnCopy((y) => y.replace('maxDepth: 6', 'maxDepht: 6'));
      const paramError = (await runProject(loadProject(badParam), ws).catch((e: unknown) => e)) as KeelError;
      expect(paramError.details.field).toBe('training.candidates[1].params.maxDepht');
      const regressor = churnCopy((y) =>
        y.replace('- algorithm: decision_tree', '- algorithm: decision_tree_regressor'),
      );
      const kindError = (await runProject(loadProject(regressor), ws).catch((e: unknown) => e)) as KeelError;
      expect(kindError.message).toContain(
        'decision_tree_regressor is not a classifier, but the task is binary_classification',
      );
      expect(await ws.metadata.listPipelineRuns()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('stops at validation when the target column is absent', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = churnCopy((y) => y.replace('target: Churn', 'target: Cancelled'));
      const error = await runProject(loadProject(dir), ws).catch((e: unknown) => e);
      expect((error as KeelError).message).toContain('the target column "Cancelled" is not in dataset telco-churn v1');
      expect(await ws.metadata.listRegisteredModels()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });
});
