import { tmpdir } from 'node:os';
import { join } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import {
  DuckDBInstance,
  DuckDBVarCharVector,
  quotedIdentifier,
  quotedString,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { KeelError, type Column, type Table } from '../core/index.js';

export { quotedIdentifier, quotedString };

let instance: Promise<DuckDBInstance> | undefined;

/**
 * Runs `work` on a fresh connection to the process's one in-memory DuckDB. DuckDB is only an
 * engine here (files in, files or columns out), so nothing needs to outlive a call; one shared
 * instance keeps its thread pool and caches warm across calls.
 */
export async function withDuckDB<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  // Spills of large sorts and aggregates go to the OS temp folder, not `.tmp` in the cwd.
  instance ??= DuckDBInstance.create(':memory:', { temp_directory: join(tmpdir(), 'keel-duckdb') });
  let db: DuckDBInstance;
  try {
    db = await instance;
  } catch (error) {
    instance = undefined;
    throw error;
  }
  const connection = await db.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
  }
}

/**
 * Writes NaN over the NULL entries of `n` values at `offset` (validity bit i clear; a null mask
 * means every value is present), checking the present ones are finite when asked to.
 */
function applyValidity(
  values: Float64Array,
  offset: number,
  n: number,
  validity: Uint8Array | null | undefined,
  options: ReadRelationOptions,
): void {
  for (let i = 0; i < n; i++) {
    const present = !validity || (validity[i >> 3] & (1 << (i & 7))) !== 0;
    if (!present) values[offset + i] = NaN;
    else if (options.finiteOnly && !Number.isFinite(values[offset + i])) throw new NonFiniteValue();
  }
}

/** A double as SQL, exactly: a bare decimal literal would be parsed as DECIMAL and rounded again. */
export function sqlDouble(value: number): string {
  return `CAST('${String(value)}' AS DOUBLE)`;
}

/** How a DuckDB column type maps onto Keel's logical types (`text` = categorical or string). */
export type StorageType = 'integer' | 'float' | 'boolean' | 'datetime' | 'text';

export function storageTypeOf(duckdbType: string): StorageType {
  const type = duckdbType.toUpperCase();
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/.test(type)) return 'integer';
  if (type === 'DOUBLE' || type === 'FLOAT' || type.startsWith('DECIMAL')) return 'float';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE' || type.startsWith('TIMESTAMP')) return 'datetime';
  return 'text';
}

export interface RelationColumn {
  readonly name: string;
  readonly type: StorageType;
}

/** Column names and storage types of `relation` (a table function call or a parenthesised query). */
export async function describeRelation(connection: DuckDBConnection, relation: string): Promise<RelationColumn[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return reader.getRowsJS().map((row) => ({ name: String(row[0]), type: storageTypeOf(String(row[1])) }));
}

/**
 * Results up to this many cells are materialised by DuckDB before they are fetched: that runs
 * the whole query in parallel and fetches about 40% faster than a streaming result. Larger ones
 * stream, so DuckDB never holds a second copy of a big table.
 */
const MATERIALIZE_MAX_CELLS = 2 ** 26;

export interface ReadRelationOptions {
  /**
   * Refuse a value that is present but not finite (NaN, ±Infinity), throwing NonFiniteValue:
   * for readers whose types were guessed and must be confirmed (see readCsvTable's fast path).
   */
  readonly finiteOnly?: boolean;
}

/** A present value that is NaN or infinite, in a read that refuses them. */
export class NonFiniteValue extends Error {}

/**
 * Reads `columns` of `relation` into a Table chunk by chunk: numbers (and booleans as 0/1)
 * into Float64Arrays, NaN where DuckDB has NULL, everything else as text. No per-row objects
 * are built, and numeric vectors are copied as bytes: one memcpy per chunk and column, then
 * NaN written where the validity mask has NULL. `rows` is the row count when known; without it
 * the result is materialised and counted by DuckDB.
 */
export async function readRelation(
  connection: DuckDBConnection,
  relation: string,
  columns: readonly RelationColumn[],
  knownRows?: number,
  options: ReadRelationOptions = {},
): Promise<Table> {
  const numeric = columns.map((c) => c.type === 'integer' || c.type === 'float' || c.type === 'boolean');
  const selectList = columns
    .map((c, j) => `CAST(${quotedIdentifier(c.name)} AS ${numeric[j] ? 'DOUBLE' : 'VARCHAR'})`)
    .join(', ');
  const sql = `SELECT ${selectList || 'NULL'} FROM ${relation}`;
  const materialize = knownRows === undefined || knownRows * columns.length <= MATERIALIZE_MAX_CELLS;
  const materialized = materialize ? await connection.run(sql) : null;
  const result = materialized ?? (await connection.stream(sql));
  const rows = knownRows ?? materialized?.rowCount ?? 0;
  const numbers = columns.map((_, j) => (numeric[j] ? new Float64Array(rows) : null));
  const texts = columns.map((_, j) => (numeric[j] ? null : new Array<string | null>(rows)));

  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    if (offset + n > rows) throw new KeelError('internal', `${relation} has more rows than the ${rows} counted`);
    for (let j = 0; j < columns.length; j++) {
      const numberValues = numbers[j];
      const textValues = texts[j];
      if (numberValues) {
        const vector = duckdb.data_chunk_get_vector(chunk.chunk, j);
        // A byte copy, so the source needs no 8-byte alignment.
        new Uint8Array(numberValues.buffer, offset * 8, n * 8).set(
          duckdb.vector_get_data(vector, n * 8).subarray(0, n * 8),
        );
        applyValidity(numberValues, offset, n, duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8), options);
        continue;
      }
      const vector = chunk.getColumnVector(j);
      if (textValues && vector instanceof DuckDBVarCharVector) {
        for (let i = 0; i < n; i++) textValues[offset + i] = vector.getItem(i);
      } else {
        throw new KeelError('internal', `unexpected DuckDB vector for column "${columns[j].name}"`);
      }
    }
    offset += n;
  }
  if (offset !== rows) throw new KeelError('internal', `${relation} has ${offset} rows, ${rows} were counted`);

  return {
    rows,
    columns: columns.map((c, j): Column => {
      const numberValues = numbers[j];
      return numberValues
        ? { name: c.name, kind: 'number', values: numberValues }
        : { name: c.name, kind: 'string', values: texts[j] ?? [] };
    }),
  };
}
