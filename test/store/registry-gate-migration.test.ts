import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/store/index.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from '../../src/store/sql/dialects.js';
import { migrationScratch, storeBefore } from './migrate-before.js';
import { postgresUrl } from './postgres.js';

/**
 * A store from before the gate records (every migration up to 0004) holding a model version
 * with an alias: opening it with today's code adds them, and the old records read as before —
 * never gated, no override.
 */
async function createStoreBeforeGateRecords(backend: SqlBackend): Promise<void> {
  await storeBefore(backend, '0004', async (db) => {
    const at = '2026-01-01T00:00:00.000Z';
    await db
      .insertInto('registered_models')
      .values({ name: 'churn', description: '', latest_version: 1, created_at: at })
      .execute();
    await db
      .insertInto('model_versions')
      .values({
        model: 'churn',
        version: 1,
        run_id: null,
        dataset_version_id: null,
        artifact: 'sha256:package',
        algorithm: 'logistic_regression',
        signature: JSON.stringify({ task: 'binary_classification', inputs: [] }),
        metrics: JSON.stringify({ roc_auc: 0.84 }),
        tags: JSON.stringify({ 'gate.passed': 'true' }),
        created_at: at,
      })
      .execute();
    await db.insertInto('model_aliases').values({ model: 'churn', alias: 'champion', version: 1 }).execute();
    await db
      .insertInto('alias_events')
      .values({ model: 'churn', alias: 'champion', from_version: null, to_version: 1, actor: 'gate', reason: 'ok', at })
      .execute();
  });
}

async function expectUpgraded(url: string): Promise<void> {
  const store = await openMetadataStore(url);
  try {
    const version = await store.getModelVersion('churn', 1);
    expect(version).toMatchObject({ version: 1, tags: { 'gate.passed': 'true' } });
    expect(version?.blessing).toBeUndefined();
    const [event] = await store.listAliasEvents('churn');
    expect(event).toEqual({
      model: 'churn',
      alias: 'champion',
      fromVersion: null,
      toVersion: 1,
      actor: 'gate',
      reason: 'ok',
      at: '2026-01-01T00:00:00.000Z',
    });
    const blessed = await store.setModelVersionBlessing('churn', 1, {
      passed: true,
      alias: 'champion',
      reasons: ['no current champion'],
      checks: [],
      champion: null,
      latencyMs: null,
      actor: 'test',
      at: '2026-01-02T00:00:00.000Z',
    });
    expect(blessed.blessing?.actor).toBe('test');
  } finally {
    await store.close();
  }
}

describe('migration 0004_registry_gate', () => {
  const { dir, schema, usePostgres } = migrationScratch();

  it('upgrades a SQLite store, keeping its versions and alias history', async () => {
    const path = join(dir, 'keel.db');
    await createStoreBeforeGateRecords(sqliteBackend(path));
    await expectUpgraded(`sqlite://${path}`);
  });

  it('upgrades a PostgreSQL store, keeping its versions and alias history', async () => {
    await usePostgres();
    await createStoreBeforeGateRecords(await postgresBackend(postgresUrl(), schema));
    await expectUpgraded(postgresUrl(schema));
  });
});
