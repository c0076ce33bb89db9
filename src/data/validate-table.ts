import type { Column, ColumnSchema, DataSchema, Table } from '../core/index.js';

export type AnomalyKind =
  | 'missing_column'
  | 'extra_column'
  | 'type_mismatch'
  | 'out_of_domain'
  | 'out_of_range'
  | 'missing_spike'
  | 'duplicate_id';

/**
 * `error` blocks a pipeline, `warning` is reported and monitored. Errors are the problems a model
 * cannot be fed through (a column gone or of another type, a repeated id, more missing values than
 * allowed); warnings are data that still fits the columns but was not seen in training (unknown
 * categories, values outside the observed range, an unexpected column, missing values in a
 * column that had none): serving copes with them and monitoring watches them.
 */
export type Severity = 'error' | 'warning';

export interface Anomaly {
  readonly column: string;
  readonly kind: AnomalyKind;
  readonly severity: Severity;
  readonly message: string;
  /** The row (0-based) of a per-row anomaly from `validateRows`. */
  readonly row?: number;
}

export interface ValidationReport {
  /** No anomaly of severity `error`. */
  readonly ok: boolean;
  readonly anomalies: readonly Anomaly[];
}

export interface ValidateTableOptions {
  /** Largest share of missing values tolerated per column; above it, a `missing_spike` error. */
  readonly maxMissingShare?: number;
  /** A column whose values must be unique. */
  readonly idColumn?: string;
}

