import { KeelError, type Column, type Table } from '../core/index.js';

/**
 * One value of one column inside a transform: a number (NaN when missing) or text (null when
 * missing) — the same conventions as a Table column, so both paths see the same values.
 */
export type FeatureValue = number | string | null;

/** One row inside a transform: column name → value. The single-row (serving) path works on these. */
export type FeatureRecord = Record<string, FeatureValue>;

/**
 * The training target, one value per table row, for the transforms that learn from it (the
 * target encoder): numbers for a regression or coded target, text for class labels.
 */
export type FeatureTarget = Float64Array | readonly number[] | ReadonlyArray<string | null>;

/**
 * How a transform reads its columns, which decides how a pipeline hands them over: `number`
 * (scalers, log, clip: text is an error), `category` (encoders: numbers are read as their
 * decimal text), `datetime` (ISO text or epoch numbers) or `any` (the most-frequent and constant
 * imputers, which keep each column's kind).
 */
export type TransformInput = 'number' | 'category' | 'datetime' | 'any';

/** A transform's settings and fitted state as plain JSON. `state` is null before `fit`. */
export interface TransformJSON {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly state: unknown;
}

/**
 * The scikit-learn estimator contract for column transforms: the constructor only stores (and
 * checks) settings; `fit` learns per-column state from every column of the table it is given (a
 * pipeline selects the columns) and replaces any earlier fit; `transform` (a Table, column by
 * column over typed arrays) and `transformRecord` (one row) apply the fitted state through the
 * same per-value functions, so they agree bit for bit; `toJSON` is the settings and fitted state,
 * and serving rebuilds the transform from it without refitting.
 */
export interface Transform {
  readonly type: string;
  readonly input: TransformInput;
  /** `target` is the training target, row-aligned with `table`; only the target encoder needs it. */
  fit(table: Table, target?: FeatureTarget): this;
  transform(table: Table): Table;
  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord;
  /**
   * The serving path's shortcut for a step's last transform: writes `transformRecord(record)`'s
   * values, in `outputNames()` order, into `out` from `offset`, without building the record
   * (an encoder's output names are many, and keyed stores and reads are most of a row's cost).
   */
  transformRecordInto?(record: Readonly<FeatureRecord>, out: Float64Array, offset: number): void;
  /** Names of the columns it was fitted on, in order. */
  inputNames(): string[];
  /** Names of the columns `transform` produces, in order. */
  outputNames(): string[];
  /** The categories an encoder learned for `column` (a model's input domain); encoders only. */
  domain?(column: string): readonly string[];
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

/** The values of a numeric column; a text column is an error naming it. */
export function numericValues(table: Table, name: string, type: string): Float64Array {
  const column = columnOf(table, name, type);
  if (column.kind !== 'number') throw notNumeric(type, name);
  return column.values;
}

export function notNumeric(type: string, name: string): KeelError {
  return new KeelError('invalid_data', `${type}: column "${name}" is not numeric`, { field: name });
}

export function noValues(type: string, name: string): KeelError {
  return new KeelError('invalid_data', `${type}: column "${name}" has no values to learn from`, { field: name });
}

/** A record's value as a number: missing (null/absent) is NaN; text is an error naming the field. */
export function recordNumber(record: Readonly<FeatureRecord>, name: string): number {
  return numberValue(record[name], name);
}

/** `recordNumber` of a value already read from field `name`. */
export function numberValue(value: unknown, name: string): number {
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

/**
 * Categories in the order encoders list them: numerically when they came from a numeric column
 * (as scikit-learn sorts numbers), otherwise by UTF-16 code unit (as `Array.prototype.sort`).
 */
export function sortCategories(categories: Iterable<string>, numeric: boolean): string[] {
  const list = [...categories];
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort();
}

/** The non-missing values of a numeric column, ascending. */
export function sortedPresent(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const present = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) present[k++] = values[i];
  return present.sort();
}

/**
 * NumPy's default (`linear`) quantile of ascending values, computed as NumPy 1.24 does —
 * including its two-sided interpolation — so quantile-based state matches scikit-learn's bits.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1];
  if (virtual < 0) return sorted[0];
  const below = Math.floor(virtual);
  const a = sorted[below];
  const b = sorted[below + 1];
  const t = virtual - below;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** scikit-learn's `_handle_zeros_in_scale`: a (near-)zero scale becomes 1. */
export function nonZeroScale(scale: number): number {
  return scale < 10 * Number.EPSILON ? 1 : scale;
}

/** A value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  return Array.isArray(value) ? `[${value.map(describeValue).join(', ')}]` : `an ${typeof value}`;
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

/** A number that JSON stores as null when it is NaN (JSON has no NaN). */
export function jsonNumberOrNaN(value: unknown, path: string): number {
  if (value === null) return NaN;
  if (typeof value !== 'number') throw incompatible(path, 'a number or null');
  return value;
}

export function jsonBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw incompatible(path, 'a boolean');
  return value;
}

export function jsonStrings(value: unknown, path: string): string[] {
  return jsonArray(value, path).map((v, i) => jsonString(v, `${path}[${i}]`));
}

export function jsonNumbers(value: unknown, path: string): number[] {
  return jsonArray(value, path).map((v, i) => jsonNumber(v, `${path}[${i}]`));
}

export function jsonOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) throw incompatible(path, `one of ${allowed.join(', ')}`);
  return value as T;
}

/** The fitted state's `columns` array, each entry read by `read` with its path. */
export function jsonColumns<T>(state: unknown, path: string, read: (c: Record<string, unknown>, at: string) => T): T[] {
  const columns = jsonArray(jsonObject(state, `${path}.state`).columns, `${path}.state.columns`);
  return columns.map((value, i) => {
    const at = `${path}.state.columns[${i}]`;
    return read(jsonObject(value, at), at);
  });
}
