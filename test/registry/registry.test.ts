import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, loadProject, type Blessing, type DatasetVersion, type ModelVersion } from '../../src/core/index.js';
import { intendedUseOf, type Registry } from '../../src/registry/index.js';
import { deployDirect } from '../../src/serving/index.js';
import type { NewDatasetVersion } from '../../src/store/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { tinyPackage } from './helpers.js';

type Ws = Awaited<ReturnType<typeof tempWorkspace>>;

async function keelError(action: Promise<unknown>, code: string): Promise<KeelError> {
  const outcome = await action.then(
    () => new Error(`expected a "${code}" KeelError, but the call succeeded`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(KeelError);
  expect((outcome as KeelError).code).toBe(code);
  return outcome as KeelError;
}

function blessing(passed: boolean, failing: string[] = []): Blessing {
  const checks = [
    { kind: 'threshold' as const, name: 'roc_auc', value: 0.84, passed: true, reason: 'roc_auc = 0.84 meets min 0.8' },
    ...failing.map((reason) => ({ kind: 'threshold' as const, name: 'recall', value: 0.4, passed: false, reason })),
  ];
  return {
    passed,
    alias: 'champion',
    reasons: checks.map((c) => c.reason),
    checks,
    champion: null,
    latencyMs: { p50: 0.05, p95: 0.1, p99: 0.2, rows: 200 },
    actor: 'keel run',
    at: '2026-01-01T00:00:00.000Z',
  };
}

async function register(ws: Ws, name: string, lineage: { runId?: string; datasetVersionId?: string } = {}) {
  return ws.registry.register(name, await tinyPackage(lineage));
}

describe('aliases and the gate', () => {
  let ws: Ws;
  let registry: Registry;
  let blessed: ModelVersion;
  let refused: ModelVersion;
  let ungated: ModelVersion;
  beforeAll(async () => {
    ws = await tempWorkspace();
    registry = ws.registry;
    blessed = await registry.bless(await register(ws, 'churn'), blessing(true));
    refused = await registry.bless(
      await register(ws, 'churn'),
      blessing(false, ['recall = 0.4 is below the minimum 0.45']),
    );
    ungated = await register(ws, 'churn');
  });
  afterAll(() => ws.dispose());

  it('moves @champion onto a blessed version and records who and why', async () => {
    const event = await registry.setAlias('churn', 'champion', blessed.version, {
      actor: 'ana',
      reason: 'first release',
    });
    expect(event).toMatchObject({ fromVersion: null, toVersion: 1, actor: 'ana', reason: 'first release' });
    expect(event.override).toBeUndefined();
    expect((await registry.resolve('churn@champion')).version).toBe(1);
  });

  it('refuses @champion on a version the gate did not bless, naming the failed checks', async () => {
    const error = await keelError(
      registry.setAlias('churn', 'champion', refused.version, { actor: 'ana', reason: '' }),
      'failed_precondition',
    );
    expect(error.message).toBe(
      'churn@2 cannot become @champion: the gate did not bless it: recall = 0.4 is below the minimum 0.45. ' +
        'To override the gate, force the move and give a reason (keel models alias churn@2 champion --force --reason "…")',
    );
    const never = await keelError(
      registry.setAlias('churn', 'champion', ungated.version, { actor: 'ana', reason: 'why not' }),
      'failed_precondition',
    );
    expect(never.message).toMatch(/^churn@3 cannot become @champion: it has not been through the gate/);
    expect(await ws.metadata.getAlias('churn', 'champion')).toBe(1);
  });

  it('overrides the gate only with force and a reason, and records the override', async () => {
    await keelError(
      registry.setAlias('churn', 'champion', refused.version, { actor: 'ana', reason: ' ', force: true }),
      'invalid_argument',
    );
    const event = await registry.setAlias('churn', 'champion', refused.version, {
      actor: 'ana',
      reason: 'recall is fine for the pilot',
      force: true,
    });
    expect(event).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      override: true,
      reason: 'recall is fine for the pilot',
    });
    const history = await ws.metadata.listAliasEvents('churn');
    expect(history.map((e) => [e.fromVersion, e.toVersion, e.override ?? false])).toEqual([
      [1, 2, true],
      [null, 1, false],
    ]);
    // Back onto the blessed version: no override needed.
    const back = await registry.setAlias('churn', 'champion', 1, { actor: 'ana', reason: 'pilot over', force: true });
    expect(back.override).toBeUndefined();
  });

  it('lets any other alias point anywhere', async () => {
    const event = await registry.setAlias('churn', 'challenger', ungated.version, {
      actor: 'ana',
      reason: 'shadow test',
    });
    expect(event.override).toBeUndefined();
    expect((await registry.resolve('churn@challenger')).version).toBe(3);
  });

  it('refuses an alias on a missing version or model, and a malformed alias, changing nothing', async () => {
    const missing = await keelError(
      registry.setAlias('churn', 'champion', 9, { actor: 'ana', reason: '' }),
      'not_found',
    );
    expect(missing.message).toBe('model "churn" has no version 9 (its latest is 3)');
    await keelError(registry.setAlias('fraud', 'champion', 1, { actor: 'ana', reason: '' }), 'not_found');
    await keelError(registry.setAlias('churn', 'latest', 1, { actor: 'ana', reason: '' }), 'invalid_argument');
    await keelError(registry.setAlias('churn', '2nd', 1, { actor: 'ana', reason: '' }), 'invalid_argument');
    expect(await ws.metadata.getAlias('churn', 'champion')).toBe(1);
  });

  it('removes an alias, recording it, and says when there is none', async () => {
    const event = await registry.deleteAlias('churn', 'challenger', { actor: 'ana', reason: 'test over' });
    expect(event).toMatchObject({ fromVersion: 3, toVersion: null });
    const error = await keelError(
      registry.deleteAlias('churn', 'challenger', { actor: 'ana', reason: '' }),
      'not_found',
    );
    expect(error.message).toBe('model "churn" has no alias "challenger"');
  });

  it('resolves NAME (the latest version), NAME@VERSION and NAME@ALIAS, naming what is missing', async () => {
    expect((await registry.resolve('churn')).version).toBe(3);
    expect((await registry.resolve('churn@2')).version).toBe(2);
    expect((await registry.resolve('churn@champion')).version).toBe(1);
    const error = await keelError(registry.resolve('churn@staging'), 'not_found');
    expect(error.message).toBe('model "churn" has no alias "staging" (it has @champion)');
    await keelError(registry.resolve('churn@12'), 'not_found');
    await keelError(registry.resolve('Churn Model'), 'invalid_argument');
  });

  it("sets and removes a version's tags, but never Keel's own", async () => {
    const tagged = await registry.setTags(ungated, { owner: 'ana', 'review/ticket': 'ML-42' });
    expect(tagged.tags).toMatchObject({ owner: 'ana', 'review/ticket': 'ML-42' });
    const removed = await registry.removeTags(tagged, ['owner']);
    expect(removed.tags.owner).toBeUndefined();
    expect(removed.tags['review/ticket']).toBe('ML-42');
    for (const key of ['gate.passed', 'keel.card']) {
      const error = await keelError(registry.setTags(ungated, { [key]: 'true' }), 'invalid_argument');
      expect(error.message).toContain('written by Keel');
      await keelError(registry.removeTags(ungated, [key]), 'invalid_argument');
    }
    await keelError(registry.setTags(ungated, { 'has space': 'x' }), 'invalid_argument');
  });
});

