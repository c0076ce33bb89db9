/**
 * Records as they cross to another thread: their keys once per shape, their values in one flat
 * array. `postMessage` copies an object's every key with every object, and the prediction log
 * sends thousands of records a second whose keys (the signature's columns, the output's
 * classes) repeat; a flat array of numbers and strings copies in under half the time, on the
 * sending and on the receiving thread alike. Plain objects nest (a record's `inputs`); any other
 * value (arrays, dates, null) is a leaf copied as it is.
 */
export interface EncodedRecords {
  readonly shapes: readonly Shape[];
  /** The shape of each record, by index into `shapes`. */
  readonly shapeOf: readonly number[];
  /** Every record's leaves, record after record, depth first in key order. */
  readonly values: readonly unknown[];
}

/** The keys of one object layout, with the layout of each key's value when that value is a plain object. */
export interface Shape {
  readonly keys: readonly string[];
  readonly nested: ReadonlyArray<Shape | null>;
}

export function encodeRecords(records: readonly object[]): EncodedRecords {
  const shapes: Shape[] = [];
  const shapeOf: number[] = new Array(records.length);
  const values: unknown[] = [];
  let last = -1;
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    const mark = values.length;
    // Records in a batch nearly always share the previous one's shape: try it first.
    if (last >= 0 && pushLeaves(record, shapes[last], values)) {
      shapeOf[r] = last;
      continue;
    }
    // Every attempt starts from the record's first value: a shape that fails partway pushed some.
    const fits = (shape: Shape): boolean => {
      values.length = mark;
      return pushLeaves(record, shape, values);
    };
    let found = shapes.findIndex((shape, i) => i !== last && fits(shape));
    if (found < 0) {
      found = shapes.push(shapeOfValue(record)) - 1;
      fits(shapes[found]);
    }
    shapeOf[r] = last = found;
  }
  return { shapes, shapeOf, values };
}

export function decodeRecords<T>(encoded: EncodedRecords): T[] {
  const { shapes, shapeOf, values } = encoded;
  const out: T[] = new Array(shapeOf.length);
  const cursor = { at: 0 };
  for (let r = 0; r < shapeOf.length; r++) out[r] = build(shapes[shapeOf[r]], values, cursor) as T;
  if (cursor.at !== values.length) throw new Error(`record codec: ${values.length - cursor.at} values left over`);
  return out;
}

/** Appends the leaves of `value` when it has `shape`; false (leaving partial pushes) when it does not. */
function pushLeaves(value: object, shape: Shape, values: unknown[]): boolean {
  const { keys, nested } = shape;
  let i = 0;
  for (const key in value) {
    if (i >= keys.length || key !== keys[i]) return false;
    const leaf = (value as Record<string, unknown>)[key];
    const inner = nested[i];
    if (inner === null) {
      if (isPlainObject(leaf)) return false;
      values.push(leaf);
    } else if (!isPlainObject(leaf) || !pushLeaves(leaf, inner, values)) {
      return false;
    }
    i++;
  }
  return i === keys.length;
}

function shapeOfValue(value: object): Shape {
  const keys: string[] = [];
  const nested: (Shape | null)[] = [];
  for (const key in value) {
    const leaf = (value as Record<string, unknown>)[key];
    keys.push(key);
    nested.push(isPlainObject(leaf) ? shapeOfValue(leaf) : null);
  }
  return { keys, nested };
}

function build(shape: Shape, values: readonly unknown[], cursor: { at: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < shape.keys.length; i++) {
    const inner = shape.nested[i];
    out[shape.keys[i]] = inner === null ? values[cursor.at++] : build(inner, values, cursor);
  }
  return out;
}

function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
