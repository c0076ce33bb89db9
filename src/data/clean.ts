import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hashValue, KeelError, type CleaningStepConfig, type DatasetVersion } from '../core/index.js';
import { quotedIdentifier, quotedString, sqlDouble, storageTypeOf, type StorageType } from './duckdb.js';
import type { DataStores } from './import-dataset.js';
import { inferSchema } from './infer-schema.js';
import { profileParquet } from './profile-parquet.js';
import { withParquet } from './read-table.js';

export interface CleanDatasetInput {
  /** The version to clean; it is read, never changed. */
  readonly version: DatasetVersion;
  /** The project file's `cleaning` list, run in order. */
  readonly steps: readonly CleaningStepConfig[];
  /** The dataset the cleaned version belongs to; default the parent's, as its next version. */
  readonly dataset?: string;
}

/** What one step did: the rows it dropped or changed. */
export interface CleaningStepReport {
  readonly step: CleaningStepConfig['step'];
  readonly rows: number;
  /** The column of a `repair` or `cast`. */
  readonly column?: string;
  /** `cast`: values that could not be converted and became missing (counted in `rows`). */
  readonly failed?: number;
}

export interface CleanResult {
  readonly version: DatasetVersion;
  /** False when the same steps had already been run on the same content; `version` is that result. */
  readonly created: boolean;
  readonly report: readonly CleaningStepReport[];
}

/** Names the cleaning rules in the content hash, so a change to them makes new versions. */
const CLEAN_FORMAT = 'keel.clean/1';
/** The parent's row number, carried through every step so duplicates keep the first and order is kept. */
const ROW = '__keel_row';
const WHITESPACE = `' ' || chr(9) || chr(10) || chr(13)`;

/**
 * Runs declarative cleaning steps over a dataset version and stores the result as a new,
 * derived version (source kind `derived`, naming the parent and the steps). Every step is DuckDB
 * SQL over the version's Parquet file; no rows pass through JavaScript. The content hash is the
 * parent's content hash and the steps, so cleaning the same content the same way again returns
 * the existing version and its report.
 *
 * Config errors (an unknown column, a condition DuckDB rejects) are KeelErrors naming
 * `cleaning[i].FIELD`; nothing is stored when a step fails.
 */
