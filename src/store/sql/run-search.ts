import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { KeelError } from '../../core/index.js';
import type {
  RunAttribute,
  RunCondition,
  RunField,
  RunFilter,
  RunFilterOp,
  RunFilterValue,
  RunOrder,
  RunQuery,
} from '../metadata-store.js';
import type { RunRow } from './schema.js';

/**
 * Run search as SQL: a parsed filter and sort keys become statements written with Kysely's
 * `sql`, so the one text runs on every backend. Every part is an index lookup:
 *
 * - a condition on a metric, param or tag is `runs.id in (select run_id from … where key = ?
 *   and value …)`, read from the (key, value, run_id) index; `and`/`or` combine such terms;
 * - a condition on an attribute is a predicate on a column of `runs` (indexed by experiment,
 *   start time, name, status and parent);
 * - a condition on the first sort key narrows that key's index range instead.
 *
 * A page of a sorted search is found one of two ways. The *window* statement walks the first
 * WINDOW runs of the sort order (an index scan) and checks the rest of the filter on each by
 * primary key; if that fills the page, the page is right, because the window is a prefix of the
 * order. Otherwise the filter is selective, and the plain statement lets the filter's indexes
 * find its runs, then sorts them. Either way a query costs a few thousand index probes at most,
 * whether or not the database has statistics to choose by (SQLite, by default, has none).
 *
 * Sorting puts runs lacking the first key's value (no such metric, NaN, no end time) last in
 * either direction. Rather than a `nulls last` sort, which no index can serve, a search has two
 * phases: phase 0 joins the first key's rows, so the sort walks its index in order and stops at
 * the page's end; phase 1, reached only past the last run that has the key, lists the others.
 * A filter on the first key itself leaves no phase 1. A page token records the phase and the
 * offset in it.
 */

/** A page starts at `offset` within `phase`. */
export interface PageStart {
  readonly phase: number;
  readonly offset: number;
}

export interface SearchPlan {
  /** How many phases the search has: 2 when the first sort key can be missing, else 1. */
  readonly phases: number;
  /** The statement listing `phase`'s runs from `offset`, at most `limit` of them (all when null). */
  statement(phase: number, offset: number, limit: number | null): RawBuilder<RunRow>;
  /**
   * Phase 0's page found by walking the first WINDOW runs of the sort order and checking the
   * rest of the filter on each: when that finds the page, it is the page (the window is a
   * prefix of the order), in a few thousand index probes whatever the database's statistics
   * say. Null when the filter needs no per-run checks, or the page lies too deep.
   */
  window(offset: number, limit: number): RawBuilder<RunRow> | null;
}

const keyTables = { metric: 'run_latest_metrics', param: 'run_params', tag: 'run_tags' } as const;

interface AttributeColumn {
  readonly column: string;
  readonly nullable: boolean;
  readonly type: 'text' | 'time';
}

const attributeColumns: Readonly<Record<RunAttribute, AttributeColumn>> = {
  run_id: { column: 'id', nullable: false, type: 'text' },
  name: { column: 'name', nullable: false, type: 'text' },
  experiment: { column: 'experiment', nullable: false, type: 'text' },
  status: { column: 'status', nullable: false, type: 'text' },
  start_time: { column: 'started_at', nullable: false, type: 'time' },
  end_time: { column: 'ended_at', nullable: true, type: 'time' },
  parent_run_id: { column: 'parent_run_id', nullable: true, type: 'text' },
  pipeline_run_id: { column: 'pipeline_run_id', nullable: true, type: 'text' },
  config_hash: { column: 'config_hash', nullable: true, type: 'text' },
  git_commit: { column: 'git_commit', nullable: true, type: 'text' },
};

