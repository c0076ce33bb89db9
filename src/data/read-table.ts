import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KeelError, type Table } from '../core/index.js';
import { describeRelation, quotedString, readRelation, withDuckDB, type RelationColumn } from './duckdb.js';

export interface ReadTableOptions {
  /** Columns to read, in this order; default all. */
  readonly columns?: readonly string[];
}

/**
 * Reads a Parquet file into a columnar Table: numbers → Float64Array (NaN for missing),
 * booleans → 0/1, everything else → text. DuckDB fetches column chunks; no row objects are built.
 */
export async function readTable(parquetPath: string, options: ReadTableOptions = {}): Promise<Table> {
  return withParquet(parquetPath, async (connection, relation, available) => {
    const columns = selectColumns(parquetPath, available, options.columns);
    const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${relation}`);
    return readRelation(connection, relation, columns, Number(counted.getRowsJS()[0][0]));
  });
}

/** Opens a Parquet file as a DuckDB relation, with not_found / invalid_data errors naming it. */
export async function withParquet<T>(
  path: string,
  work: (connection: DuckDBConnection, relation: string, columns: RelationColumn[]) => Promise<T>,
): Promise<T> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new KeelError('not_found', `no Parquet file at ${path}`, { file: path });
  return withDuckDB(async (connection) => {
    const relation = `read_parquet(${quotedString(path)})`;
    let columns: RelationColumn[];
    try {
      columns = await describeRelation(connection, relation);
    } catch (error) {
      throw new KeelError('invalid_data', `${path} is not a readable Parquet file`, { file: path }, { cause: error });
    }
    return work(connection, relation, columns);
  });
}

function selectColumns(
  path: string,
  available: readonly RelationColumn[],
  wanted: readonly string[] | undefined,
): RelationColumn[] {
  if (!wanted) return [...available];
  return wanted.map((name) => {
    const found = available.find((c) => c.name === name);
    if (!found) throw new KeelError('invalid_argument', `${path} has no column "${name}"`, { field: name, file: path });
    return found;
  });
}