export async function cleanDataset(stores: DataStores, input: CleanDatasetInput): Promise<CleanResult> {
  const parent = input.version;
  const dataset = input.dataset ?? parent.dataset;
  const steps = [...input.steps];
  const contentHash = hashValue({ format: CLEAN_FORMAT, parent: parent.contentHash, steps });

  const existing = await stores.metadata.findDatasetVersionByHash(dataset, contentHash);
  if (existing) return { version: existing, created: false, report: storedReport(existing) };

  const workDir = await mkdtemp(join(tmpdir(), 'keel-clean-'));
  try {
    const parquet = join(workDir, 'data.parquet');
    const report = await runSteps(await stores.artifacts.localPath(parent.artifact), steps, parquet, parent);
    const artifact = await stores.artifacts.putFile(parquet);
    const profile = await profileParquet(parquet);
    const schema = inferSchema(profile);
    try {
      const version = await stores.metadata.createDatasetVersion({
        dataset,
        contentHash,
        artifact: artifact.digest,
        source: {
          kind: 'derived',
          uri: `${parent.dataset}@${parent.version}`,
          options: { parent: parent.id, steps, report },
        },
        rows: profile.rows,
        columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
        schema,
        profile,
      });
      return { version, created: true, report };
    } catch (error) {
      // A concurrent run of the same cleaning may have won the race: return its version.
      const raced = await stores.metadata.findDatasetVersionByHash(dataset, contentHash);
      if (raced) return { version: raced, created: false, report: storedReport(raced) };
      throw error;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function storedReport(version: DatasetVersion): CleaningStepReport[] {
  const report = version.source.options?.report;
  return Array.isArray(report) ? (report as CleaningStepReport[]) : [];
}

// ---------------------------------------------------------------------------------------------

interface TableColumn {
  readonly name: string;
  /** DuckDB's type, e.g. BIGINT or VARCHAR. */
  readonly sqlType: string;
  readonly storage: StorageType;
}

/** What a step does to the table it reads. */
type StepPlan =
  | { readonly kind: 'keep'; readonly where: string; readonly field: string }
  | { readonly kind: 'dedupe'; readonly columns: readonly string[]; readonly field: string }
  | {
      readonly kind: 'replace';
      readonly replace: ReadonlyArray<{ readonly column: string; readonly sql: string }>;
      /** True for a row the step changes. */
      readonly changed: string;
      /** True for a row whose value could not be converted (casts). */
      readonly failed?: string;
      /** Which field to blame when DuckDB fails while running the step. */
      readonly field: string;
    }
  | { readonly kind: 'none' };

async function runSteps(
  source: string,
  steps: readonly CleaningStepConfig[],
  target: string,
  parent: DatasetVersion,
): Promise<CleaningStepReport[]> {
  // withParquet checks the file; the rows are read again below with their row numbers.
  return withParquet(source, async (connection, _relation, parquetColumns) => {
    const clash = parquetColumns.find((c) => ['file_row_number', ROW].includes(c.name.toLowerCase()));
    if (clash) {
      throw new KeelError(
        'invalid_data',
        `dataset ${parent.dataset} v${parent.version} has a column named "${clash.name}", which cleaning reserves`,
        { field: clash.name },
      );
    }
    // Temporary tables belong to this connection, so concurrent cleanings never see each other's.
    let table = 'keel_clean_0';
    await connection.run(
      `CREATE TEMP TABLE ${table} AS SELECT * EXCLUDE (file_row_number), file_row_number AS ${ROW}
       FROM read_parquet(${quotedString(source)}, file_row_number = true)`,
    );
    let rows = await countRows(connection, table);
    const report: CleaningStepReport[] = [];
    for (const [i, step] of steps.entries()) {
      const columns = await describeTable(connection, table);
      const plan = await planStep(connection, table, columns, step, `cleaning[${i}]`);
      if (plan.kind === 'none') {
        report.push(reportOf(step, 0));
        continue;
      }
      const next = `keel_clean_${i + 1}`;
      let touched: number;
      let failed: number | undefined;
      if (plan.kind === 'replace') {
        const counts = await runStep(connection, plan.field, async () => {
          const select = `count(*) FILTER (WHERE ${plan.changed})${plan.failed ? `, count(*) FILTER (WHERE ${plan.failed})` : ''}`;
          const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${table}`);
          const replace = plan.replace.map((r) => `${r.sql} AS ${quotedIdentifier(r.column)}`).join(', ');
          await connection.run(`CREATE TEMP TABLE ${next} AS SELECT * REPLACE (${replace}) FROM ${table}`);
          return reader.getRowsJS()[0].map(Number);
        });
        touched = counts[0];
        failed = plan.failed ? counts[1] : undefined;
      } else {
        const select =
          plan.kind === 'keep'
            ? `SELECT * FROM ${table} WHERE ${plan.where}`
            : `SELECT * FROM ${table} QUALIFY row_number() OVER (PARTITION BY ${plan.columns.map(quotedIdentifier).join(', ')} ORDER BY ${ROW}) = 1`;
        await runStep(connection, plan.field, () => connection.run(`CREATE TEMP TABLE ${next} AS ${select}`));
        const left = await countRows(connection, next);
        touched = rows - left;
        rows = left;
      }
      await connection.run(`DROP TABLE ${table}`);
      table = next;
      report.push(reportOf(step, touched, failed));
    }
    if (rows === 0) {
      throw new KeelError(
        'invalid_data',
        `cleaning left no rows of dataset ${parent.dataset} v${parent.version} (${report.map((r) => `${r.step}: ${r.rows}`).join(', ')})`,
        { field: 'cleaning', report },
      );
    }
    await connection.run(
      `COPY (SELECT * EXCLUDE (${ROW}) FROM ${table} ORDER BY ${ROW}) TO ${quotedString(target)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    return report;
  });
}

function reportOf(step: CleaningStepConfig, rows: number, failed?: number): CleaningStepReport {
  if (step.step === 'cast') return { step: step.step, column: step.column, rows, failed: failed ?? 0 };
  if (step.step === 'repair') return { step: step.step, column: step.column, rows };
  return { step: step.step, rows };
}

async function planStep(
  connection: DuckDBConnection,
  table: string,
  columns: readonly TableColumn[],
  step: CleaningStepConfig,
  at: string,
): Promise<StepPlan> {
  const find = (name: string, field: string): TableColumn => {
    const found = columns.find((c) => c.name === name);
    if (!found) {
      throw new KeelError(
        'invalid_config',
        `${at}.${field}: no column "${name}" in the data (columns: ${columns.map((c) => c.name).join(', ')})`,
        { field: `${at}.${field}` },
      );
    }
    return found;
  };
  const text = (column: TableColumn, field: string): TableColumn => {
    if (column.sqlType !== 'VARCHAR') {
      throw new KeelError(
        'invalid_config',
        `${at}.${field}: column "${column.name}" is ${column.storage}, not text; only text can be trimmed`,
        { field: `${at}.${field}` },
      );
    }
    return column;
  };
  switch (step.step) {
    case 'drop_duplicates': {
      const keys = step.columns?.map((name) => find(name, 'columns').name) ?? columns.map((c) => c.name);
      return { kind: 'dedupe', columns: keys, field: `${at}.columns` };
    }
    case 'drop_missing': {
      const missing = step.columns.map((name) => isMissing(find(name, 'columns')));
      return { kind: 'keep', where: `NOT (${missing.join(' OR ')})`, field: `${at}.columns` };
    }
    case 'drop_rows': {
      await checkCondition(connection, table, step.where, `${at}.where`);
      return { kind: 'keep', where: `NOT coalesce((${step.where}), false)`, field: `${at}.where` };
    }
    case 'repair': {
      const column = find(step.column, 'column');
      const where = step.where ?? isMissing(column);
      if (step.where !== undefined) await checkCondition(connection, table, step.where, `${at}.where`);
      const value = await repairValue(connection, table, column, step.set, `${at}.set`);
      const when = `coalesce((${where}), false)`;
      const x = quotedIdentifier(column.name);
      return {
        kind: 'replace',
        replace: [{ column: column.name, sql: `CASE WHEN ${when} THEN ${value} ELSE ${x} END` }],
        // CASE, not AND, so the value is only computed where it is used (a cast of it may fail elsewhere).
        changed: `CASE WHEN ${when} THEN ${x} IS DISTINCT FROM ${value} ELSE false END`,
        field: `${at}.set`,
      };
    }
    case 'cast': {
      const column = find(step.column, 'column');
      if (step.format !== undefined && !(step.to === 'datetime' && column.sqlType === 'VARCHAR')) {
        throw new KeelError(
          'invalid_config',
          `${at}.format: a format only applies when casting text to datetime (column "${column.name}" is ${column.storage})`,
          { field: `${at}.format` },
        );
      }
      const sql = castExpression(column, step.to, step.format, at);
      if (sql === null) return { kind: 'none' };
      if (step.format !== undefined) await checkFormat(connection, step.format, `${at}.format`);
      const present = `NOT ${isMissing(column)}`;
      return {
        kind: 'replace',
        replace: [{ column: column.name, sql }],
        changed: present,
        failed: `${present} AND (${sql}) IS NULL`,
        field: `${at}.to`,
      };
    }
    case 'trim': {
      const targets = step.columns
        ? step.columns.map((name) => text(find(name, 'columns'), 'columns'))
        : columns.filter((c) => c.sqlType === 'VARCHAR');
      if (targets.length === 0) return { kind: 'none' };
      const trimmed = targets.map((c) => ({ column: c.name, sql: `trim(${quotedIdentifier(c.name)}, ${WHITESPACE})` }));
      return {
        kind: 'replace',
        replace: trimmed,
        changed: trimmed.map((t) => `${quotedIdentifier(t.column)} IS DISTINCT FROM ${t.sql}`).join(' OR '),
        field: `${at}.columns`,
      };
    }
    case 'normalize_missing': {
      const targets = step.columns
        ? step.columns.map((name) => find(name, 'columns'))
        : columns.filter((c) => c.sqlType === 'VARCHAR');
      if (targets.length === 0) return { kind: 'none' };
      const marked = (c: TableColumn) => {
        const x = quotedIdentifier(c.name);
        // A number column matches the markers that are numbers (-999 matches -999.0); others match as text.
        if (c.storage === 'integer' || c.storage === 'float') {
          const numbers = step.markers.filter((m) => m.trim() !== '' && Number.isFinite(Number(m)));
          return numbers.length
            ? `coalesce(${x} IN (${numbers.map((m) => sqlDouble(Number(m))).join(', ')}), false)`
            : 'false';
        }
        const markers = step.markers.map(quotedString).join(', ');
        return `coalesce(${c.sqlType === 'VARCHAR' ? x : `CAST(${x} AS VARCHAR)`} IN (${markers}), false)`;
      };
      return {
        kind: 'replace',
        replace: targets.map((c) => ({
          column: c.name,
          sql: `CASE WHEN ${marked(c)} THEN NULL ELSE ${quotedIdentifier(c.name)} END`,
        })),
        changed: targets.map(marked).join(' OR '),
        field: `${at}.markers`,
      };
    }
    default: {
      const unknown = (step as { step?: unknown }).step;
      throw new KeelError('invalid_config', `${at}.step: unknown cleaning step ${JSON.stringify(unknown)}`, {
        field: `${at}.step`,
      });
    }
  }
}

/** Missing as Keel reads it: NULL, or NaN in a floating-point column. */
function isMissing(column: TableColumn): string {
  const x = quotedIdentifier(column.name);
  return column.storage === 'float' ? `(${x} IS NULL OR isnan(${x}))` : `${x} IS NULL`;
}

const SQL_TYPE: Record<Extract<CleaningStepConfig, { step: 'cast' }>['to'], string> = {
  integer: 'BIGINT',
  float: 'DOUBLE',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
  datetime: 'TIMESTAMP',
};

/**
 * The SQL converting `column` to `to`, NULL where a value does not convert (never an error), or
 * null when the column already has that type. Conversions are strict: 2.5 is not an integer and
 * 7 is not a boolean.
 */
function castExpression(
  column: TableColumn,
  to: Extract<CleaningStepConfig, { step: 'cast' }>['to'],
  format: string | undefined,
  at: string,
): string | null {
  const x = quotedIdentifier(column.name);
  // Text means VARCHAR here; other types DuckDB calls text (lists, structs, blobs) only cast to string.
  const from = column.sqlType === 'VARCHAR' ? 'text' : column.storage === 'text' ? 'other' : column.storage;
  if (format === undefined && (column.sqlType === SQL_TYPE[to] || from === to)) return null;
  const double = `TRY_CAST(${x} AS DOUBLE)`;
  switch (`${from}→${to}`) {
    case 'text→integer':
      return `CASE WHEN regexp_full_match(trim(${x}), '[+-]?[0-9]+') THEN TRY_CAST(trim(${x}) AS BIGINT) WHEN ${double} = trunc(${double}) THEN TRY_CAST(${double} AS BIGINT) END`;
    case 'float→integer':
      return `CASE WHEN isfinite(${x}) AND ${x} = trunc(${x}) THEN TRY_CAST(${x} AS BIGINT) END`;
    case 'boolean→integer':
    case 'integer→float':
    case 'boolean→float':
      return `CAST(${x} AS ${SQL_TYPE[to]})`;
    case 'text→float':
      return `CASE WHEN isfinite(${double}) THEN ${double} END`;
    case 'text→boolean':
      return `TRY_CAST(trim(${x}) AS BOOLEAN)`;
    case 'integer→boolean':
    case 'float→boolean':
      return `CASE WHEN ${x} = 1 THEN true WHEN ${x} = 0 THEN false END`;
    case 'text→datetime':
      return format === undefined ? `TRY_CAST(${x} AS TIMESTAMP)` : `try_strptime(${x}, ${quotedString(format)})`;
    default:
      if (to === 'string') return `CAST(${x} AS VARCHAR)`;
      throw new KeelError(
        'invalid_config',
        `${at}.to: column "${column.name}" is ${from === 'other' ? column.sqlType : from} and cannot be cast to ${to}`,
        { field: `${at}.to` },
      );
  }
}

/** The replacement of a `repair` as SQL of the column's type; a literal that does not fit fails here. */
async function repairValue(
  connection: DuckDBConnection,
  table: string,
  column: TableColumn,
  set: Extract<CleaningStepConfig, { step: 'repair' }>['set'],
  field: string,
): Promise<string> {
  if (set === null) return `CAST(NULL AS ${column.sqlType})`;
  if (typeof set === 'object') {
    await checkExpression(connection, set.expr, field, 'expression');
    const sql = `CAST((${set.expr}) AS ${column.sqlType})`;
    await bindOrFail(connection, `DESCRIBE SELECT ${sql} FROM ${userColumns(table)}`, field, set.expr);
    return sql;
  }
  if (typeof set === 'number' && column.storage === 'integer' && !Number.isSafeInteger(set)) {
    throw new KeelError('invalid_config', `${field}: ${set} is not an integer, but column "${column.name}" is`, {
      field,
    });
  }
  const sql = `CAST(${quotedString(String(set))} AS ${column.sqlType})`;
  try {
    await connection.run(`SELECT ${sql}`);
  } catch (error) {
    throw new KeelError(
      'invalid_config',
      `${field}: ${JSON.stringify(set)} is not a value of column "${column.name}" (${column.storage})`,
      { field },
      { cause: error },
    );
  }
  return sql;
}

/** A condition must be one boolean expression over the row's columns that DuckDB accepts. */
async function checkCondition(connection: DuckDBConnection, table: string, sql: string, field: string): Promise<void> {
  await checkExpression(connection, sql, field, 'condition');
  const reader = await bindOrFail(connection, `DESCRIBE SELECT (${sql}) AS v FROM ${userColumns(table)}`, field, sql);
  const type = String(reader[0]?.[1]);
  if (type !== 'BOOLEAN') {
    throw new KeelError('invalid_config', `${field}: the condition is ${type}, not true/false: ${sql}`, { field });
  }
}

/**
 * Parses `sql` as it will be spliced into a query and refuses anything but a single
 * expression: no second statement, no clause after it, no subquery (a subquery could read
 * files through a table function).
 */
async function checkExpression(
  connection: DuckDBConnection,
  sql: string,
  field: string,
  what: 'condition' | 'expression',
): Promise<void> {
  const reader = await connection.runAndReadAll(`SELECT json_serialize_sql(${quotedString(`SELECT (${sql})`)})`);
  const parsed = JSON.parse(String(reader.getRowsJS()[0][0])) as {
    error: boolean;
    error_message?: string;
    statements?: Array<{ node: Record<string, unknown> }>;
  };
  if (parsed.error) {
    throw new KeelError(
      'invalid_config',
      `${field}: not a SQL ${what}: ${parsed.error_message ?? 'it does not parse'}: ${sql}`,
      {
        field,
      },
    );
  }
  const node = parsed.statements?.length === 1 ? parsed.statements[0].node : undefined;
  const single =
    node !== undefined &&
    node.type === 'SELECT_NODE' &&
    (node.select_list as unknown[]).length === 1 &&
    (node.from_table as { type: string }).type === 'EMPTY' &&
    (node.modifiers as unknown[]).length === 0 &&
    (node.group_expressions as unknown[]).length === 0 &&
    node.where_clause === null &&
    node.having === null &&
    node.qualify === null &&
    node.sample === null;
  if (!single) {
    throw new KeelError('invalid_config', `${field}: must be a single SQL ${what} over the columns: ${sql}`, { field });
  }
  if (JSON.stringify(node).includes('"class":"SUBQUERY"')) {
    throw new KeelError('invalid_config', `${field}: a ${what} cannot contain a subquery: ${sql}`, { field });
  }
}

async function checkFormat(connection: DuckDBConnection, format: string, field: string): Promise<void> {
  try {
    await connection.run(`SELECT try_strptime(CAST(NULL AS VARCHAR), ${quotedString(format)})`);
  } catch (error) {
    throw new KeelError('invalid_config', `${field}: ${duckdbReason(error)}`, { field }, { cause: error });
  }
}

async function bindOrFail(connection: DuckDBConnection, sql: string, field: string, shown: string) {
  try {
    return (await connection.runAndReadAll(sql)).getRowsJS();
  } catch (error) {
    throw new KeelError(
      'invalid_config',
      `${field}: ${duckdbReason(error)} (in ${shown})`,
      { field },
      { cause: error },
    );
  }
}

/** Runs a step's SQL; a DuckDB error while running it (e.g. a failed conversion) names the field. */
async function runStep<T>(connection: DuckDBConnection, field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new KeelError('invalid_config', `${field}: ${duckdbReason(error)}`, { field }, { cause: error });
  }
}

/** DuckDB's message without its error-class prefix and the query excerpt it appends. */
function duckdbReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n');
  const end = lines.findIndex((line) => line.trim() === '' || line.startsWith('LINE '));
  return (end < 0 ? lines : lines.slice(0, end))
    .join(' ')
    .replace(/^[A-Za-z ]*Error: /, '')
    .trim();
}

async function describeTable(connection: DuckDBConnection, table: string): Promise<TableColumn[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE ${table}`);
  return reader
    .getRowsJS()
    .map((row) => ({ name: String(row[0]), sqlType: String(row[1]), storage: storageTypeOf(String(row[1])) }))
    .filter((c) => c.name !== ROW);
}

/** The table without Keel's row number, to bind user SQL against (so DuckDB never suggests it). */
function userColumns(table: string): string {
  return `(SELECT * EXCLUDE (${ROW}) FROM ${table})`;
}

async function countRows(connection: DuckDBConnection, table: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${table}`);
  return Number(reader.getRowsJS()[0][0]);
}
