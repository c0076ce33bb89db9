import type { Row, SignatureColumn } from '../core/index.js';
import type { Anomaly } from './validate-table.js';

/** A request row rejected for one field (or, without `field`, for not being an object). */
export interface RowProblem {
  readonly row: number;
  readonly field?: string;
  /** Names the row and field, e.g. `row 0, field "tenure": expected a number, got "abc"`. */
  readonly message: string;
}

/** A row reduced to the signature's columns: numbers for numeric columns, text otherwise, null for missing. */
export type ValidatedRow = Readonly<Record<string, number | string | null>>;

export type RowValidation =
  | {
      readonly ok: true;
      readonly rows: ValidatedRow[];
      /** Accepted but worth monitoring: categories outside the known domain. */
      readonly anomalies: Anomaly[];
    }
  | { readonly ok: false; readonly problems: RowProblem[] };

/**
 * Validates the rows of one serving request against a model's input columns. Numeric columns take
 * JSON numbers (boolean columns also `true`/`false`, stored as 1/0); categorical and string columns
 * take strings, or numbers, which are read as their decimal text (category codes); datetime
 * columns take date strings. A missing value is sent as null, accepted when the column is
 * nullable; an absent field is a problem (usually a misspelt name). Fields the signature does not
 * name are ignored. Rows are typed `unknown` because they come straight from a
 * request body; anything that is not an object is reported as such. Unknown categories are not rejected — the feature pipeline
 * encodes them as unknown — but are returned as `out_of_domain` anomalies for monitoring.
 */
export function validateRows(rows: readonly unknown[], columns: readonly SignatureColumn[]): RowValidation {
  return validateWith(rows, columns, true);
}

/** `validateRows` by the general path alone, without the generated checker (tests compare the two). */
export function validateRowsGenerally(rows: readonly unknown[], columns: readonly SignatureColumn[]): RowValidation {
  return validateWith(rows, columns, false);
}

function validateWith(
  rows: readonly unknown[],
  columns: readonly SignatureColumn[],
  generated: boolean,
): RowValidation {
  const { domains, checker } = planOf(columns);
  const check = generated ? checker : null;
  const problems: RowProblem[] = [];
  const anomalies: Anomaly[] = [];
  const validated: ValidatedRow[] = [];
  for (let index = 0; index < rows.length; index++) {
    const row = check?.(rows[index]) ?? describeRow(rows[index], index, columns, domains, problems, anomalies);
    if (row) validated.push(row);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows: validated, anomalies };
}

/**
 * The general path for one row: its problems and anomalies, each named, and the row when it has
 * no problem (null otherwise).
 */
function describeRow(
  row: unknown,
  index: number,
  columns: readonly SignatureColumn[],
  domains: ReadonlyArray<ReadonlySet<string> | null>,
  problems: RowProblem[],
  anomalies: Anomaly[],
): ValidatedRow | null {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    problems.push({ row: index, message: `row ${index}: expected an object of fields, got ${describe(row)}` });
    return null;
  }
  const fields = row as Row;
  const out: Record<string, number | string | null> = {};
  let ok = true;
  columns.forEach((column, j) => {
    if (!Object.hasOwn(fields, column.name)) {
      // An absent field is more often a misspelt name than a missing value, which is sent as null.
      problems.push({
        row: index,
        field: column.name,
        message: `row ${index}: field "${column.name}" is missing (send null if its value is unknown)`,
      });
      ok = false;
      return;
    }
    const converted = convert(fields[column.name], column);
    if (typeof converted === 'object' && converted !== null) {
      problems.push({
        row: index,
        field: column.name,
        message: `row ${index}, field "${column.name}": ${converted.problem}`,
      });
      ok = false;
      return;
    }
    const domain = domains[j];
    if (domain && typeof converted === 'string' && !domain.has(converted)) {
      anomalies.push({
        row: index,
        column: column.name,
        kind: 'out_of_domain',
        severity: 'warning',
        message: `row ${index}, field "${column.name}": ${JSON.stringify(converted)} is not a known category`,
      });
    }
    out[column.name] = converted;
  });
  return ok ? out : null;
}

