import type { JsonReader } from './json.js';

/**
 * Typed arrays as base64 strings of their bytes, for fitted states too large for JSON number
 * arrays: a forest's million nodes take ~4/3 of their binary size this way instead of ~20
 * characters per number, and decoding is a memcpy rather than a parse. Exact for every value,
 * including the float64 thresholds. Bytes are little-endian, as on every platform Node ships for.
 */

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;

interface TypedArrayClass<A extends TypedArray> {
  new (length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

export function toBase64(values: TypedArray): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the base64 string at `key` as a typed array of `length` values (any length when
 * omitted), naming the field when the string is not base64 or has the wrong size.
 */
export function readBase64<A extends TypedArray>(
  reader: JsonReader,
  key: string,
  Type: TypedArrayClass<A>,
  length?: number,
): A {
  const text = reader.string(key);
  const size = Type.BYTES_PER_ELEMENT;
  const what = `base64 of ${length === undefined ? 'whole' : length} ${size * 8}-bit values`;
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw reader.invalid(key, what);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % size !== 0 || (length !== undefined && bytes.length !== length * size)) {
    throw reader.invalid(key, what);
  }
  // A copy into a fresh buffer: Buffer's may be pooled and unaligned for the element size.
  const out = new Type(bytes.length / size);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
