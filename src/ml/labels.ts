import { KeelError } from '../core/index.js';

/** A class label as the user gave it. */
export type ClassLabel = number | string;

/** What supervised estimators accept as y: an array or typed array of numbers or strings. */
export type TargetInput = ArrayLike<ClassLabel>;

export interface EncodedLabels {
  /** Distinct labels in scikit-learn's order: ascending numbers, or strings by code unit. */
  readonly classes: ClassLabel[];
  /** codes[i] is the index of y[i] in `classes`. */
  readonly codes: Int32Array;
}

/** Orders labels as numpy.unique does, so class order (and predictProba columns) match scikit-learn. */
export function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** How a target's length is checked: against X's rows by default, or another array's length. */
export interface LengthCheck {
  readonly field?: string;
  readonly expectedLength?: number;
  /** What `expectedLength` is the length of, for the message (default "X"). */
  readonly against?: string;
}

function checkLength(y: unknown, field: string, options: LengthCheck): ArrayLike<unknown> {
  const { expectedLength, against = 'X' } = options;
  const ok = Array.isArray(y) || (ArrayBuffer.isView(y) && !(y instanceof DataView));
  if (!ok) {
    throw new KeelError('invalid_argument', `${field} must be an array or typed array`, { field });
  }
  const values = y as ArrayLike<unknown>;
  if (values.length === 0) throw new KeelError('invalid_argument', `${field} is empty`, { field });
  if (expectedLength !== undefined && values.length !== expectedLength) {
    throw new KeelError(
      'invalid_argument',
      `${field} has ${values.length} values but ${against} has ${expectedLength}; they must match`,
      { field, expected: expectedLength, actual: values.length },
    );
  }
  return values;
}

/** A value as it should appear in an error message (JSON.stringify would print NaN as null). */
export function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

function badLabel(field: string, row: number, value: unknown): KeelError {
  return new KeelError(
    'invalid_argument',
    `${field} has an invalid label ${show(value)} at row ${row}: labels must be finite numbers or strings`,
    { field, row },
  );
}

/** Validates class labels (all numbers or all strings, none missing) and encodes them as codes. */
export function encodeLabels(y: unknown, options: LengthCheck = {}): EncodedLabels {
  const field = options.field ?? 'y';
  const values = checkLength(y, field, options);
  const n = values.length;
  const kind = typeof values[0];
  const seen = new Map<ClassLabel, number>();
  const firstCodes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw badLabel(field, i, v);
    if (typeof v !== kind) {
      throw new KeelError(
        'invalid_argument',
        `${field} mixes numbers and strings (row 0 is a ${kind}, row ${i} a ${typeof v}); use one type of label`,
        { field, row: i },
      );
    }
    const label = v as ClassLabel;
    let code = seen.get(label);
    if (code === undefined) {
      code = seen.size;
      seen.set(label, code);
    }
    firstCodes[i] = code;
  }
  // Codes were assigned in order of appearance; remap them to sorted class order.
  const appearance = [...seen.keys()];
  const classes = [...appearance].sort(compareLabels);
  const sortedIndex = new Map(classes.map((label, index) => [label, index]));
  const remap = Int32Array.from(appearance, (label) => sortedIndex.get(label) ?? 0);
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) codes[i] = remap[firstCodes[i]];
  return { classes, codes };
}

/**
 * Codes of `y` against known `classes` (e.g. a fitted model's), failing on a label the
 * classes do not contain.
 */
export function codesOf(y: unknown, classes: readonly ClassLabel[], options: { field?: string } = {}): Int32Array {
  const field = options.field ?? 'y';
  const values = checkLength(y, field, {});
  const index = new Map<ClassLabel, number>(classes.map((label, i) => [label, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const code = index.get(values[i] as ClassLabel);
    if (code === undefined) {
      throw new KeelError(
        'invalid_argument',
        `${field} has label ${show(values[i])} at row ${i}, which is not one of the classes ${JSON.stringify(classes)}`,
        { field, row: i },
      );
    }
    codes[i] = code;
  }
  return codes;
}

/** Validates a numeric regression target and returns it as a Float64Array. */
export function checkTarget(y: unknown, options: LengthCheck = {}): Float64Array {
  const field = options.field ?? 'y';
  const values = checkLength(y, field, options);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new KeelError(
        'invalid_argument',
        `${field} has ${typeof v === 'number' ? 'a non-finite' : 'a non-numeric'} value ${show(v)} at row ${i}: a regression target must be finite numbers`,
        { field, row: i },
      );
    }
    out[i] = v;
  }
  return out;
}
