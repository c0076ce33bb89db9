import BetterSqlite3 from 'better-sqlite3';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect,
  type RawBuilder,
} from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl, type RunSearch } from '../../src/store/index.js';
// The benchmark asks the database how it runs the store's own statement, so it builds that
// statement with the store's planner (a store internal, on purpose: no API exposes SQL).
import { planSearch } from '../../src/store/sql/run-search.js';

/** How the database runs the first page of a search. */
export interface SearchPlanSummary {
  /** `window`: the walk of the sort order's first runs filled the page; `lookup`: the filter's indexes found the runs. */
  readonly strategy: 'window' | 'lookup';
  /**
   * `index`: every table is read through an index. `ordered-scan`: `runs` is walked in its
   * stored order (newest first) and the walk stops early — at the page or at the window's end.
   * `scan`: a table is read in full.
   */
  readonly access: 'index' | 'ordered-scan' | 'scan';
  /** Tables read without an index. */
  readonly scans: string[];
  /** The plan of the statement that produced the page, one node a line. */
  readonly lines: string[];
}

const TABLES = new Set(['runs', 'run_params', 'run_latest_metrics', 'run_tags', 'run_metrics']);

/** Runs the search's first page as the store does and explains the statement that produced it. */
export async function explainSearch(url: string, query: RunSearch): Promise<SearchPlanSummary> {
  const location = parseDatabaseUrl(url);
  const need = (query.limit ?? 100) + 1;
  const plan = planSearch(query);
  const window = plan.window(0, need);
  const statements = { window, lookup: plan.statement(0, 0, need) };
  if (location.kind === 'sqlite') {
    const db = new BetterSqlite3(location.path, { readonly: true });
    try {
      db.pragma('case_sensitive_like = ON');
      const compile = (statement: RawBuilder<unknown>) => statement.compile(compiler(sqliteDialect));
      let strategy: SearchPlanSummary['strategy'] = 'lookup';
      if (window) {
        const { sql, parameters } = compile(window);
        if (db.prepare(sql).all(...(parameters as unknown[])).length >= need) strategy = 'window';
      }
      const { sql, parameters } = compile(statements[strategy]!);
      const rows = db.prepare(`explain query plan ${sql}`).all(...(parameters as unknown[])) as Array<{
        detail: string;
      }>;
      const lines = rows.map((row) => row.detail);
      const scans = lines.flatMap((line) => /^SCAN (\w+)$/.exec(line)?.[1] ?? []).filter((table) => TABLES.has(table));
      // `SCAN runs` walks the table in rowid (= seq, newest-first) order. It stops early in a
      // window (at the window's end) or when nothing is sorted after it (at the page's end).
      const stopsEarly = strategy === 'window' || !lines.some((line) => line.includes('TEMP B-TREE FOR'));
      const access =
        scans.length === 0 ? 'index' : stopsEarly && scans.every((table) => table === 'runs') ? 'ordered-scan' : 'scan';
      return { strategy, access, scans, lines };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.connectionString });
  await client.connect();
  try {
    if (location.schema) await client.query(`set search_path to "${location.schema}"`);
    const compile = (statement: RawBuilder<unknown>) => statement.compile(compiler(postgresDialect));
    let strategy: SearchPlanSummary['strategy'] = 'lookup';
    if (window) {
      const { sql, parameters } = compile(window);
      if ((await client.query(sql, parameters as unknown[])).rows.length >= need) strategy = 'window';
    }
    const { sql, parameters } = compile(statements[strategy]!);
    const result = await client.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, parameters as unknown[]);
    const lines = result.rows.map((row) => row['QUERY PLAN']);
    const scans = lines
      .flatMap((line) => /Seq Scan on (\w+)/.exec(line)?.[1] ?? [])
      .filter((table) => TABLES.has(table));
    return { strategy, access: scans.length === 0 ? 'index' : 'scan', scans, lines };
  } finally {
    await client.end();
  }
}

const sqliteDialect: Dialect = {
  createAdapter: () => new SqliteAdapter(),
  createDriver: () => new DummyDriver(),
  createIntrospector: (db) => new SqliteIntrospector(db),
  createQueryCompiler: () => new SqliteQueryCompiler(),
};

const postgresDialect: Dialect = {
  createAdapter: () => new PostgresAdapter(),
  createDriver: () => new DummyDriver(),
  createIntrospector: (db) => new PostgresIntrospector(db),
  createQueryCompiler: () => new PostgresQueryCompiler(),
};

function compiler(dialect: Dialect): Kysely<unknown> {
  return new Kysely<unknown>({ dialect });
}
