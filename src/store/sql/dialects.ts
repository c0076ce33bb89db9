import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Dialect,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { KeelError } from '../../core/index.js';

/**
 * One small factory per backend. Each returns the Kysely dialect plus what the store needs to
 * know about the backend as *capabilities*, so store logic never asks which database it is on.
 */
export interface SqlBackend {
  readonly name: 'sqlite' | 'postgres';
  readonly dialect: Dialect;
  readonly capabilities: DialectCapabilities;
  /** The schema holding Keel's tables, on backends that have schemas. */
  readonly schema?: string;
  /** Where the database is, for messages; never contains credentials. */
  readonly location: string;
  /** Recognises the driver errors the store expects to happen; null for anything else. */
  classifyError(error: unknown): DriverErrorKind | null;
}

export interface DialectCapabilities {
  /**
   * `select … for update` exists. Backends without it allow one writer at a time (SQLite write
   * transactions begin `immediate`), so a transaction never needs to lock single rows there.
   */
  readonly supportsRowLocks: boolean;
  /** `generated … as identity` columns; without them an auto-numbered key is `integer primary key`. */
  readonly supportsIdentityColumns: boolean;
  /** The most bound parameters one statement may carry; batches are chunked below it. */
  readonly maxParameters: number;
  /** The placeholder of the n-th bound parameter (from 0) in hand-built SQL. */
  readonly placeholder: (n: number) => string;
}

export type DriverErrorKind = 'unique_violation' | 'foreign_key_violation' | 'busy';

// ---------------------------------------------------------------------------------------------
// SQLite

/** How long a write waits for another process's write to finish before giving up. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** `path` is a file path or `:memory:`. Creates the file's folder. */
export function sqliteBackend(path: string): SqlBackend {
  const inMemory = path === ':memory:';
  if (!inMemory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new KeelError('internal', `Cannot create the folder of ${path}: ${(error as Error).message}`, {
        file: path,
      });
    }
  }
  return {
    name: 'sqlite',
    location: inMemory ? 'sqlite::memory:' : `sqlite://${path}`,
    dialect: new KeelSqliteDialect({
      database: async () => {
        const database = new BetterSqlite3(path);
        // WAL lets readers in other processes (the server, the CLI) read during a write.
        database.pragma('journal_mode = WAL');
        database.pragma('synchronous = NORMAL');
        database.pragma('foreign_keys = ON');
        database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
        // LIKE is case-sensitive, as on PostgreSQL; run search's ILIKE compares lower(…) instead.
        database.pragma('case_sensitive_like = ON');
        return withStatementCache(database);
      },
    }),
    capabilities: {
      supportsRowLocks: false,
      supportsIdentityColumns: false,
      maxParameters: 32_766,
      placeholder: () => '?',
    },
    classifyError(error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code !== 'string') return null;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique_violation';
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key_violation';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
      return null;
    },
  };
}

/**
 * Kysely's SQLite dialect with two changes. Transactions begin `immediate`, taking the write
 * lock up front: a deferred transaction that reads and then writes fails with SQLITE_BUSY when
 * another process wrote in between, instead of waiting. And DDL runs in a transaction (SQLite
 * supports it), so two processes migrating a fresh file at once cannot interleave.
 */
class KeelSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Statements kept prepared per connection (the store's queries are a few hundred distinct texts). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The connection as Kysely's SQLite driver sees it, with its statements prepared once per SQL
 * text. The driver prepares every query it runs; preparing costs about as much as running a
 * small insert, and the prediction log's appends repeat a few texts many times a second.
 * better-sqlite3 runs one statement at a time per connection, so a cached statement is never
 * reused while it is running (Keel never streams from SQLite; `iterate()` would be the exception).
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement) {
        // Most recently used last: the first entry is the one to drop.
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Connects once to check the server is reachable (failing with a message that says where),
 * creates `schema` when given and missing, and returns a pooled dialect whose connections use
 * that schema.
 */
export async function postgresBackend(connectionString: string, schema?: string): Promise<SqlBackend> {
  const location = redactPassword(connectionString) + (schema ? ` (schema ${schema})` : '');
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new KeelError('invalid_argument', `Invalid PostgreSQL schema name "${schema}": use letters, digits and _.`, {
      field: 'schema',
    });
  }

  // A bounded wait, so an unreachable host fails the open instead of hanging it.
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  let resolvedSchema = schema;
  try {
    await client.connect();
    if (schema) {
      // `if not exists` still races on PostgreSQL: a concurrent creator wins with a unique violation.
      await client.query(`create schema if not exists "${schema}"`).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== '23505') throw error;
      });
    } else {
      const result = await client.query<{ schema: string | null }>('select current_schema() as schema');
      resolvedSchema = result.rows[0].schema ?? undefined;
    }
  } catch (error) {
    throw new KeelError(
      'internal',
      `Cannot use PostgreSQL at ${location}: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }

  // int8 arrives as text by default; Keel's counts, sizes and ids stay far below 2^53.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const pool = new pg.Pool({
    connectionString,
    types,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });

  return {
    name: 'postgres',
    location,
    schema: resolvedSchema,
    dialect: new PostgresDialect({ pool }),
    capabilities: {
      supportsRowLocks: true,
      supportsIdentityColumns: true,
      maxParameters: 65_535,
      placeholder: (n) => `$${n + 1}`,
    },
    classifyError(error) {
      switch ((error as { code?: unknown } | null)?.code) {
        case '23505':
          return 'unique_violation';
        case '23503':
          return 'foreign_key_violation';
        case '40001': // serialization_failure
        case '40P01': // deadlock_detected
        case '55P03': // lock_not_available
          return 'busy';
        default:
          return null;
      }
    },
  };
}

function redactPassword(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}