const textOps: readonly RunFilterOp[] = ['=', '!=', 'like', 'ilike', 'in', 'not in'];
const numberOps: readonly RunFilterOp[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
const timeOps: readonly RunFilterOp[] = ['=', '!=', '<', '<=', '>', '>='];

export function planSearch(query: RunQuery): SearchPlan {
  const filter = query.filter === undefined ? null : checkFilter(query.filter);
  const orderBy = (query.orderBy ?? []).map(checkOrder);
  const [first, ...rest] = orderBy;
  const direction = sql.raw(first?.direction ?? 'desc');
  const firstKey = first !== undefined && first.field.kind !== 'attribute' ? first.field : null;

  // The filter's top-level `and`, split by what can answer each part: a condition on the first
  // sort key narrows that key's index range; one on a column of `runs` stays a column predicate;
  // the rest (other keys, `or`) are checked per run.
  const onRuns: RawBuilder<SqlBool>[] = [];
  if (query.experiment !== undefined) onRuns.push(sql`runs.experiment = ${query.experiment}`);
  if (query.pipelineRunId !== undefined) onRuns.push(sql`runs.pipeline_run_id = ${query.pipelineRunId}`);
  if (query.parentRunId !== undefined) onRuns.push(sql`runs.parent_run_id = ${query.parentRunId}`);
  const onFirstKey: RunCondition[] = [];
  const perRun: RunFilter[] = [];
  for (const clause of filter === null ? [] : filter.kind === 'and' ? filter.clauses : [filter]) {
    if (clause.kind === 'condition' && clause.field.kind === 'attribute') onRuns.push(whereOf(clause, 'lookup'));
    else if (clause.kind === 'condition' && firstKey && sameKey(clause.field, firstKey)) onFirstKey.push(clause);
    else perRun.push(clause);
  }
  // A run the filter keeps has the filtered key, so a filter on the first key leaves no phase 1.
  const hasMissingPhase = first !== undefined && canBeMissing(first.field) && onFirstKey.length === 0;

  /** The first key's value in phase 0 (joining a key's row as `sort0`), adding the predicates on it. */
  const firstValue = (joins: RawBuilder<unknown>[], conditions: RawBuilder<SqlBool>[]): RawBuilder<unknown> => {
    const field = first!.field;
    let value: RawBuilder<unknown>;
    if (field.kind === 'attribute') {
      value = sql.ref(`runs.${attributeColumns[field.name].column}`);
    } else {
      joins.push(
        sql` join ${sql.table(keyTables[field.kind])} sort0 on sort0.run_id = runs.id and sort0.key = ${field.key}`,
      );
      value = sql.ref('sort0.value');
      for (const condition of onFirstKey) conditions.push(valueCondition(value, condition));
    }
    if (canBeMissing(field)) conditions.push(sql<SqlBool>`${value} is not null`);
    return value;
  };
  // A key's index ends in run_id, so ties on a key come in index order; on a column, in seq order.
  const tieBreak = firstKey ? sql`sort0.run_id ${direction}` : sql`runs.seq ${direction}`;

  return {
    phases: hasMissingPhase ? 2 : 1,
    statement(phase, offset, limit) {
      const joins: RawBuilder<unknown>[] = [];
      const conditions = [...onRuns, ...perRun.map((clause) => whereOf(clause, 'lookup'))];
      const order: RawBuilder<unknown>[] = [];
      if (first !== undefined && phase === 0) order.push(sql`${firstValue(joins, conditions)} ${direction}`);
      else if (first !== undefined) conditions.push(missing(first.field));
      rest.forEach((key, i) => {
        const value = sortValue(key.field, `sort${i + 1}`, joins);
        order.push(sql`case when ${value} is null then 1 else 0 end`, sql`${value} ${sql.raw(key.direction)}`);
      });
      order.push(phase === 0 ? tieBreak : sql`runs.seq ${direction}`);
      return select(joins, conditions, order, offset, limit);
    },
    window(offset, limit) {
      if (perRun.length === 0 || rest.length > 0 || offset + limit > WINDOW / 4) return null;
      const inner: RawBuilder<SqlBool>[] = [];
      const outer = perRun.map((clause) => whereOf(clause, 'probe'));
      let walk: RawBuilder<unknown>;
      let order: RawBuilder<unknown>[];
      if (firstKey) {
        const value = sql.ref('sort0.value');
        for (const condition of onFirstKey) inner.push(valueCondition(value, condition));
        walk = sql`select sort0.run_id, sort0.value from ${sql.table(keyTables[firstKey.kind])} sort0 where sort0.key = ${firstKey.key} and sort0.value is not null${and(inner)} order by sort0.value ${direction}, sort0.run_id ${direction}`;
        outer.push(...onRuns);
        order = [sql`w.value ${direction}`, sql`w.run_id ${direction}`];
      } else {
        const joins: RawBuilder<unknown>[] = [];
        inner.push(...onRuns);
        const column = first ? [sql`${firstValue(joins, inner)} ${direction}`] : [];
        walk = sql`select runs.id as run_id from runs${where(inner)} order by ${sql.join([...column, tieBreak])}`;
        order = [...column, tieBreak];
      }
      return sql<RunRow>`select runs.* from (${walk} limit ${WINDOW}) w join runs on runs.id = w.run_id${where(outer)} order by ${sql.join(order)} limit ${limit} offset ${offset}`;
    },
  };
}

/**
 * How many runs of the sort order the window statement looks at. When fewer than a page of
 * them pass the filter, the filter is selective, and its own indexes find its runs faster.
 */
const WINDOW = 2_000;

function sameKey(a: RunField, b: RunField): boolean {
  return a.kind !== 'attribute' && a.kind === b.kind && a.key === (b as { key: string }).key;
}

function and(conditions: readonly RawBuilder<SqlBool>[]): RawBuilder<unknown> {
  return conditions.length > 0 ? sql` and ${sql.join(conditions, sql` and `)}` : sql``;
}

function where(conditions: readonly RawBuilder<SqlBool>[]): RawBuilder<unknown> {
  return conditions.length > 0 ? sql` where ${sql.join(conditions, sql` and `)}` : sql``;
}

function select(
  joins: readonly RawBuilder<unknown>[],
  conditions: readonly RawBuilder<SqlBool>[],
  order: readonly RawBuilder<unknown>[],
  offset: number,
  limit: number | null,
): RawBuilder<RunRow> {
  // Only `listRuns` asks for every row, and it starts each phase at its beginning.
  const page = limit === null ? sql`` : sql` limit ${limit} offset ${offset}`;
  return sql<RunRow>`select runs.* from runs${sql.join(joins, sql``)}${where(conditions)} order by ${sql.join(order)}${page}`;
}

/**
 * Fetches the page from `start`: `limit` runs (every run when null) and where the next page
 * starts, or null when this is the last.
 */
export async function fetchPage(
  plan: SearchPlan,
  start: PageStart,
  limit: number | null,
  execute: (statement: RawBuilder<RunRow>) => Promise<RunRow[]>,
): Promise<{ rows: RunRow[]; next: PageStart | null }> {
  // One row past the page tells whether there is a next page.
  const wanted = limit === null ? null : limit + 1;
  const rows: RunRow[] = [];
  const positions: PageStart[] = [];
  for (let phase = start.phase, offset = start.offset; phase < plan.phases; phase++, offset = 0) {
    const need = wanted === null ? null : wanted - rows.length;
    const window = phase === 0 && need !== null ? plan.window(offset, need) : null;
    let got = window ? await execute(window) : [];
    // A window short of the page proves nothing about the runs past it: ask the indexes.
    if (!window || got.length < need!) got = await execute(plan.statement(phase, offset, need));
    got.forEach((row, i) => {
      rows.push(row);
      positions.push({ phase, offset: offset + i });
    });
    if (need !== null && got.length >= need) break;
  }
  if (limit === null || rows.length <= limit) return { rows, next: null };
  return { rows: rows.slice(0, limit), next: positions[limit] };
}

export function encodePageToken(start: PageStart): string {
  return Buffer.from(JSON.stringify({ p: start.phase, o: start.offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): PageStart {
  if (token === undefined || token === '') return { phase: 0, offset: 0 };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const { p, o } = (decoded ?? {}) as { p?: unknown; o?: unknown };
  if ((p !== 0 && p !== 1) || !Number.isSafeInteger(o) || (o as number) < 0) {
    throw new KeelError('invalid_argument', 'pageToken is not a token this search returned.', { field: 'pageToken' });
  }
  return { phase: p, offset: o as number };
}

// ---------------------------------------------------------------------------------------------
// Filters

/**
 * A filter as a `where` term over `runs`. A key's condition is, as a `lookup`, the set of run
 * ids its (key, value) index holds; as a `probe`, a primary-key check of the run at hand.
 */
function whereOf(filter: RunFilter, mode: 'lookup' | 'probe'): RawBuilder<SqlBool> {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return sql<SqlBool>`(${sql.join(
        filter.clauses.map((clause) => whereOf(clause, mode)),
        sql.raw(` ${filter.kind} `),
      )})`;
    case 'condition': {
      const { field } = filter;
      if (field.kind === 'attribute') return attributeCondition(field.name, filter, 'runs');
      const table = sql.table(keyTables[field.kind]);
      if (mode === 'probe') {
        return sql<SqlBool>`exists (select 1 from ${table} k where k.run_id = runs.id and k.key = ${field.key} and ${valueCondition(sql.ref('k.value'), filter)})`;
      }
      return sql<SqlBool>`runs.id in (select run_id from ${table} where key = ${field.key} and ${valueCondition(sql.ref('value'), filter)})`;
    }
  }
}

function attributeCondition(name: RunAttribute, condition: RunCondition, table: string): RawBuilder<SqlBool> {
  return valueCondition(sql.ref(`${table}.${attributeColumns[name].column}`), condition);
}

function valueCondition(column: RawBuilder<unknown>, { op, value }: RunCondition): RawBuilder<SqlBool> {
  switch (op) {
    case 'in':
    case 'not in':
      return sql<SqlBool>`${column} ${sql.raw(op)} (${sql.join(value as readonly RunFilterValue[])})`;
    case 'like':
      return sql<SqlBool>`${column} like ${value} escape '\\'`;
    case 'ilike':
      return sql<SqlBool>`lower(${column}) like lower(${value}) escape '\\'`;
    case '!=':
      return sql<SqlBool>`${column} <> ${value}`;
    default:
      return sql<SqlBool>`${column} ${sql.raw(op)} ${value}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Sorting

function canBeMissing(field: RunField): boolean {
  return field.kind !== 'attribute' || attributeColumns[field.name].nullable;
}

/** Phase 1: the runs where the first sort key has no value. */
function missing(field: RunField): RawBuilder<SqlBool> {
  if (field.kind === 'attribute')
    return sql<SqlBool>`${sql.ref(`runs.${attributeColumns[field.name].column}`)} is null`;
  return sql<SqlBool>`not exists (select 1 from ${sql.table(keyTables[field.kind])} k where k.run_id = runs.id and k.key = ${field.key} and k.value is not null)`;
}

/** A later sort key's value: a column of `runs`, or of the key's row left-joined as `alias`. */
function sortValue(field: RunField, alias: string, joins: RawBuilder<unknown>[]): RawBuilder<unknown> {
  if (field.kind === 'attribute') return sql.ref(`runs.${attributeColumns[field.name].column}`);
  const table = sql.table(keyTables[field.kind]);
  const as = sql.id(alias);
  joins.push(
    sql` left join ${table} ${as} on ${sql.ref(`${alias}.run_id`)} = runs.id and ${sql.ref(`${alias}.key`)} = ${field.key}`,
  );
  return sql.ref(`${alias}.value`);
}

// ---------------------------------------------------------------------------------------------
// Validation: the store takes filters built by hand too, and attribute names become columns.

function invalid(message: string): KeelError {
  return new KeelError('invalid_argument', message, { field: 'filter' });
}

function checkField(field: RunField): RunField {
  if (field?.kind === 'attribute') {
    if (!Object.hasOwn(attributeColumns, field.name)) throw invalid(`Unknown run attribute "${String(field.name)}".`);
    return field;
  }
  if (field?.kind === 'metric' || field?.kind === 'param' || field?.kind === 'tag') {
    if (typeof field.key !== 'string' || field.key === '') throw invalid(`A ${field.kind} needs a key.`);
    return field;
  }
  throw invalid(`Unknown field kind "${String((field as { kind?: unknown } | undefined)?.kind)}".`);
}

/** Bounds that keep a statement within every backend's limits (parameters, expression depth). */
const MAX_CONDITIONS = 100;
const MAX_LIST = 1_000;
const MAX_DEPTH = 32;

function checkFilter(filter: RunFilter): RunFilter {
  const counter = { conditions: 0 };
  return checkNode(filter, counter, 0);
}

function checkNode(filter: RunFilter, counter: { conditions: number }, depth: number): RunFilter {
  if (depth > MAX_DEPTH) throw invalid(`A filter nests at most ${MAX_DEPTH} levels deep.`);
  if (filter?.kind === 'and' || filter?.kind === 'or') {
    if (!Array.isArray(filter.clauses) || filter.clauses.length === 0) throw invalid(`"${filter.kind}" needs clauses.`);
    return { kind: filter.kind, clauses: filter.clauses.map((clause) => checkNode(clause, counter, depth + 1)) };
  }
  if (++counter.conditions > MAX_CONDITIONS) throw invalid(`A filter has at most ${MAX_CONDITIONS} comparisons.`);
  if (filter?.kind !== 'condition') throw invalid('A filter is "and", "or" or a "condition".');
  const field = checkField(filter.field);
  const type =
    field.kind === 'attribute' ? attributeColumns[field.name].type : field.kind === 'metric' ? 'number' : 'text';
  const ops = type === 'number' ? numberOps : type === 'time' ? timeOps : textOps;
  const label = field.kind === 'attribute' ? `attributes.${field.name}` : `${field.kind}s.${field.key}`;
  if (!ops.includes(filter.op)) {
    throw invalid(`${label} cannot be compared with "${String(filter.op)}"; use ${ops.join(', ')}.`);
  }
  const list = filter.op === 'in' || filter.op === 'not in';
  if (list !== Array.isArray(filter.value) || (list && (filter.value as unknown[]).length === 0)) {
    throw invalid(list ? `"${filter.op}" needs a non-empty list.` : `"${filter.op}" needs one value, not a list.`);
  }
  const values = (list ? filter.value : [filter.value]) as readonly unknown[];
  if (values.length > MAX_LIST) throw invalid(`"${filter.op}" takes at most ${MAX_LIST} values.`);
  const normalised = values.map((value) => checkValue(value, type, label));
  return { kind: 'condition', field, op: filter.op, value: list ? normalised : normalised[0] };
}

function checkValue(value: unknown, type: 'number' | 'text' | 'time', label: string): RunFilterValue {
  if (type === 'number') {
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(`${label} compares with numbers.`);
    return value;
  }
  if (type === 'time') {
    const time = typeof value === 'number' || typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(time.getTime())) {
      throw invalid(`${label} compares with an ISO-8601 timestamp or milliseconds since 1970.`);
    }
    // Stored timestamps share this one format, so they compare as text.
    return time.toISOString();
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw invalid(`${label} compares with text.`);
  return value;
}

function checkOrder(order: RunOrder): RunOrder {
  if (order?.direction !== 'asc' && order?.direction !== 'desc') {
    throw new KeelError('invalid_argument', 'A sort direction is "asc" or "desc".', { field: 'orderBy' });
  }
  try {
    return { field: checkField(order.field), direction: order.direction };
  } catch (error) {
    throw new KeelError('invalid_argument', (error as Error).message, { field: 'orderBy' });
  }
}
