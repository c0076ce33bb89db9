import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { KeelError, workspaceConfig } from '../../src/core/index.js';
import { openMetadataStore, openStores, parseDatabaseUrl } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keel-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseDatabaseUrl', () => {
  it('reads SQLite URLs with an absolute path, a path relative to the working directory, or memory', () => {
    expect(parseDatabaseUrl('sqlite:///var/keel/keel.db')).toEqual({ kind: 'sqlite', path: '/var/keel/keel.db' });
    expect(parseDatabaseUrl('sqlite://.keel/keel.db')).toEqual({ kind: 'sqlite', path: resolve('.keel/keel.db') });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('reads PostgreSQL URLs, taking Keel’s schema parameter out of the connection string', () => {
    expect(parseDatabaseUrl('postgres://keel:pw@db:5432/keel')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://keel:pw@db:5432/keel',
    });
    expect(parseDatabaseUrl('postgresql://db/keel?schema=team_a&sslmode=require')).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://db/keel?sslmode=require',
      schema: 'team_a',
    });
  });

  it('refuses other URLs with invalid_argument, without echoing a password', () => {
    for (const url of ['mysql://root:secret@db/keel', 'sqlite://', 'keel.db']) {
      const error = catchError(() => parseDatabaseUrl(url));
      expect(error).toBeInstanceOf(KeelError);
      expect(error).toMatchObject({ code: 'invalid_argument', details: { field: 'databaseUrl' } });
      expect((error as Error).message).not.toContain('secret');
    }
  });
});

describe('openMetadataStore', () => {
  it('creates the SQLite file and its folder, in WAL mode', async () => {
    const path = join(dir, 'a', 'b', 'keel.db');
    const store = await openMetadataStore(`sqlite://${path}`);
    await store.createPipelineRun('p');
    await store.close();

    expect(existsSync(path)).toBe(true);
    const database = new BetterSqlite3(path, { readonly: true });
    try {
      expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      database.close();
    }
  });

  it('opens an in-memory SQLite store', async () => {
    const store = await openMetadataStore('sqlite::memory:');
    try {
      const run = await store.createPipelineRun('p');
      expect(await store.getPipelineRun(run.id)).toEqual(run);
    } finally {
      await store.close();
    }
  });

  it('fails with a message naming the server when PostgreSQL cannot be reached', async () => {
    // Port 1 is never a PostgreSQL server.
    const error = await openMetadataStore('postgres://keel:secret@127.0.0.1:1/keel').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('secret');
  });

  it('refuses a PostgreSQL schema name that is not a plain identifier', async () => {
    const error = await openMetadataStore('postgres://127.0.0.1:1/keel?schema=a;drop').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_argument', details: { field: 'schema' } });
  });
});

describe('openStores', () => {
  it("opens the workspace's metadata store and artifact store together", async () => {
    const config = workspaceConfig({ KEEL_HOME: join(dir, 'home') });
    const stores = await openStores(config);
    try {
      const ref = await stores.artifacts.put('hello');
      expect(await stores.artifacts.localPath(ref.digest)).toContain(config.artifactsDir);
      expect(stores.metadata.dialect).toBe('sqlite');
      expect(existsSync(join(config.home, 'keel.db'))).toBe(true);
    } finally {
      await stores.close();
    }
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