describe('lineage', () => {
  let ws: Ws;
  let raw: DatasetVersion;
  let cleaned: DatasetVersion;
  let version: ModelVersion;
  let runId: string;
  let loserRunId: string;
  beforeAll(async () => {
    ws = await tempWorkspace();
    raw = await ws.metadata.createDatasetVersion(datasetInput('telco', 'csv'));
    cleaned = await ws.metadata.createDatasetVersion({
      ...datasetInput('telco', 'derived'),
      source: { kind: 'derived', uri: 'telco@1', options: { parent: raw.id, steps: [] } },
    });
    const winner = await ws.tracker.startRun({ experiment: 'churn', name: 'lr', datasetVersionIds: [cleaned.id] });
    const loser = await ws.tracker.startRun({ experiment: 'churn', name: 'tree', datasetVersionIds: [cleaned.id] });
    [runId, loserRunId] = [winner.id, loser.id];
    version = await ws.registry.bless(
      await register(ws, 'churn', { runId, datasetVersionId: cleaned.id }),
      blessing(true),
    );
    await ws.registry.setAlias('churn', 'champion', 1, { actor: 'gate', reason: 'ok' });
    await deployDirect(ws.metadata, 'churn-api', { name: 'churn', version: 1 }, { actor: 'ana', reason: 'go' });
  });
  afterAll(() => ws.dispose());

  it('follows a model version up to its data and down to the endpoints serving it', async () => {
    const lineage = await ws.registry.modelLineage(version);
    expect(lineage.root).toBe('model_version:churn@1');
    expect(lineage.nodes.map((n) => n.id).sort()).toEqual(
      [
        `dataset_version:${raw.id}`,
        `dataset_version:${cleaned.id}`,
        `run:${runId}`,
        'model_version:churn@1',
        'endpoint:churn-api',
      ].sort(),
    );
    expect(lineage.edges).toEqual(
      expect.arrayContaining([
        { from: `dataset_version:${raw.id}`, to: `dataset_version:${cleaned.id}`, relation: 'derived' },
        { from: `dataset_version:${cleaned.id}`, to: `run:${runId}`, relation: 'trained' },
        { from: `run:${runId}`, to: 'model_version:churn@1', relation: 'produced' },
        { from: 'model_version:churn@1', to: 'endpoint:churn-api', relation: 'served' },
      ]),
    );
    expect(lineage.edges).toHaveLength(4);
    expect(lineage.nodes.find((n) => n.kind === 'model_version')).toMatchObject({
      aliases: ['champion'],
      blessed: true,
    });
    expect(lineage.nodes.find((n) => n.kind === 'endpoint')).toMatchObject({
      strategy: 'direct',
      routes: [{ model: 'churn', version: 1, variant: 'primary', percent: 100 }],
    });
  });

  it('follows a dataset version down through its cleaned version, every run, the models and the endpoints', async () => {
    // A model registered without a run (an import) from the cleaned data.
    await register(ws, 'imported', { datasetVersionId: cleaned.id });
    const lineage = await ws.registry.datasetLineage(raw);
    expect(lineage.root).toBe(`dataset_version:${raw.id}`);
    const ids = lineage.nodes.map((n) => n.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        `dataset_version:${cleaned.id}`,
        `run:${runId}`,
        `run:${loserRunId}`,
        'model_version:churn@1',
        'model_version:imported@1',
        'endpoint:churn-api',
      ]),
    );
    expect(lineage.edges).toEqual(
      expect.arrayContaining([
        { from: `dataset_version:${raw.id}`, to: `dataset_version:${cleaned.id}`, relation: 'derived' },
        { from: `dataset_version:${cleaned.id}`, to: `run:${loserRunId}`, relation: 'trained' },
        { from: `dataset_version:${cleaned.id}`, to: 'model_version:imported@1', relation: 'trained' },
        { from: 'model_version:churn@1', to: 'endpoint:churn-api', relation: 'served' },
      ]),
    );
    // Upstream of the cleaned version is its parent, and nothing downstream is lost.
    const fromCleaned = await ws.registry.datasetLineage(cleaned);
    expect(fromCleaned.nodes.map((n) => n.id)).toContain(`dataset_version:${raw.id}`);
    expect(fromCleaned.nodes).toHaveLength(lineage.nodes.length);
  });
});

