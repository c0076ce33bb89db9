import { Kysely, Migrator } from 'kysely';
import type { SqlBackend } from '../../src/store/sql/dialects.js';
import { keelMigrations } from '../../src/store/sql/migrations.js';

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
