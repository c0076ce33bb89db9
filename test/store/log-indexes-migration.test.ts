import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/store/index.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from '../../src/store/sql/dialects.js';
import { migrationScratch, storeBefore } from './migrate-before.js';
import { postgresUrl } from './postgres.js';

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

/** Logs of two variants from before 0008, when each log had two indexes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration's database is untyped, as in Kysely
async function fillLogs(db: Kysely<any>): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const variant = i % 3 === 0 ? 'canary' : 'primary';
    const route = { model: 'churn', version: variant === 'canary' ? 2 : 1, variant };
    await db
      .insertInto('requests')
      .values({ endpoint: 'churn', status: 200, rows: 1, latency_ms: i, error_code: null, at: at(i), ...route })
      .execute();
    await db
      .insertInto('predictions')
      .values({
        id: `pred_${i}`,
        endpoint: 'churn',
        inputs: '{}',
        output: '{"value":1}',
        latency_ms: i,
        at: at(i),
        ...route,
      })
      .execute();
  }
}

async function indexesOf(backend: SqlBackend, table: string): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: backend.dialect });
  try {
    const rows = backend.capabilities.supportsIdentityColumns
      ? await sql<{
          name: string;
        }>`select indexname as name from pg_indexes where schemaname = ${backend.schema} and tablename = ${table}`.execute(
          db,
        )
      : await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null`.execute(db);
    return rows.rows
      .map((r) => r.name)
      .filter((name) => name.includes('endpoint'))
      .sort();
  } finally {
    await db.destroy();
  }
}

async function expectUpgraded(url: string, backend: () => Promise<SqlBackend>): Promise<void> {
  const store = await openMetadataStore(url);
  try {
    const since = at(1);
    expect((await store.listRequests({ endpoint: 'churn', since })).map((r) => r.latencyMs)).toEqual([1, 2, 3, 4, 5]);
    expect((await store.listRequests({ endpoint: 'churn', variant: 'canary', since })).map((r) => r.latencyMs)).toEqual(
      [3],
    );
    const predictions = await store.listPredictions({ endpoint: 'churn', variant: 'primary', limit: 3 });
    expect(predictions.map((p) => p.id)).toEqual(['pred_5', 'pred_4', 'pred_2']);
  } finally {
    await store.close();
  }
  for (const table of ['predictions', 'requests']) {
    expect(await indexesOf(await backend(), table)).toEqual([`${table}_endpoint_at_variant_idx`]);
  }
}

describe('migration 0008_log_indexes', () => {
  const { dir, schema, usePostgres } = migrationScratch();

  it('gives each log of a SQLite store one (endpoint, at, variant) index, its rows read as before', async () => {
    const path = join(dir, 'keel.db');
    await storeBefore(sqliteBackend(path), '0008', fillLogs);
    await expectUpgraded(`sqlite://${path}`, async () => sqliteBackend(path));
  });

  it('does the same on PostgreSQL', async () => {
    await usePostgres();
    await storeBefore(await postgresBackend(postgresUrl(), schema), '0008', fillLogs);
    await expectUpgraded(postgresUrl(schema), () => postgresBackend(postgresUrl(), schema));
  });
});