describe('model cards', () => {
  let ws: Ws;
  beforeAll(async () => {
    ws = await tempWorkspace();
  });
  afterAll(() => ws.dispose());

  it('states what is known and says what is not, and keeps the intended use when regenerated', async () => {
    const version = await register(ws, 'churn');
    expect(await ws.registry.readCard(version)).toBeNull();
    const intendedUse = intendedUseOf(loadProject(churnProjectDir).config);
    const first = await ws.registry.writeCard(version, { intendedUse });
    expect(first.card).toMatchObject({
      format: 'keel.model-card',
      formatVersion: 1,
      model: { name: 'churn', version: 1, algorithm: 'logistic_regression', aliases: [] },
      intendedUse: { project: 'churn', task: 'binary_classification', target: 'Churn', positiveClass: 'Yes' },
      trainingData: null,
      evaluation: null,
      gate: null,
    });
    expect(first.card.intendedUse?.kpis.map((k) => k.name)).toEqual(['churned_revenue', 'retention_call_hit_rate']);
    expect(first.card.features.inputs.map((i) => i.name)).toEqual(['tenure', 'contract']);
    expect(first.card.limitations).toEqual([
      "No evaluation report of this version's run was found, so its quality on held-out rows is not stated here.",
      'The gate has not judged this version.',
    ]);
    expect(first.markdown).toContain('# Model card: churn@1');
    expect(first.markdown).toContain('- Decision it supports: Each Monday, retention calls the 500 customers');
    expect(first.markdown).toContain('Not recorded: the version names no dataset version.');

    // Regenerated after the gate, without the project file: the decision is in, the intended use kept.
    const gated = await ws.registry.bless(first.version, blessing(false, ['recall = 0.4 is below the minimum 0.45']));
    const second = await ws.registry.writeCard(gated);
    expect(second.card.intendedUse).toEqual(first.card.intendedUse);
    expect(second.card.gate?.passed).toBe(false);
    expect(second.card.limitations).toContain(
      'The gate did not bless this version: recall = 0.4 is below the minimum 0.45.',
    );
    expect(second.markdown).toContain('Not blessed for @champion by keel run');
    expect(await ws.registry.readCard(second.version)).toEqual({ card: second.card, markdown: second.markdown });
  });
});

function datasetInput(dataset: string, kind: 'csv' | 'derived'): NewDatasetVersion {
  return {
    dataset,
    contentHash: `sha256:${kind}`,
    artifact: `sha256:${kind}-parquet`,
    source: { kind, uri: 'telco.csv' },
    rows: 100,
    columns: [{ name: 'tenure', type: 'integer' }],
    schema: { columns: [{ name: 'tenure', type: 'integer', nullable: false }] },
    profile: { rows: 100, columns: [] },
  };
}
