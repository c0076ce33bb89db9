import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { BIGINT, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBValue } from '@duckdb/node-api';
import { KeelError } from '../core/index.js';
import { quotedIdentifier, quotedString, withDuckDB } from './duckdb.js';

export type OutputFormat = 'csv' | 'parquet';

export interface OutputColumn {
  readonly name: string;
  readonly type: 'text' | 'integer' | 'float';
}

/** Values of each column (column-major), all of one length: one chunk of the output. */
export type OutputChunk = ReadonlyArray<ReadonlyArray<string | number | null>>;

/**
 * Writes a table chunk by chunk as `produce` hands chunks over, so an output of any size is
 * never held whole: CSV as text appended to the file, Parquet through DuckDB's appender into a
 * table DuckDB can spill, copied to the file at the end. The file appears under `path` only
 * when `produce` succeeds (written to a temporary name beside it, then renamed); when it fails,
 * nothing is left behind.
 */
export async function writeBatch(
  path: string,
  format: OutputFormat,
  columns: readonly OutputColumn[],
  produce: (write: (chunk: OutputChunk) => Promise<void>) => Promise<void>,
): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    if (format === 'csv') await writeCsv(partial, columns, produce);
    else await writeParquet(partial, columns, produce);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof KeelError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') {
      throw new KeelError(
        'invalid_argument',
        `cannot write ${path}: ${(error as Error).message}`,
        { file: path },
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

async function writeCsv(
  path: string,
  columns: readonly OutputColumn[],
  produce: (write: (chunk: OutputChunk) => Promise<void>) => Promise<void>,
): Promise<void> {
  const stream = createWriteStream(path);
  const failed = once(stream, 'error').then(([error]) => Promise.reject(error as Error));
  failed.catch(() => undefined);
  const put = async (text: string) => {
    if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
  };
  try {
    await Promise.race([once(stream, 'open'), failed]);
    await put(columns.map((c) => csvField(c.name)).join(',') + '\n');
    await produce(async (chunk) => {
      const rows = chunk[0]?.length ?? 0;
      const lines: string[] = new Array(rows);
      for (let i = 0; i < rows; i++) lines[i] = chunk.map((values) => csvField(values[i])).join(',');
      await put(lines.join('\n') + '\n');
    });
  } finally {
    stream.end();
    await Promise.race([once(stream, 'close'), failed]);
  }
}

/** A CSV field: quoted when it holds a delimiter, a quote, a line break or edge spaces; empty for null. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\n\r]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** DuckDB's vector size: an appended chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

async function writeParquet(
  path: string,
  columns: readonly OutputColumn[],
  produce: (write: (chunk: OutputChunk) => Promise<void>) => Promise<void>,
): Promise<void> {
  const types = columns.map((c) => (c.type === 'text' ? VARCHAR : c.type === 'integer' ? BIGINT : DOUBLE));
  // A table of this call's own in the shared in-memory database: DuckDB spills it when it grows.
  const table = `keel_output_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  await withDuckDB(async (connection) => {
    const definition = columns.map((c, j) => `${quotedIdentifier(c.name)} ${types[j].toString()}`).join(', ');
    await connection.run(`CREATE TABLE ${table} (${definition})`);
    try {
      const appender = await connection.createAppender(table);
      try {
        await produce(async (chunk) => {
          const rows = chunk[0]?.length ?? 0;
          for (let start = 0; start < rows; start += CHUNK_ROWS) {
            const n = Math.min(CHUNK_ROWS, rows - start);
            const data = DuckDBDataChunk.create(types, n);
            chunk.forEach((values, j) => {
              const part = values.slice(start, start + n);
              data.setColumnValues(j, columns[j].type === 'integer' ? part.map(toBigInt) : (part as DuckDBValue[]));
            });
            appender.appendDataChunk(data);
          }
        });
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await connection.run(`COPY ${table} TO ${quotedString(path)} (FORMAT parquet)`);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${table}`);
    }
  });
}

function toBigInt(value: string | number | null): bigint | null {
  return value === null ? null : BigInt(Math.trunc(Number(value)));
}
