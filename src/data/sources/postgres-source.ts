import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { hashValue, KeelError, type ErrorDetails } from '../../core/index.js';
import { uniqueNames } from '../csv.js';
import { quotedIdentifier, quotedString, type RelationColumn, type StorageType } from '../duckdb.js';
import { copyToParquet, withMissing } from '../storage-relation.js';
import type { SourceConfig, SourceContext, SourceOpener, WrittenParquet } from './source.js';

/** Rows per FETCH: enough to amortise the round trip, few enough that a batch is small in memory. */
const BATCH_ROWS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
const CURSOR = 'keel_import';
const DECLARE = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
const FETCH = `FETCH ${BATCH_ROWS} FROM ${CURSOR}`;

/**
 * The result of a SQL query against PostgreSQL. It runs in a read-only transaction behind a
 * server-side cursor, fetched in batches of BATCH_ROWS, so a large result never sits in memory:
 * each batch is appended to a DuckDB staging table on disk, then DuckDB casts it to Keel's
 * storage types and writes Parquet. The content hash covers the query, the result's columns and
 * every row as it streams, so the same rows (in the same order: give the query an ORDER BY) are
 * the same version. The recorded uri is the connection string without its password.
 */
export const openPostgresSource: SourceOpener<SourceConfig<'postgres'>> = async (config, context) => {
  const url = connectionString(config, context);
  const uri = withoutPassword(url);
  // A trailing `;` would end the DECLARE early; the cursor wraps one statement only.
  const query = config.query.trim().replace(/[\s;]+$/, '');
  if (query === '') throw new KeelError('invalid_argument', 'the PostgreSQL query is empty', { field: 'query' });
  const options = { query, ...(config.urlEnv ? { urlEnv: config.urlEnv } : {}) };
  const source = { url, uri, query, workDir: context.workDir };
  return {
    kind: 'postgres',
    uri,
    options,
    details: { url: uri },
    contentHash: null,
    writeParquet: (connection, parquetPath) => copyQueryToParquet(connection, source, parquetPath),
  };
};

interface QuerySource {
  readonly url: string;
  readonly uri: string;
  readonly query: string;
  readonly workDir: string;
}

