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

/**
 * Reads `columns` of `relation` into a Table chunk by chunk: numbers (and booleans as 0/1)
 * into Float64Arrays, everything else as text. No per-row objects are built, and numeric
 * vectors are copied as bytes: DuckDB turns NULL into NaN in the query, so each chunk's
 * column is one memcpy instead of a call per value.
 */
export async function readRelation(
  connection: DuckDBConnection,
  relation: string,
  columns: readonly RelationColumn[],
  rows: number,
): Promise<Table> {
  const numeric = columns.map((c) => c.type === 'integer' || c.type === 'float' || c.type === 'boolean');
  const selectList = columns
    .map((c, j) =>
      numeric[j]
        ? `coalesce(CAST(${quotedIdentifier(c.name)} AS DOUBLE), 'NaN'::DOUBLE)`
        : `CAST(${quotedIdentifier(c.name)} AS VARCHAR)`,
    )
    .join(', ');
  const numbers = columns.map((_, j) => (numeric[j] ? new Float64Array(rows) : null));
  const texts = columns.map((_, j) => (numeric[j] ? null : new Array<string | null>(rows)));

  const sql = `SELECT ${selectList || 'NULL'} FROM ${relation}`;
  const result =
    rows * columns.length <= MATERIALIZE_MAX_CELLS ? await connection.run(sql) : await connection.stream(sql);
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    if (offset + n > rows) throw new KeelError('internal', `${relation} has more rows than the ${rows} counted`);
    for (let j = 0; j < columns.length; j++) {
      const numberValues = numbers[j];
      const textValues = texts[j];
      if (numberValues) {
        const bytes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, j), n * 8);
        // A byte copy, so the source needs no 8-byte alignment.
        new Uint8Array(numberValues.buffer, offset * 8, n * 8).set(bytes.subarray(0, n * 8));
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
