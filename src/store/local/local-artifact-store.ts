import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeelError, notFound } from '../../core/index.js';
import type { ArtifactRef, ArtifactStore } from '../artifact-store.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * Artifacts in a local folder, content-addressed: `<root>/sha256/ab/cdef…` holds the bytes
 * whose sha256 is `abcdef…`. A write lands in `<root>/tmp` and is renamed into place, so a
 * reader never sees half a file and concurrent writers of the same content simply agree.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  async put(data: Uint8Array | string): Promise<ArtifactRef> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const hex = createHash('sha256').update(bytes).digest('hex');
    const target = this.#pathOf(hex);
    if (!(await exists(target))) {
      await this.#writeAtomically(target, (temp) => writeFile(temp, bytes));
    }
    return { digest: `sha256:${hex}`, size: bytes.byteLength };
  }

  /** Hashes while copying, so a file of any size passes through in constant memory. */
  async putFile(path: string): Promise<ArtifactRef> {
    const temp = await this.#tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.byteLength;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(path), hashing, createWriteStream(temp));
      const hex = hash.digest('hex');
      const target = this.#pathOf(hex);
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      return { digest: `sha256:${hex}`, size };
    } catch (error) {
      await rm(temp, { force: true });
      const { code, path: failedPath } = error as NodeJS.ErrnoException;
      if (failedPath === path && code === 'ENOENT')
        throw notFound(`Cannot store ${path}: no such file.`, { file: path });
      if (failedPath === path && code === 'EISDIR') {
        throw new KeelError('invalid_argument', `Cannot store ${path}: it is a folder.`, { file: path });
      }
      throw error;
    }
  }

  async get(digest: string): Promise<Uint8Array> {
    try {
      return await readFile(this.#pathOf(parseDigest(digest)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(digest);
      throw error;
    }
  }

  async has(digest: string): Promise<boolean> {
    return exists(this.#pathOf(parseDigest(digest)));
  }

  async localPath(digest: string): Promise<string> {
    const path = this.#pathOf(parseDigest(digest));
    if (!(await exists(path))) throw missing(digest);
    return path;
  }

  #pathOf(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  /** Temp files share the root's filesystem, which is what makes `rename` atomic. */
  async #tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  async #writeAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
    const temp = await this.#tempPath();
    try {
      await write(temp);
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

function parseDigest(digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match) {
    throw new KeelError('invalid_argument', `"${digest}" is not an artifact digest (sha256:<64 hex digits>).`, {
      field: 'digest',
    });
  }
  return match[1];
}

function missing(digest: string): KeelError {
  return notFound(`No artifact ${digest} in the artifact store.`, { field: 'digest' });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
