import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { openMetadataStore } from '../../src/store/index.js';
import { runMetadataStoreSuite } from './metadata-store.suite.js';
import { runRegistryStoreSuite } from './registry-store.suite.js';
import { dropPostgresSchema, postgresUrl, requirePostgres } from './postgres.js';

describe('SqlMetadataStore on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const harness = {
    dialect: 'sqlite',
    // A folder that does not exist yet: opening creates it.
    open: () => openMetadataStore(`sqlite://${join(dir, 'nested', 'keel.db')}`),
  } as const;
  runMetadataStoreSuite(harness);
  runRegistryStoreSuite(harness);
});

describe('SqlMetadataStore on PostgreSQL', () => {
  // A fresh schema per run, so runs in parallel and leftovers of crashed runs never meet.
  const schema = `keel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  let reachable = false;
  beforeAll(async () => {
    await requirePostgres();
    reachable = true;
  });
  afterAll(async () => {
    if (reachable) await dropPostgresSchema(schema);
  });

  const harness = { dialect: 'postgres', open: () => openMetadataStore(postgresUrl(schema)) } as const;
  runMetadataStoreSuite(harness);
  runRegistryStoreSuite(harness);
});
