import { resolve } from 'node:path';

/**
 * Where Keel keeps its state: `$KEEL_HOME`, default `./.keel`. The metadata store defaults to a
 * SQLite file inside it and artifacts to a folder inside it; `KEEL_DATABASE_URL`
 * (e.g. `postgres://127.0.0.1:5432/keel`) moves metadata to PostgreSQL.
 */
export interface WorkspaceConfig {
  readonly home: string;
  readonly databaseUrl: string;
  readonly artifactsDir: string;
}

export function workspaceConfig(env: NodeJS.ProcessEnv = process.env): WorkspaceConfig {
  const home = resolve(env.KEEL_HOME || '.keel');
  return {
    home,
    databaseUrl: env.KEEL_DATABASE_URL || `sqlite://${resolve(home, 'keel.db')}`,
    artifactsDir: resolve(home, 'artifacts'),
  };
}