async function copyQueryToParquet(
  connection: DuckDBConnection,
  source: QuerySource,
  parquetPath: string,
): Promise<WrittenParquet> {
  const client = new pg.Client({
    connectionString: source.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'keel import',
    types: { getTypeParser: rawText },
  });
  // A connection dropped by the server is reported through the pending query; without a
  // listener the 'error' event would crash the process instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(source.uri, error);
  }

  const staging = `keel_staging_${randomUUID().replaceAll('-', '')}`;
  let attached = false;
  try {
    await runQuery(client, source, 'BEGIN READ ONLY');
    // Values arrive as PostgreSQL's text; these settings make dates and instants ISO and UTC.
    await runQuery(client, source, `SET LOCAL TimeZone = 'UTC'`);
    await runQuery(client, source, `SET LOCAL DateStyle = 'ISO, YMD'`);
    await runQuery(client, source, `${DECLARE}${source.query}`);
    let batch = await runQuery(client, source, FETCH);
    if (batch.fields.length === 0) {
      throw new KeelError('invalid_argument', `the query returns no columns (${source.uri})`, {
        field: 'query',
        url: source.uri,
      });
    }
    const names = uniqueNames(batch.fields.map((f) => f.name));
    const types = batch.fields.map((f) => storageTypeOfOid(f.dataTypeID));
    const rowsHash = createHash('sha256').update(JSON.stringify(batch.fields.map((f) => [f.name, f.dataTypeID])));

    // Staged in a DuckDB file in the import's temp folder, so the rows spill to disk, not memory.
    await connection.run(`ATTACH ${quotedString(join(source.workDir, 'staging.duckdb'))} AS ${staging}`);
    attached = true;
    const staged = names.map((_, j) => `c${j} VARCHAR`).join(', ');
    await connection.run(`CREATE TABLE ${staging}.main.rows (${staged})`);
    const appender = await connection.createAppender('rows', 'main', staging);
    try {
      for (;;) {
        for (const row of batch.rows) {
          for (const value of row) {
            if (value === null) appender.appendNull();
            else appender.appendVarchar(value);
          }
          appender.endRow();
          rowsHash.update(JSON.stringify(row)).update('\n');
        }
        if (batch.rows.length < BATCH_ROWS) break;
        batch = await runQuery(client, source, FETCH);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await runQuery(client, source, 'COMMIT');

    const columns = names.map((name, j): RelationColumn => ({ name, type: types[j].type }));
    const casts = names.map((name, j) => `${types[j].cast(`c${j}`)} AS ${quotedIdentifier(name)}`);
    const typed = withMissing(`(SELECT ${casts.join(', ')} FROM ${staging}.main.rows)`, columns, null);
    let rows: number;
    try {
      rows = await copyToParquet(connection, typed, parquetPath);
    } catch (error) {
      throw new KeelError(
        'invalid_data',
        `cannot convert the rows of ${source.uri}: ${firstLine(error)}`,
        { url: source.uri },
        { cause: error },
      );
    }
    return {
      rows,
      contentHash: hashValue({ format: 'keel.postgres/1', query: source.query, rows: rowsHash.digest('hex') }),
    };
  } finally {
    await client.end().catch(() => undefined);
    if (attached) await connection.run(`DETACH ${staging}`).catch(() => undefined);
  }
}

// pg's parsers are overloaded by format; Keel only ever asks for text, and keeps it as text so
// that DuckDB does the casting (no JS Dates in the local time zone, no int8 precision lost).
const rawText = (() => (value: string) => value) as unknown as pg.CustomTypesConfig['getTypeParser'];

type Row = (string | null)[];

/** Runs one statement, turning PostgreSQL's errors into KeelErrors that say where in the query. */
async function runQuery(client: pg.Client, source: QuerySource, statement: string): Promise<pg.QueryArrayResult<Row>> {
  try {
    return await client.query<Row>({ text: statement, rowMode: 'array' });
  } catch (error) {
    throw queryError(source, error);
  }
}

interface PgError {
  readonly message: string;
  readonly code?: string;
  readonly position?: string;
}

function queryError(source: QuerySource, error: unknown): KeelError {
  const pgError = error as PgError;
  // No SQLSTATE: the connection failed rather than the query.
  if (!pgError.code || /^E[A-Z]+$/.test(pgError.code)) return connectError(source.uri, error);
  const details: ErrorDetails = { field: 'query', url: source.uri };
  // Positions count from the start of the DECLARE that wraps the query.
  const position = pgError.position ? Number(pgError.position) - DECLARE.length : NaN;
  const where = position > 0 ? ` at character ${position}` : '';
  const onlySelect =
    pgError.code === '42601' && !/^\s*(\(|select|with|values|table)\b/i.test(source.query)
      ? ' (only a SELECT query can be imported)'
      : '';
  return new KeelError(
    'invalid_argument',
    `the PostgreSQL query failed${where}: ${pgError.message}${onlySelect} (${source.uri})`,
    position > 0 ? { ...details, position } : details,
    { cause: error },
  );
}

function connectError(uri: string, error: unknown): KeelError {
  const { message, code } = error as PgError;
  const details = { url: uri };
  let reason: string;
  if (code === 'ECONNREFUSED') reason = 'connection refused (is the server running, and on that port?)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = 'unknown host';
  else if (code === '28P01' || code === '28000') {
    return new KeelError('invalid_argument', `PostgreSQL at ${uri} refused the login: ${message}`, details, {
      cause: error,
    });
  } else if (/timeout/i.test(message ?? '')) reason = `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  else reason = message ?? String(error);
  return new KeelError('not_found', `cannot connect to PostgreSQL at ${uri}: ${reason}`, details, { cause: error });
}

interface ColumnType {
  readonly type: StorageType;
  readonly cast: (column: string) => string;
}

// Built-in type oids (pg_type.oid), stable across PostgreSQL versions.
const INTEGER_OIDS = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOAT_OIDS = new Set([700, 701, 1700]); // float4, float8, numeric
const BOOLEAN_OID = 16;
const LOCAL_TIME_OIDS = new Set([1082, 1114]); // date, timestamp
const INSTANT_OID = 1184; // timestamptz

/**
 * PostgreSQL's text output cast by DuckDB to Keel's storage types. Dates and timestamps use
 * TRY_CAST because PostgreSQL allows values DuckDB does not (years BC); those become missing.
 * Everything else (text, json, arrays, intervals, uuid…) stays as PostgreSQL prints it.
 */
function storageTypeOfOid(oid: number): ColumnType {
  if (INTEGER_OIDS.has(oid)) return { type: 'integer', cast: (c) => `CAST(${c} AS BIGINT)` };
  if (FLOAT_OIDS.has(oid)) return { type: 'float', cast: (c) => `CAST(${c} AS DOUBLE)` };
  if (oid === BOOLEAN_OID) return { type: 'boolean', cast: (c) => `CAST(${c} AS BOOLEAN)` };
  if (LOCAL_TIME_OIDS.has(oid)) return { type: 'datetime', cast: (c) => `TRY_CAST(${c} AS TIMESTAMP)` };
  if (oid === INSTANT_OID) return { type: 'datetime', cast: (c) => `timezone('UTC', TRY_CAST(${c} AS TIMESTAMPTZ))` };
  return { type: 'text', cast: (c) => c };
}

function connectionString(config: SourceConfig<'postgres'>, context: SourceContext): string {
  if (config.url && config.urlEnv) {
    throw new KeelError('invalid_argument', 'a postgres source takes url or urlEnv, not both', { field: 'urlEnv' });
  }
  let url = config.url;
  if (config.urlEnv) {
    url = context.env[config.urlEnv];
    if (!url) {
      throw new KeelError('invalid_argument', `the environment variable ${config.urlEnv} (urlEnv) is not set`, {
        field: 'urlEnv',
      });
    }
  }
  if (!url) {
    throw new KeelError('invalid_argument', 'a postgres source needs url (or urlEnv naming a variable holding it)', {
      field: 'url',
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new KeelError('invalid_argument', 'a postgres url looks like postgres://user@host:5432/database', {
      field: config.urlEnv ? 'urlEnv' : 'url',
    });
  }
  return url;
}

/** The connection string without secrets: it is recorded on the version and shown in messages. */
function withoutPassword(connectionString: string): string {
  const url = new URL(connectionString);
  url.password = '';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) url.searchParams.delete(key);
  }
  return url.toString();
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].replace(/^[A-Za-z ]*Error: /, '');
}
