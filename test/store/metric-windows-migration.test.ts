import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/store/index.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from '../../src/store/sql/dialects.js';
import { migrationScratch, storeBefore } from './migrate-before.js';
import { postgresUrl } from './postgres.js';

/**
 * A store from before monitoring's windows (every migration up to 0006) with a logged request:
 * opening it with today's code adds the window, totals and alert tables, empty, and the old
 * request log reads as before.
 */
async function createStoreBeforeMetricWindows(backend: SqlBackend): Promise<void> {
  await storeBefore(backend, '0007', async (db) => {
    await db
      .insertInto('requests')
      .values({
        endpoint: 'churn',
        status: 200,
        rows: 1,
        latency_ms: 2.5,
        error_code: null,
        at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
  });
}

async function expectUpgraded(url: string): Promise<void> {
  const store = await openMetadataStore(url);
  try {
    expect(await store.listRequests({ endpoint: 'churn' })).toMatchObject([{ status: 200, latencyMs: 2.5 }]);
    const range = { since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' };
    expect(await store.listMetricWindows(range)).toEqual([]);
    expect(await store.listMetricTotals()).toEqual([]);
    expect(await store.listAlertStates()).toEqual([]);
    const window = {
      endpoint: 'churn',
      model: 'churn',
      version: 1,
      variant: 'primary',
      processId: 'p',
      bucketStart: '2026-01-01T00:00:00.000Z',
      bucketMs: 60_000,
      data: { counters: { requests: 1 }, histograms: { latency_ms: [0, 1] } },
    };
    await store.putMetricWindows([window]);
    expect(await store.listMetricWindows(range)).toEqual([window]);
  } finally {
    await store.close();
  }
}

describe('migration 0007_metric_windows', () => {
  const { dir, schema, usePostgres } = migrationScratch();

  it('upgrades a SQLite store, keeping its request log', async () => {
    const path = join(dir, 'keel.db');
    await createStoreBeforeMetricWindows(sqliteBackend(path));
    await expectUpgraded(`sqlite://${path}`);
  });

  it('upgrades a PostgreSQL store, keeping its request log', async () => {
    await usePostgres();
    await createStoreBeforeMetricWindows(await postgresBackend(postgresUrl(), schema));
    await expectUpgraded(postgresUrl(schema));
  });
});