/** Checks a batch against a schema: one anomaly per column and problem, counting the rows affected. */
export function validateTable(table: Table, schema: DataSchema, options: ValidateTableOptions = {}): ValidationReport {
  const anomalies: Anomaly[] = [];
  const byName = new Map(table.columns.map((c) => [c.name, c]));

  for (const expected of schema.columns) {
    const column = byName.get(expected.name);
    if (!column) {
      anomalies.push({
        column: expected.name,
        kind: 'missing_column',
        severity: 'error',
        message: `column "${expected.name}" is missing (the schema expects ${expected.type} values)`,
      });
      continue;
    }
    anomalies.push(...checkColumn(column, expected, table.rows, options.maxMissingShare));
  }

  const known = new Set(schema.columns.map((c) => c.name));
  for (const column of table.columns) {
    if (!known.has(column.name)) {
      anomalies.push({
        column: column.name,
        kind: 'extra_column',
        severity: 'warning',
        message: `column "${column.name}" is not in the schema`,
      });
    }
  }

  if (options.idColumn !== undefined) {
    const ids = byName.get(options.idColumn);
    if (!ids && !known.has(options.idColumn)) {
      anomalies.push({
        column: options.idColumn,
        kind: 'missing_column',
        severity: 'error',
        message: `id column "${options.idColumn}" is missing`,
      });
    } else if (ids) {
      const duplicate = duplicateIds(ids);
      if (duplicate) anomalies.push(duplicate);
    }
  }

  return { ok: anomalies.every((a) => a.severity !== 'error'), anomalies };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN_TEXT = /^(true|false)$/i;
const EXAMPLES = 3;

/** Counts of offending values with a few distinct examples, for messages. */
class Offenders {
  count = 0;
  readonly examples = new Set<string>();
  add(example: string): void {
    this.count++;
    if (this.examples.size < EXAMPLES) this.examples.add(example);
  }
  /** E.g. `1 of 7043 values is not a number, e.g. "abc"`. */
  describe(rows: number, singular: string, plural: string, noun = 'values'): string {
    const what = this.count === 1 ? singular : plural;
    return `${this.count} of ${rows} ${noun} ${what}, e.g. ${[...this.examples].join(', ')}`;
  }
}

function checkColumn(column: Column, expected: ColumnSchema, rows: number, maxMissingShare?: number): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const name = expected.name;
  const mismatch = new Offenders();
  const outOfRange = new Offenders();
  const outOfDomain = new Offenders();
  let missing = 0;

  const numericType = expected.type === 'integer' || expected.type === 'float' || expected.type === 'boolean';
  const domain = expected.type === 'categorical' && expected.domain ? new Set(expected.domain) : null;

  const checkNumber = (x: number): void => {
    if (expected.type === 'integer' && !Number.isInteger(x)) mismatch.add(String(x));
    else if (expected.type === 'boolean' && x !== 0 && x !== 1) mismatch.add(String(x));
    else if ((expected.min !== undefined && x < expected.min) || (expected.max !== undefined && x > expected.max)) {
      outOfRange.add(String(x));
    }
  };

  for (let i = 0; i < rows; i++) {
    if (column.kind === 'number') {
      const x = column.values[i];
      if (Number.isNaN(x)) missing++;
      else if (numericType) checkNumber(x);
      else if (expected.type === 'datetime') mismatch.add(String(x));
      // A categorical column read back as numbers (codes such as 1, 2, 3) is compared as text.
      else if (domain && !domain.has(String(x))) outOfDomain.add(JSON.stringify(String(x)));
      continue;
    }
    const text = column.values[i];
    if (text === null || text.trim() === '') missing++;
    else if (numericType) {
      if (NUMBER.test(text.trim())) checkNumber(Number(text));
      // `true`/`false` in a column read as text (other values made it text) are still booleans.
      else if (expected.type === 'boolean' && BOOLEAN_TEXT.test(text.trim())) continue;
      else mismatch.add(JSON.stringify(text));
    } else if (expected.type === 'datetime' && Number.isNaN(Date.parse(text))) mismatch.add(JSON.stringify(text));
    else if (domain && !domain.has(text)) outOfDomain.add(JSON.stringify(text));
  }

  if (mismatch.count > 0) {
    anomalies.push({
      column: name,
      kind: 'type_mismatch',
      severity: 'error',
      message: `column "${name}": ${mismatch.describe(rows, `is not ${typeNames[expected.type][0]}`, `are not ${typeNames[expected.type][1]}`)}`,
    });
  }
  if (outOfRange.count > 0) {
    const range = `outside the range [${expected.min ?? '-∞'}, ${expected.max ?? '∞'}]`;
    anomalies.push({
      column: name,
      kind: 'out_of_range',
      severity: 'warning',
      message: `column "${name}": ${outOfRange.describe(rows, `is ${range}`, `are ${range}`)}`,
    });
  }
  if (outOfDomain.count > 0) {
    const known = `not among the ${domain?.size} known categories`;
    anomalies.push({
      column: name,
      kind: 'out_of_domain',
      severity: 'warning',
      message: `column "${name}": ${outOfDomain.describe(rows, `is ${known}`, `are ${known}`)}`,
    });
  }
  const share = rows === 0 ? 0 : missing / rows;
  if (maxMissingShare !== undefined && share > maxMissingShare) {
    anomalies.push({
      column: name,
      kind: 'missing_spike',
      severity: 'error',
      message: `column "${name}": ${percent(share)} of values are missing, more than the ${percent(maxMissingShare)} allowed`,
    });
  } else if (!expected.nullable && missing > 0) {
    anomalies.push({
      column: name,
      kind: 'missing_spike',
      severity: 'warning',
      message: `column "${name}": ${missing} of ${rows} values are missing (${percent(share)}); the schema had none`,
    });
  }
  return anomalies;
}

function duplicateIds(column: Column): Anomaly | null {
  const seen = new Set<string | number>();
  const duplicates = new Offenders();
  for (let i = 0; i < column.values.length; i++) {
    const id = column.values[i];
    if (id === null || Number.isNaN(id)) continue;
    if (seen.has(id)) duplicates.add(typeof id === 'string' ? JSON.stringify(id) : String(id));
    else seen.add(id);
  }
  if (duplicates.count === 0) return null;
  return {
    column: column.name,
    kind: 'duplicate_id',
    severity: 'error',
    message: `id column "${column.name}": ${duplicates.describe(column.values.length, 'repeats an earlier one', 'repeat earlier ones', 'ids')}`,
  };
}

/** How values of each type are named in messages: [one, many]. */
const typeNames: Record<ColumnSchema['type'], [string, string]> = {
  integer: ['an integer', 'integers'],
  float: ['a number', 'numbers'],
  boolean: ['a boolean (0 or 1)', 'booleans (0 or 1)'],
  datetime: ['a date', 'dates'],
  categorical: ['a category', 'categories'],
  string: ['text', 'text'],
};

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(3))}%`;
}
