import duckdb from '@duckdb/node-bindings';
import { DuckDBVarCharVector, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { KeelError, type Row } from '../core/index.js';
import { resolveCsvOptions, runCsvStep, typeCsv, type CsvOptions } from './csv.js';
import { quotedIdentifier, withDuckDB, type RelationColumn } from './duckdb.js';
import { batchFormat, type BatchFormat } from './read-batch.js';
import { withParquet } from './read-table.js';

/** A batch file opened for reading in chunks. */
export interface BatchRows {
  readonly path: string;
  /** Counted before reading. */
  readonly rows: number;
  /** Every column, with Keel's storage types (typed as an import types them). */
  readonly columns: readonly RelationColumn[];
  /**
   * The rows in file order, `chunkRows` at a time (default 8,192), as row objects of the named
   * columns: numbers (booleans 1/0), text (datetimes as DuckDB prints them, as training reads
   * them), null for missing (NaN too). Only one chunk is held at a time, whatever the file's size.
   */
  chunks(columns: readonly string[], chunkRows?: number): AsyncGenerator<Row[]>;
}

/**
 * Opens a batch file (CSV, TSV or Parquet: `format`, else by extension) for `work` to read in chunks: DuckDB
 * streams it, so a file of any size is never loaded whole. CSV and TSV are typed as an import
 * types them (`options` apply; TSV defaults to a tab delimiter).
 */
export async function withBatchRows<T>(
  path: string,
  options: CsvOptions & { readonly format?: BatchFormat },
  work: (batch: BatchRows) => Promise<T>,
): Promise<T> {
  const { format = batchFormat(path), ...csvOptions } = options;
  if (format === 'parquet') {
    return withParquet(path, async (connection, relation, columns) => {
      const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${relation}`);
      const rows = Number(counted.getRowsJS()[0][0]);
      return work(batchRows(connection, path, relation, columns, rows, (step) => parquetStep(path, step)));
    });
  }
  const resolved = resolveCsvOptions({
    ...csvOptions,
    ...(format === 'tsv' ? { delimiter: csvOptions.delimiter ?? '\t' } : {}),
  });
  return withDuckDB(async (connection) => {
    const csv = await typeCsv(connection, path, resolved);
    return work(batchRows(connection, path, csv.select, csv.columns, csv.rows, (step) => runCsvStep(path, step)));
  });
}

function batchRows(
  connection: DuckDBConnection,
  path: string,
  relation: string,
  columns: readonly RelationColumn[],
  rows: number,
  /** Runs a read, turning DuckDB's errors into ones naming the file (and line). */
  step: <T>(read: () => Promise<T>) => Promise<T>,
): BatchRows {
  return {
    path,
    rows,
    columns,
    async *chunks(names, chunkRows = 8192) {
      const selected = names.map((name) => {
        const column = columns.find((c) => c.name === name);
        if (!column)
          throw new KeelError('invalid_argument', `${path} has no column "${name}"`, { file: path, field: name });
        return column;
      });
      const numeric = selected.map((c) => c.type === 'integer' || c.type === 'float' || c.type === 'boolean');
      const list = selected.map((c, j) => `CAST(${quotedIdentifier(c.name)} AS ${numeric[j] ? 'DOUBLE' : 'VARCHAR'})`);
      const result = await step(() => connection.stream(`SELECT ${list.join(', ') || 'NULL'} FROM ${relation}`));
      let pending: Row[] = [];
      for (;;) {
        const chunk = await step(() => result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) break;
        const values = names.map((_, j) => columnValues(chunk, j, numeric[j]));
        for (let i = 0; i < chunk.rowCount; i++) {
          const row: Record<string, unknown> = {};
          for (let j = 0; j < names.length; j++) row[names[j]] = values[j][i];
          pending.push(row);
        }
        if (pending.length >= chunkRows) {
          yield pending;
          pending = [];
        }
      }
      if (pending.length > 0) yield pending;
    },
  };
}

/**
 * One column of a chunk as JS values: a DOUBLE column is read straight from the vector's bytes
 * (NULL and NaN as null); VARCHAR through DuckDB's string reader.
 */
function columnValues(chunk: DuckDBDataChunk, j: number, numeric: boolean): ArrayLike<number | string | null> {
  const n = chunk.rowCount;
  if (!numeric) {
    const vector = chunk.getColumnVector(j);
    if (!(vector instanceof DuckDBVarCharVector))
      throw new KeelError('internal', `unexpected DuckDB vector in column ${j}`);
    const out = new Array<string | null>(n);
    for (let i = 0; i < n; i++) out[i] = vector.getItem(i);
    return out;
  }
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, j);
  // A copy, so the source needs no 8-byte alignment.
  const numbers = new Float64Array(n);
  new Uint8Array(numbers.buffer).set(duckdb.vector_get_data(vector, n * 8).subarray(0, n * 8));
  const validity = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const present = !validity || (validity[i >> 3] & (1 << (i & 7))) !== 0;
    out[i] = present && !Number.isNaN(numbers[i]) ? numbers[i] : null;
  }
  return out;
}

async function parquetStep<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof KeelError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new KeelError('invalid_data', `cannot read Parquet ${path}: ${reason}`, { file: path }, { cause: error });
  }
}