/** A row's fast path: the validated row, or null when the row needs `describeRow` (a problem or an anomaly). */
type RowChecker = (row: unknown) => ValidatedRow | null;

/**
 * The checker of one signature, generated once (see `planOf`): `convert`'s rules as straight-line code over
 * constant keys, and an object literal for the row it returns (one hidden class, which the
 * feature pipeline then reads). A single-row request spent more in the general loop (a dynamic
 * key per field, closures, messages prepared for problems it did not have) than in its
 * prediction. Any doubt — an absent or inherited field, a bad value, a category outside the
 * domain — returns null, and the general path says what is wrong. None for a signature with a
 * `__proto__` column (a literal would take it as the prototype).
 */
function rowChecker(
  columns: readonly SignatureColumn[],
  domains: ReadonlyArray<ReadonlySet<string> | null>,
): RowChecker | null {
  if (columns.some((c) => c.name === '__proto__')) return null;
  const steps = columns.map((column, j) => {
    const value = `v${j}`;
    const orNull = column.nullable ? `${value} !== null` : 'true';
    const read = `let ${value} = row[${JSON.stringify(column.name)}];`;
    switch (column.type) {
      case 'integer':
      case 'float':
        return `${read} if (typeof ${value} === 'number') { if (!Number.isFinite(${value})) return null; } else if (${orNull}) return null;`;
      case 'boolean':
        return `${read} if (${value} === true) ${value} = 1; else if (${value} === false) ${value} = 0; else if (${value} !== 0 && ${value} !== 1 && (${orNull})) return null;`;
      case 'datetime':
        return `${read} if (typeof ${value} === 'string') { if (Number.isNaN(Date.parse(${value}))) return null; } else if (${orNull}) return null;`;
      case 'categorical':
      case 'string': {
        const domain = domains[j] ? ` if (${value} !== null && !domains[${j}].has(${value})) return null;` : '';
        return `${read} if (typeof ${value} !== 'string') { if (typeof ${value} === 'number' && Number.isFinite(${value})) ${value} = String(${value}); else if (${orNull}) return null; }${domain}`;
      }
    }
  });
  const fields = columns.map((column, j) => `${JSON.stringify(column.name)}: v${j}`).join(', ');
  const make = new Function(
    'domains',
    `return function check(row) {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) return null;
      ${steps.join('\n')}
      return { ${fields} };
    };`,
  );
  return make(domains) as RowChecker;
}

function convert(value: unknown, column: SignatureColumn): number | string | null | { problem: string } {
  if (value === null || value === undefined) {
    return column.nullable ? null : { problem: `a value is required, got ${describe(value)}` };
  }
  switch (column.type) {
    case 'integer':
    case 'float':
      return typeof value === 'number' && Number.isFinite(value)
        ? value
        : { problem: `expected a number, got ${describe(value)}` };
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      return value === 0 || value === 1 ? value : { problem: `expected true or false, got ${describe(value)}` };
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? value
        : { problem: `expected a date string, got ${describe(value)}` };
    case 'categorical':
    case 'string':
      if (typeof value === 'string') return value;
      return typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : { problem: `expected a string, got ${describe(value)}` };
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  return Array.isArray(value) ? 'an array' : `an ${typeof value}`;
}

/** What validation reuses for every request against one signature: the categorical domains as sets, and the generated checker. */
interface SignaturePlan {
  readonly domains: ReadonlyArray<ReadonlySet<string> | null>;
  readonly checker: RowChecker | null;
}

/** Made once per signature (serving checks every request against the same one). */
const plans = new WeakMap<readonly SignatureColumn[], SignaturePlan>();

function planOf(columns: readonly SignatureColumn[]): SignaturePlan {
  let plan = plans.get(columns);
  if (!plan) {
    const domains = columns.map((c) => (c.type === 'categorical' && c.domain ? new Set(c.domain) : null));
    plan = { domains, checker: rowChecker(columns, domains) };
    plans.set(columns, plan);
  }
  return plan;
}
