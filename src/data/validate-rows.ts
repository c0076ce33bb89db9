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
  const domains = domainSets(columns);
  const problems: RowProblem[] = [];
  const anomalies: Anomaly[] = [];
  const validated: ValidatedRow[] = [];

  rows.forEach((row, index) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      problems.push({ row: index, message: `row ${index}: expected an object of fields, got ${describe(row)}` });
      return;
    }
    const fields = row as Row;
    const out: Record<string, number | string | null> = {};
    columns.forEach((column, j) => {
      if (!Object.hasOwn(fields, column.name)) {
        // An absent field is more often a misspelt name than a missing value, which is sent as null.
        problems.push({
          row: index,
          field: column.name,
          message: `row ${index}: field "${column.name}" is missing (send null if its value is unknown)`,
        });
        return;
      }
      const converted = convert(fields[column.name], column);
      if (typeof converted === 'object' && converted !== null) {
        problems.push({
          row: index,
          field: column.name,
          message: `row ${index}, field "${column.name}": ${converted.problem}`,
        });
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
    validated.push(out);
  });

  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows: validated, anomalies };
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

/** The categorical columns' domains as sets, made once per signature (serving checks every request against the same one). */
const domainCache = new WeakMap<readonly SignatureColumn[], ReadonlyArray<ReadonlySet<string> | null>>();

function domainSets(columns: readonly SignatureColumn[]): ReadonlyArray<ReadonlySet<string> | null> {
  let domains = domainCache.get(columns);
  if (!domains) {
    domains = columns.map((c) => (c.type === 'categorical' && c.domain ? new Set(c.domain) : null));
    domainCache.set(columns, domains);
  }
  return domains;
}
