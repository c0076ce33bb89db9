import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrafficPolicy } from '../../src/core/index.js';
import { openMetadataStore } from '../../src/store/index.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from '../../src/store/sql/dialects.js';
import { migrationScratch, storeBefore } from './migrate-before.js';
import { postgresUrl } from './postgres.js';

const at = '2026-01-01T00:00:00.000Z';
const policy: TrafficPolicy = {
  strategy: 'direct',
  routes: [{ model: 'churn', version: 1, percent: 100, variant: 'primary' }],
};

/**
 * A store from before deployment strategies (every migration up to 0004) with an endpoint and a
 * logged request: opening it with today's code gives the endpoint revision 1 and leaves the old
 * request without a route, and compare-and-set works on the upgraded endpoint.
 */
async function createStoreBeforeRollouts(backend: SqlBackend): Promise<void> {
  await storeBefore(backend, '0005', async (db) => {
    const json = JSON.stringify(policy);
    await db.insertInto('endpoints').values({ name: 'churn', policy: json, created_at: at, updated_at: at }).execute();
    await db
      .insertInto('endpoint_events')
      .values({ endpoint: 'churn', kind: 'deploy', actor: 'ana', reason: 'v1', policy: json, at })
      .execute();
    await db
      .insertInto('requests')
      .values({ endpoint: 'churn', status: 200, rows: 1, latency_ms: 1.5, error_code: null, at })
      .execute();
  });
}

async function expectUpgraded(url: string): Promise<void> {
  const store = await openMetadataStore(url);
  try {
    expect(await store.getEndpoint('churn')).toEqual({
      name: 'churn',
      policy,
      revision: 1,
      createdAt: at,
      updatedAt: at,
    });
    expect(await store.listRequests({ endpoint: 'churn' })).toEqual([
      { endpoint: 'churn', status: 200, rows: 1, latencyMs: 1.5, errorCode: null, at },
    ]);
    const next: TrafficPolicy = { ...policy, routes: [{ ...policy.routes[0], version: 2 }] };
    const changed = await store.putEndpoint(
      'churn',
      next,
      { kind: 'deploy', actor: 'ana', reason: 'v2' },
      { expectedRevision: 1 },
    );
    expect(changed.revision).toBe(2);
  } finally {
    await store.close();
  }
}

describe('migration 0005_endpoint_rollouts', () => {
  const { dir, schema, usePostgres } = migrationScratch();

  it('upgrades a SQLite store: endpoints get revision 1, old requests name no route', async () => {
    const path = join(dir, 'keel.db');
    await createStoreBeforeRollouts(sqliteBackend(path));
    await expectUpgraded(`sqlite://${path}`);
  });

  it('upgrades a PostgreSQL store the same way', async () => {
    await usePostgres();
    await createStoreBeforeRollouts(await postgresBackend(postgresUrl(), schema));
    await expectUpgraded(postgresUrl(schema));
  });
});
