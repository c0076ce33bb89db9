import { KeelError, type Column, type Table } from '../core/index.js';

/**
 * One value of one column inside a transform: a number (NaN when missing) or text (null when
 * missing) — the same conventions as a Table column, so both paths see the same values.
 */
export type FeatureValue = number | string | null;

/** One row inside a transform: column name → value. The single-row (serving) path works on these. */
export type FeatureRecord = Record<string, FeatureValue>;

/** A transform's settings and fitted state as plain JSON. `state` is null before `fit`. */
export interface TransformJSON {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly state: unknown;
}

/**
 * The scikit-learn estimator contract for column transforms: the constructor only stores
 * settings; `fit` learns per-column state from every column of the table it is given (a pipeline
 * selects the columns) and replaces any earlier fit; `transform` (a Table, column by column over
 * typed arrays) and `transformRecord` (one row) apply the fitted state through the same per-value
 * functions, so they agree bit for bit; `toJSON` is the fitted state, and serving rebuilds the
 * transform from it without refitting.
 */
export interface Transform {
  readonly type: string;
  fit(table: Table): this;
  transform(table: Table): Table;
  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord;
  /** Names of the columns it was fitted on, in order. */
  inputNames(): string[];
  /** Names of the columns `transform` produces, in order. */
  outputNames(): string[];
  toJSON(): TransformJSON;
}

export function notFitted(type: string): KeelError {
  return new KeelError('failed_precondition', `${type} is not fitted: call fit() first`);
}

export function columnOf(table: Table, name: string, type: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new KeelError('invalid_data', `${type}: the table has no column "${name}"`, { field: name });
  return found;
}

/** A record's value as a number: missing (null/absent) is NaN; text is an error naming the field. */
export function recordNumber(record: Readonly<FeatureRecord>, name: string): number {
  const value = record[name];
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  throw new KeelError('invalid_argument', `field "${name}": expected a number, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

/** A value as a category: text as is, numbers as their decimal text (codes), missing as null. */
export function categoryOf(value: FeatureValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return Number.isNaN(value) ? null : String(value);
}

// ---------------------------------------------------------------------------------------------
// Reading fitted state back from JSON. Packages come from disk or the network, so every field is
// checked and a malformed one is reported by its path.

export function incompatible(path: string, expected: string): KeelError {
  return new KeelError('incompatible', `feature pipeline JSON: ${path} should be ${expected}`, { field: path });
}

export function jsonObject(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw incompatible(path, 'an object');
  return value as Record<string, unknown>;
}

export function jsonArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw incompatible(path, 'an array');
  return value;
}

export function jsonString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw incompatible(path, 'a string');
  return value;
}

export function jsonNumber(value: unknown, path: string): number {
  if (typeof value !== 'number') throw incompatible(path, 'a number');
  return value;
}

export function jsonStrings(value: unknown, path: string): string[] {
  return jsonArray(value, path).map((v, i) => jsonString(v, `${path}[${i}]`));
}

export function jsonOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) throw incompatible(path, `one of ${allowed.join(', ')}`);
  return value as T;
}
