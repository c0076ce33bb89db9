import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator } from 'kysely';
import { afterAll } from 'vitest';
import type { SqlBackend } from '../../src/store/sql/dialects.js';
import { keelMigrations } from '../../src/store/sql/migrations.js';
import { dropPostgresSchema, requirePostgres } from './postgres.js';

/**
 * A store as an earlier release left it: every migration named before `before`, then `fill`
 * on its untyped database (as a migration sees it). Opening it with today's code runs the rest.
 */
export async function storeBefore(
  backend: SqlBackend,
  before: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration's database is untyped, as in Kysely
  fill: (db: Kysely<any>) => Promise<void>,
): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: backend.dialect });
  try {
    const earlier = Object.fromEntries(
      Object.entries(keelMigrations(backend.capabilities)).filter(([name]) => name < before),
    );
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => earlier },
      migrationTableSchema: backend.schema,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    await fill(db);
  } finally {
    await db.destroy();
  }
}

/**
 * A temp folder and a PostgreSQL schema name for one migration test file; call it inside the
 * `describe`, which then removes both after its tests. `usePostgres()` checks the server is up
 * and marks the schema for dropping.
 */
export function migrationScratch(): { readonly dir: string; readonly schema: string; usePostgres(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'keel-migrate-'));
  const schema = `keel_migrate_${process.pid}_${randomBytes(4).toString('hex')}`;
  let postgres = false;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (postgres) await dropPostgresSchema(schema);
  });
  return {
    dir,
    schema,
    async usePostgres() {
      await requirePostgres();
      postgres = true;
    },
  };
}
