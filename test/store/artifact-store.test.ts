import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KeelError, type ErrorCode } from '../../src/core/index.js';
import { LocalArtifactStore } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keel-artifacts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;
  beforeEach(() => {
    root = mkdtempSync(join(dir, 'root-'));
    store = new LocalArtifactStore(root);
  });

  it('stores bytes under their sha256 digest and gives them back', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250]);
    const ref = await store.put(bytes);

    expect(ref).toEqual({ digest: `sha256:${sha256(bytes)}`, size: 4 });
    expect(new Uint8Array(await store.get(ref.digest))).toEqual(bytes);
    expect(await store.has(ref.digest)).toBe(true);
  });

  it('stores a string as its UTF-8 bytes', async () => {
    const ref = await store.put('héllo');
    expect(ref).toEqual({ digest: `sha256:${sha256(Buffer.from('héllo', 'utf8'))}`, size: 6 });
    expect(Buffer.from(await store.get(ref.digest)).toString('utf8')).toBe('héllo');
  });

  it('keeps a file at <root>/sha256/<first two hex digits>/<the rest>, for readers that want a path', async () => {
    const ref = await store.put('model');
    const hex = ref.digest.slice('sha256:'.length);
    const path = await store.localPath(ref.digest);

    expect(path).toBe(join(root, 'sha256', hex.slice(0, 2), hex.slice(2)));
    expect(await readFile(path, 'utf8')).toBe('model');
  });

  it('copies a file in by streaming, with the digest its bytes would have', async () => {
    // Several read chunks' worth, so hashing across chunk boundaries is exercised.
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const source = join(dir, `source-${randomBytes(4).toString('hex')}.parquet`);
    writeFileSync(source, bytes);

    const ref = await store.putFile(source);
    expect(ref).toEqual({ digest: `sha256:${sha256(bytes)}`, size: bytes.byteLength });
    expect(Buffer.compare(Buffer.from(await store.get(ref.digest)), bytes)).toBe(0);
    expect(await store.put(bytes)).toEqual(ref);
  });

  it('stores the same content once, even when written concurrently, and leaves no temp files', async () => {
    const source = join(dir, `same-${randomBytes(4).toString('hex')}.txt`);
    writeFileSync(source, 'same content');

    const refs = await Promise.all([
      ...Array.from({ length: 8 }, () => store.put('same content')),
      ...Array.from({ length: 8 }, () => store.putFile(source)),
    ]);

    expect(new Set(refs.map((r) => r.digest)).size).toBe(1);
    const hex = refs[0].digest.slice('sha256:'.length);
    expect(readdirSync(join(root, 'sha256', hex.slice(0, 2)))).toEqual([hex.slice(2)]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('fails with not_found for content it does not hold', async () => {
    const unknown = `sha256:${'0'.repeat(64)}`;
    expect(await store.has(unknown)).toBe(false);
    await expectKeelError(store.get(unknown), 'not_found');
    await expectKeelError(store.localPath(unknown), 'not_found');
    await expectKeelError(store.putFile(join(dir, 'no-such-file.csv')), 'not_found');
  });

  it('fails with invalid_argument for something that is not a digest', async () => {
    for (const digest of [
      'abc',
      'sha256:xyz',
      `md5:${'0'.repeat(32)}`,
      `sha256:${'A'.repeat(64)}`,
      '../../etc/passwd',
    ]) {
      await expectKeelError(store.get(digest), 'invalid_argument');
      await expectKeelError(store.has(digest), 'invalid_argument');
      await expectKeelError(store.localPath(digest), 'invalid_argument');
    }
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function expectKeelError(action: Promise<unknown>, code: ErrorCode): Promise<void> {
  const outcome = await action.then(
    () => new Error(`expected a "${code}" KeelError, but the call succeeded`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(KeelError);
  expect((outcome as KeelError).code).toBe(code);
}
