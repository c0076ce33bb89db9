import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, loadProject } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { runProject, type LifecycleOutputs, type PipelineResult } from '../../src/pipelines/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

const bikeProjectDir = resolve('examples/bike-demand');

type Workspace = Awaited<ReturnType<typeof tempWorkspace>>;

/** A copy of the bike project whose keel.yaml can be edited by the test. */
function bikeCopy(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bike-'));
  cpSync(bikeProjectDir, dir, { recursive: true });
  writeFileSync(join(dir, 'keel.yaml'), edit(readFileSync(join(dir, 'keel.yaml'), 'utf8')));
  return dir;
}

/** Only the ridge candidate, for tests about the data steps rather than the models. */
const ridgeOnly = (yaml: string) =>
  yaml.replace(/(- algorithm: ridge\n.*\n)[\s\S]*?\n\nevaluation:/, '$1\nevaluation:');

/** The split step's rows, as the lifecycle stores them: [trainCount, ...train, ...test] (Uint32). */
async function splitRows(ws: Workspace, digest: string): Promise<{ train: Uint32Array; test: Uint32Array }> {
  const bytes = await ws.artifacts.get(digest);
  const all = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { train: all.subarray(1, 1 + all[0]), test: all.subarray(1 + all[0]) };
}

async function columnOf(ws: Workspace, datasetVersionId: string, name: string) {
  const version = await ws.metadata.getDatasetVersionById(datasetVersionId);
  const table = await readTable(await ws.artifacts.localPath(version?.artifact ?? ''), { columns: [name] });
  return table.columns[0].values;
}

describe('the bike-demand lifecycle, end to end', () => {
  let ws: Workspace;
  let first: PipelineResult<LifecycleOutputs>;

  beforeAll(async () => {
    ws = await tempWorkspace();
    first = await runProject(loadProject(bikeProjectDir), ws);
  });
  afterAll(() => ws.dispose());

  it('cleans the imported hours into a derived version and reports what each step touched', async () => {
    expect(first.outputs.import).toMatchObject({ dataset: 'bike-demand', version: 1, rows: 17379 });
    expect(first.outputs.clean).toMatchObject({ dataset: 'bike-demand', version: 2, rows: 17379, created: true });
    expect(first.outputs.clean?.report).toEqual([
      { step: 'drop_duplicates', rows: 0 },
      { step: 'cast', column: 'dateday', rows: 17379, failed: 0 },
      { step: 'repair', column: 'humidity', rows: 22 },
    ]);
    const cleaned = await ws.metadata.getDatasetVersion('bike-demand', 2);
    expect(cleaned?.source).toMatchObject({
      kind: 'derived',
      uri: 'bike-demand@1',
      options: { parent: first.outputs.import.datasetVersionId },
    });
    expect(cleaned?.columns.find((c) => c.name === 'dateday')?.type).toBe('datetime');
    expect(cleaned?.profile.columns.find((c) => c.name === 'humidity')?.missing).toBe(22);
  });

  it('trains on the cleaned version through its feature steps, without the id or the leaking counts', async () => {
    const { steps, excluded } = first.outputs.profile;
    expect(steps).toEqual([
      { name: 'weather', columns: ['temp', 'feelingTemp', 'humidity', 'windspeed'] },
      { name: 'calendar', columns: ['season', 'weathersit', 'weekday', 'hour'] },
      { name: 'date', columns: ['dateday'] },
      { name: 'flags', columns: ['year', 'holiday', 'workingday', 'rush_hour'] },
    ]);
    // `month` is covered by the date parts of dateday.
    expect(excluded).toEqual(['month']);
    const features = JSON.parse(new TextDecoder().decode(await ws.artifacts.get(first.outputs.features.digest))) as {
      featureNames: string[];
    };
    expect(features.featureNames).toEqual(
      expect.arrayContaining(['temp', 'hour=17', 'dateday.month_sin', 'dateday.dayofyear', 'rush_hour']),
    );
    for (const candidate of first.outputs.train.candidates) {
      const run = await ws.metadata.getRun(candidate.runId);
      expect(run?.datasetVersionIds).toEqual([first.outputs.clean?.datasetVersionId]);
    }
  });

  it('splits by time: the latest 20% of the hours are the test set', async () => {
    expect(first.outputs.split).toMatchObject({
      method: 'time',
      column: 'dateday',
      seed: null,
      train: 13903,
      test: 3476,
    });
    const { train, test } = await splitRows(ws, first.outputs.split.digest);
    const dateday = (await columnOf(ws, first.outputs.clean?.datasetVersionId ?? '', 'dateday')) as string[];
    const latestTrain = Array.from(train, (i) => dateday[i]).reduce((a, b) => (b > a ? b : a));
    const earliestTest = Array.from(test, (i) => dateday[i]).reduce((a, b) => (b < a ? b : a));
    expect(earliestTest >= latestTrain).toBe(true);
    expect(latestTrain.startsWith('2012-08')).toBe(true);
    expect(Array.from(test, (i) => dateday[i]).every((d) => d.startsWith('2012-'))).toBe(true);
  });

  it('evaluates every regressor on the later hours; the best explains most of the variance', async () => {
    const { results, metric, best } = first.outputs.evaluate;
    expect(metric).toBe('r2');
    expect(results.map((r) => r.name)).toEqual([
      'ridge',
      'random_forest_regressor',
      'hist_gradient_boosting_regressor',
    ]);
    for (const r of results)
      for (const key of ['mae', 'rmse', 'r2', 'mape']) expect(r.metrics[key]).toBeTypeOf('number');
    const winner = results.find((r) => r.runId === best);
    expect(winner?.metrics.r2).toBeGreaterThan(0.85);
    expect(winner?.metrics.r2).toBe(Math.max(...results.map((r) => r.metrics.r2)));
  });

  it('registers, blesses and deploys the best model', async () => {
    expect(first.outputs.gate).toMatchObject({ model: 'bike-demand', passed: true, champion: 1 });
    expect(first.outputs.deploy).toEqual({ endpoint: 'bike-demand', model: 'bike-demand', version: 1, changed: true });
    const version = await ws.metadata.getModelVersion('bike-demand', 1);
    expect(version?.signature.task).toBe('regression');
    expect(version?.signature.inputs.map((c) => c.name)).not.toContain('casual');
  });

  it('does no work on a second run with nothing changed', async () => {
    const runsBefore = (await ws.metadata.listRuns()).length;
    const again = await runProject(loadProject(bikeProjectDir), ws);
    expect(again.allCached).toBe(true);
    expect(again.steps.map((s) => s.step)).toContain('clean');
    expect(again.steps.every((s) => s.status === 'cached')).toBe(true);
    expect(again.outputs.clean).toEqual(first.outputs.clean);
    expect((await ws.metadata.listRuns()).length).toBe(runsBefore);
    expect(await ws.metadata.listDatasetVersions('bike-demand')).toHaveLength(2);
  });

  it('reruns from the clean step when the cleaning steps change', async () => {
    const dir = bikeCopy((y) =>
      ridgeOnly(y).replace('cleaning:\n', 'cleaning:\n  - step: drop_rows\n    where: weathersit = 4\n'),
    );
    const events: string[] = [];
    const result = await runProject(loadProject(dir), ws, {
      onEvent: (e) => {
        if (e.type === 'cached' || e.type === 'done') events.push(`${e.step}:${e.type}`);
      },
    });
    expect(events.slice(0, 3)).toEqual(['import:cached', 'clean:done', 'profile:done']);
    expect(result.outputs.clean?.report[0]).toEqual({ step: 'drop_rows', rows: 3 });
    expect(result.outputs.clean).toMatchObject({ version: 3, rows: 17376 });
  });
});

