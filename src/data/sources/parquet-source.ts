import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hashValue, KeelError, sha256File } from '../../core/index.js';
import { quotedString } from '../duckdb.js';
import { copyToParquet, resolveMissingMarkers, storageRelation } from '../storage-relation.js';
import { requireFile } from '../text-file.js';
import type { SourceConfig, SourceOpener } from './source.js';

/**
 * A Parquet file, rewritten with Keel's storage types (see `storageRelation`) so that a version
 * reads the same whoever wrote the file. The content hash is the sha256 of the bytes and the
 * options; DuckDB streams the row groups, no rows reach JS.
 */
export const openParquetSource: SourceOpener<SourceConfig<'parquet'>> = async (config, context) => {
  const path = resolve(context.baseDir, config.path);
  await checkParquetMagic(path);
  const options = { missing: resolveMissingMarkers(config.missing) };
  const contentHash = hashValue({ format: 'keel.parquet/1', file: await sha256File(path), options });
  return {
    kind: 'parquet',
    uri: path,
    options,
    details: { file: path },
    contentHash,
    async writeParquet(connection, parquetPath) {
      try {
        const typed = await storageRelation(connection, `read_parquet(${quotedString(path)})`, options.missing);
        return { rows: await copyToParquet(connection, typed.select, parquetPath), contentHash };
      } catch (error) {
        const first = (error instanceof Error ? error.message : String(error))
          .split('\n')[0]
          .replace(/^[A-Za-z ]*Error: /, '');
        throw new KeelError('invalid_data', `cannot read Parquet ${path}: ${first}`, { file: path }, { cause: error });
      }
    },
  };
};

const MAGIC = 'PAR1';

/** A Parquet file starts and ends with `PAR1`; checking costs 8 bytes and gives a clear message. */
async function checkParquetMagic(path: string): Promise<void> {
  const size = await requireFile(path);
  if (size === 0) throw new KeelError('invalid_data', `${path} is empty`, { file: path });
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 4, Math.max(0, size - 4));
    if (head.toString('latin1') !== MAGIC || tail.toString('latin1') !== MAGIC || size < 12) {
      throw new KeelError('invalid_data', `${path} is not a Parquet file (it lacks the PAR1 marks)`, { file: path });
    }
  } finally {
    await handle.close();
  }
}
