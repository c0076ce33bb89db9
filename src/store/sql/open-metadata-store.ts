import { resolve } from 'node:path';
import { KeelError } from '../../core/index.js';
import type { MetadataStore } from '../metadata-store.js';
import { postgresBackend, sqliteBackend, type SqlBackend } from './dialects.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

export type DatabaseLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema?: string };

/**
 * Reads a metadata store URL:
 * - `sqlite:///abs/path.db`, `sqlite://relative/path.db` (from the working directory), `sqlite::memory:`
 * - `postgres://…` or `postgresql://…`, with an optional `?schema=NAME` that keeps Keel's
 *   tables in their own schema (created when missing).
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url === 'sqlite::memory:') return { kind: 'sqlite', path: ':memory:' };
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path === '') throw invalidUrl(url, 'it names no file');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidUrl(url, 'it is not a valid URL');
    }
    const schema = parsed.searchParams.get('schema') ?? undefined;
    // `schema` is Keel's parameter, not the driver's.
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: parsed.toString(), ...(schema ? { schema } : {}) };
  }
  throw invalidUrl(url, 'use sqlite:///path/to/keel.db, sqlite::memory: or postgres://host:5432/db');
}

/** Opens the store a URL names, bringing its tables up to date. */
export async function openMetadataStore(url: string): Promise<MetadataStore> {
  const location = parseDatabaseUrl(url);
  const backend: SqlBackend =
    location.kind === 'sqlite'
      ? sqliteBackend(location.path)
      : await postgresBackend(location.connectionString, location.schema);
  const store = new SqlMetadataStore(backend);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function invalidUrl(url: string, why: string): KeelError {
  const shown = url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  return new KeelError('invalid_argument', `Cannot open metadata store "${shown}": ${why}.`, { field: 'databaseUrl' });
}