describe('bike-demand with other splits and bad settings', () => {
  it('a group split keeps each day on one side', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = bikeCopy((y) =>
        ridgeOnly(y)
          .replace('method: time\n  timeColumn: dateday', 'method: group\n  groupColumn: dateday\n  seed: 7')
          .replace('r2: { min: 0.8 }', 'r2: { min: 0.5 }'),
      );
      const result = await runProject(loadProject(dir), ws);
      expect(result.outputs.split).toMatchObject({ method: 'group', column: 'dateday', seed: 7 });
      expect(Math.abs(result.outputs.split.test - 0.2 * 17379)).toBeLessThan(24);
      const { train, test } = await splitRows(ws, result.outputs.split.digest);
      const dateday = (await columnOf(ws, result.outputs.clean?.datasetVersionId ?? '', 'dateday')) as string[];
      const trainDays = new Set(Array.from(train, (i) => dateday[i]));
      expect(Array.from(test, (i) => dateday[i]).filter((d) => trainDays.has(d))).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('names a split column that is not in the data, before any model is trained', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = bikeCopy((y) => y.replace('timeColumn: dateday', 'timeColumn: datedy'));
      const error = (await runProject(loadProject(dir), ws).catch((e: unknown) => e)) as KeelError;
      expect(error).toBeInstanceOf(KeelError);
      expect(error.details.field).toBe('split.timeColumn');
      expect(error.message).toMatch(/step "split" failed: .*keel\.yaml: split\.timeColumn: no column "datedy"/);
      expect(await ws.metadata.listRuns()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('refuses a time split without its column, and a column without its method, before running', async () => {
    const ws = await tempWorkspace();
    try {
      const noColumn = bikeCopy((y) => y.replace('  timeColumn: dateday\n', ''));
      const error = (await runProject(loadProject(noColumn), ws).catch((e: unknown) => e)) as KeelError;
      expect(error.details.field).toBe('split.timeColumn');
      expect(error.message).toContain('split.timeColumn: is required when split.method is time');
      const stray = bikeCopy((y) => y.replace('method: time', 'method: random'));
      const strayError = (await runProject(loadProject(stray), ws).catch((e: unknown) => e)) as KeelError;
      expect(strayError.details.field).toBe('split.timeColumn');
      expect(await ws.metadata.listPipelineRuns()).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('names the cleaning step whose SQL DuckDB rejects, and stores no cleaned version', async () => {
    const ws = await tempWorkspace();
    try {
      const dir = bikeCopy((y) => y.replace('where: humidity = 0', 'where: humidty = 0'));
      const error = (await runProject(loadProject(dir), ws).catch((e: unknown) => e)) as KeelError;
      expect(error.details.field).toBe('cleaning[2].where');
      expect(error.message).toMatch(
        /step "clean" failed: .*keel\.yaml: cleaning\[2\]\.where: Referenced column "humidty" not found/,
      );
      expect(await ws.metadata.listDatasetVersions('bike-demand')).toHaveLength(1);
    } finally {
      await ws.dispose();
    }
  });
});
