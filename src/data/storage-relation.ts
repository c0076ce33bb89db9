import type { DuckDBConnection } from '@duckdb/node-api';
import { quotedIdentifier, quotedString, storageTypeOf, type RelationColumn, type StorageType } from './duckdb.js';

/** Field values read as missing unless a source says otherwise. */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', '?'];

/** Sorted and deduplicated: the list is a set, and its spelling must not change the content hash. */
export function resolveMissingMarkers(markers: readonly string[] | undefined): string[] {
  return [...new Set(markers ?? DEFAULT_MISSING)].sort();
}

export const WHITESPACE_SQL = `' ' || chr(9) || chr(10) || chr(13)`;

/** The text `c` is empty or whitespace-only, testing the cheap conditions first (DuckDB's CASE short-circuits). */
export const blankSql = (c: string): string =>
  `${c} = '' OR (ascii(${c}) IN (9, 10, 13, 32) AND trim(${c}, ${WHITESPACE_SQL}) = '')`;

/** A relation whose columns have Keel's storage types. */
export interface StorageRelation {
  readonly columns: readonly RelationColumn[];
  /** A parenthesised query, usable wherever DuckDB takes a relation. */
  readonly select: string;
}

/**
 * Maps the columns of a typed relation (Parquet, JSON) onto the DuckDB types a CSV import
 * writes — BIGINT, DOUBLE, BOOLEAN, TIMESTAMP (UTC) and VARCHAR — so every dataset version is
 * profiled and read the same way whatever its source. Nested values (lists, structs, maps, and
 * the JSON of a column whose values have mixed types) become JSON text; then see `withMissing`.
 */
export async function storageRelation(
  connection: DuckDBConnection,
  relation: string,
  missing: readonly string[],
): Promise<StorageRelation> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  const mapped = reader.getRowsJS().map((row) => storageColumn(String(row[0]), String(row[1])));
  const columns = mapped.map(({ name, type }): RelationColumn => ({ name, type }));
  const casts = mapped.map((c) => `${c.expression} AS ${quotedIdentifier(c.name)}`);
  return { columns, select: withMissing(`(SELECT ${casts.join(', ')} FROM ${relation})`, columns, missing) };
}

/**
 * Missing values made NULL in a relation already of storage types. Float columns hold finite
 * numbers only, as a CSV import reads them: NaN is how Keel's tables spell missing, and the
 * profile's statistics are undefined over infinities. In text columns whitespace-only values and
 * the `missing` markers are missing, as in a CSV; `missing: null` leaves text as it is, for
 * sources (SQL) that have a NULL of their own.
 */
export function withMissing(
  relation: string,
  columns: readonly RelationColumn[],
  missing: readonly string[] | null,
): string {
  const markers = missing && missing.length > 0 ? `${missing.map(quotedString).join(', ')}` : null;
  const selectList = columns.map(({ name, type }) => {
    const c = quotedIdentifier(name);
    let expression = c;
    if (type === 'float') expression = `CASE WHEN isfinite(${c}) THEN ${c} END`;
    else if (type === 'text' && missing) {
      expression = `CASE WHEN ${markers ? `${c} IN (${markers}) OR ` : ''}${blankSql(c)} THEN NULL ELSE ${c} END`;
    }
    return `${expression} AS ${c}`;
  });
  return `(SELECT ${selectList.join(', ')} FROM ${relation})`;
}

/** Writes a relation as zstd Parquet, as every dataset version is stored; resolves to the rows written. */
export async function copyToParquet(connection: DuckDBConnection, relation: string, path: string): Promise<number> {
  const reader = await connection.runAndReadAll(
    `COPY (SELECT * FROM ${relation}) TO ${quotedString(path)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return Number(reader.getRowsJS()[0]?.[0] ?? 0);
}

interface StorageColumn extends RelationColumn {
  /** The SQL turning the source column into its storage type. */
  readonly expression: string;
}

function storageColumn(name: string, duckdbType: string): StorageColumn {
  const c = quotedIdentifier(name);
  const type = duckdbType.toUpperCase();
  const as = (storage: StorageType, expression: string): StorageColumn => ({ name, type: storage, expression });

  if (/\]$|^(STRUCT|MAP|UNION)\(/.test(type)) return as('text', `to_json(${c})::VARCHAR`);
  if (type === 'JSON') {
    // A JSON column holds values of mixed types: strings lose their quotes, the rest stays JSON.
    return as(
      'text',
      `CASE json_type(${c}) WHEN 'VARCHAR' THEN json_extract_string(${c}, '$') WHEN 'NULL' THEN NULL ELSE ${c}::VARCHAR END`,
    );
  }
  // Integers beyond BIGINT's range fit only a double.
  if (/^(UBIGINT|HUGEINT|UHUGEINT)$/.test(type)) return as('float', `CAST(${c} AS DOUBLE)`);
  const storage = storageTypeOf(type);
  switch (storage) {
    case 'integer':
      return as(storage, `CAST(${c} AS BIGINT)`);
    case 'float':
      return as(storage, `CAST(${c} AS DOUBLE)`);
    case 'boolean':
      return as(storage, c);
    case 'datetime':
      // Instants become UTC wall-clock times; local times are kept as they are.
      return as(storage, type === 'TIMESTAMP WITH TIME ZONE' ? `timezone('UTC', ${c})` : `CAST(${c} AS TIMESTAMP)`);
    case 'text':
      return as(storage, type === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)`);
  }
}
