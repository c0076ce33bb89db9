import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/store/index.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from '../../src/store/sql/dialects.js';
import { migrationScratch, storeBefore } from './migrate-before.js';
import { postgresUrl } from './postgres.js';

/**
 * A store created before schema versions existed (migration 0001 only) with a dataset in it:
 * opening it with today's code adds schema versions and keeps the data.
 */
async function createReleasedStore(backend: SqlBackend): Promise<void> {
  await storeBefore(backend, '0002', async (db) => {
    const at = '2026-01-01T00:00:00.000Z';
    await db.insertInto('datasets').values({ name: 'churn', latest_version: 1, created_at: at }).execute();
    await db
      .insertInto('dataset_versions')
      .values({
        id: 'dsv_old',
        dataset: 'churn',
        version: 1,
        content_hash: 'sha256:old',
        artifact: 'sha256:parquet',
        source: JSON.stringify({ kind: 'csv', uri: 'churn.csv' }),
        rows: 3,
        columns: '[]',
        schema: JSON.stringify({ columns: [] }),
        profile: JSON.stringify({ rows: 3, columns: [] }),
        created_at: at,
      })
      .execute();
  });
}

async function expectUpgraded(url: string): Promise<void> {
  const store = await openMetadataStore(url);
  try {
    expect(await store.getDatasetVersion('churn')).toMatchObject({ id: 'dsv_old', version: 1 });
    expect(await store.listSchemaVersions('churn')).toEqual([]);
    const stored = await store.createSchemaVersion({
      dataset: 'churn',
      schema: { columns: [] },
      source: 'edited',
      basedOn: 1,
    });
    expect(stored.version).toBe(1);
    // The dataset's version counter is untouched by the new schema version counter beside it.
    const old = await store.getDatasetVersion('churn');
    if (!old) throw new Error('the old version is gone');
    const { id: _id, version: _version, createdAt: _createdAt, ...input } = old;
    expect((await store.createDatasetVersion({ ...input, contentHash: 'sha256:new' })).version).toBe(2);
  } finally {
    await store.close();
  }
}

describe('migration 0002_schema_versions', () => {
  const { dir, schema, usePostgres } = migrationScratch();

  it('upgrades a SQLite store of the first release, keeping its datasets', async () => {
    const path = join(dir, 'keel.db');
    await createReleasedStore(sqliteBackend(path));
    await expectUpgraded(`sqlite://${path}`);
  });

  it('upgrades a PostgreSQL store of the first release, keeping its datasets', async () => {
    await usePostgres();
    const url = new URL(postgresUrl());
    await createReleasedStore(await postgresBackend(url.toString(), schema));
    await expectUpgraded(postgresUrl(schema));
  });
});
