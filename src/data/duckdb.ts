import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuckDBDoubleVector,
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
 * Streams `columns` of `relation` into a Table chunk by chunk: numbers (and booleans as 0/1)
 * into Float64Arrays, everything else as text. No per-row objects are built.
 */
export async function readRelation(
  connection: DuckDBConnection,
  relation: string,
  columns: readonly RelationColumn[],
  rows: number,
): Promise<Table> {
  const numeric = columns.map((c) => c.type === 'integer' || c.type === 'float' || c.type === 'boolean');
  const selectList = columns
    .map((c, j) => `CAST(${quotedIdentifier(c.name)} AS ${numeric[j] ? 'DOUBLE' : 'VARCHAR'})`)
    .join(', ');
  const numbers = columns.map((_, j) => (numeric[j] ? new Float64Array(rows) : null));
  const texts = columns.map((_, j) => (numeric[j] ? null : new Array<string | null>(rows)));

  const result = await connection.stream(`SELECT ${selectList || 'NULL'} FROM ${relation}`);
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    if (offset + n > rows) throw new KeelError('internal', `${relation} has more rows than the ${rows} counted`);
    for (let j = 0; j < columns.length; j++) {
      const vector = chunk.getColumnVector(j);
      const numberValues = numbers[j];
      const textValues = texts[j];
      if (numberValues && vector instanceof DuckDBDoubleVector) {
        for (let i = 0; i < n; i++) numberValues[offset + i] = vector.getItem(i) ?? NaN;
      } else if (textValues && vector instanceof DuckDBVarCharVector) {
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
