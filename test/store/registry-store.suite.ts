import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, type Blessing } from '../../src/core/index.js';
import type { MetadataStore, NewModelVersion } from '../../src/store/index.js';
import type { MetadataStoreHarness } from './metadata-store.suite.js';

/**
 * Conformance cases of the registry's gate records and lineage lookups (migration 0004), run
 * against every backend beside `runMetadataStoreSuite`.
 */
export function runRegistryStoreSuite(harness: MetadataStoreHarness): void {
  describe('registry: blessings, tag removal, overrides and lineage lookups', () => {
    let store: MetadataStore;
    beforeAll(async () => {
      store = await harness.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('has no blessing on a new version, then records the gate decision and mirrors it in tags', async () => {
      const name = unique('model');
      const created = await store.createModelVersion(modelInput(name));
      expect(created.blessing).toBeUndefined();
      expect((await store.getModelVersion(name, 1))?.blessing).toBeUndefined();

      const refused = await store.setModelVersionBlessing(
        name,
        1,
        blessing(false, ['recall = 0.4 is below the minimum 0.45']),
      );
      expect(refused.blessing).toEqual(blessing(false, ['recall = 0.4 is below the minimum 0.45']));
      expect(refused.tags).toEqual({
        team: 'growth',
        'gate.passed': 'false',
        'gate.reasons': 'recall = 0.4 is below the minimum 0.45',
      });

      // A later decision (the gate ran again) replaces the earlier one.
      const blessed = await store.setModelVersionBlessing(name, 1, blessing(true, ['a', 'b']));
      expect(await store.getModelVersion(name, 1)).toEqual(blessed);
      expect(blessed.blessing?.passed).toBe(true);
      expect(blessed.tags['gate.reasons']).toBe('a; b');
      expect((await store.listModelVersions(name))[0]).toEqual(blessed);
      await expectKeelError(store.setModelVersionBlessing(name, 2, blessing(true, [])), 'not_found');
    });

    it('removes tags from a version, ignoring keys it does not have, and keeps the blessing', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name, { tags: { team: 'growth', owner: 'ana', stage: 'dev' } }));
      await store.setModelVersionBlessing(name, 1, blessing(true, ['ok']));

      const removed = await store.removeModelVersionTags(name, 1, ['owner', 'stage', 'never-set']);
      expect(removed.tags).toEqual({ team: 'growth', 'gate.passed': 'true', 'gate.reasons': 'ok' });
      expect(removed.blessing?.passed).toBe(true);
      expect(await store.getModelVersion(name, 1)).toEqual(removed);
      await expectKeelError(store.removeModelVersionTags(name, 9, ['team']), 'not_found');
    });

    it('records an override in the alias history, and only when there was one', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name));
      await store.createModelVersion(modelInput(name));
      await store.setAlias(name, 'champion', 1, { actor: 'gate', reason: 'gate passed' });
      const forced = await store.setAlias(name, 'champion', 2, { actor: 'ana', reason: 'hotfix', override: true });
      expect(forced).toMatchObject({ fromVersion: 1, toVersion: 2, actor: 'ana', override: true });

      const [last, first] = await store.listAliasEvents(name);
      expect(last).toEqual(forced);
      expect(first.override).toBeUndefined();
      expect(first).toMatchObject({ fromVersion: null, toVersion: 1, actor: 'gate' });
    });

    it('finds the runs that read a dataset version and the model versions built from it or by a run', async () => {
      const dataset = await store.createDatasetVersion(datasetInput(unique('ds')));
      const otherData = await store.createDatasetVersion(datasetInput(unique('ds')));
      const experiment = unique('exp');
      const first = await store.createRun({ experiment, name: 'lr', datasetVersionIds: [dataset.id] });
      const second = await store.createRun({ experiment, name: 'tree', datasetVersionIds: [otherData.id, dataset.id] });
      await store.createRun({ experiment, name: 'unrelated', datasetVersionIds: [otherData.id] });

      const runs = await store.listRunsByDatasetVersion(dataset.id);
      expect(runs.map((r) => r.id)).toEqual([second.id, first.id]);
      expect(runs[0]).toEqual(await store.getRun(second.id));
      expect(await store.listRunsByDatasetVersion('dsv_missing')).toEqual([]);

      const [a, b] = [unique('a-model'), unique('b-model')];
      const fromRun = await store.createModelVersion(modelInput(b, { runId: first.id, datasetVersionId: dataset.id }));
      const imported = await store.createModelVersion(modelInput(a, { datasetVersionId: dataset.id }));
      await store.createModelVersion(modelInput(a, { runId: second.id, datasetVersionId: otherData.id }));

      expect(await store.listModelVersionsByLineage({ datasetVersionId: dataset.id })).toEqual([imported, fromRun]);
      expect(await store.listModelVersionsByLineage({ runId: first.id })).toEqual([fromRun]);
      expect(await store.listModelVersionsByLineage({ runId: first.id, datasetVersionId: otherData.id })).toEqual([]);
      expect(await store.listModelVersionsByLineage({})).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function expectKeelError(action: Promise<unknown>, code: string): Promise<void> {
  const outcome = await action.then(
    () => new Error(`expected a "${code}" KeelError, but the call succeeded`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(KeelError);
  expect((outcome as KeelError).code).toBe(code);
}

function blessing(passed: boolean, reasons: string[]): Blessing {
  return {
    passed,
    alias: 'champion',
    reasons,
    checks: reasons.map((reason) => ({ kind: 'threshold', name: 'recall', value: 0.4, passed, reason })),
    champion: null,
    latencyMs: { p50: 0.05, p95: 0.1, p99: 0.2, rows: 200 },
    actor: 'keel run',
    at: '2026-01-01T00:00:00.000Z',
  };
}

function modelInput(name: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name,
    runId: null,
    datasetVersionId: null,
    artifact: `sha256:${randomBytes(8).toString('hex')}`,
    algorithm: 'logistic_regression',
    signature: {
      task: 'binary_classification',
      inputs: [{ name: 'tenure', type: 'integer', nullable: false }],
      classes: ['no', 'yes'],
    },
    metrics: { roc_auc: 0.84 },
    tags: { team: 'growth' },
    ...overrides,
  };
}

function datasetInput(dataset: string) {
  return {
    dataset,
    contentHash: `sha256:${randomBytes(8).toString('hex')}`,
    artifact: `sha256:${randomBytes(8).toString('hex')}`,
    source: { kind: 'csv' as const, uri: 'churn.csv' },
    rows: 10,
    columns: [{ name: 'tenure', type: 'integer' as const }],
    schema: { columns: [{ name: 'tenure', type: 'integer' as const, nullable: false }] },
    profile: { rows: 10, columns: [] },
  };
}
