/**
 * Typed arrays on a SharedArrayBuffer: passed to a worker they arrive as views of the same
 * memory, so a 200k × 20 matrix is not copied once per worker (or per task).
 */

type SharedTypedArray = Float64Array | Float32Array | Int32Array | Uint32Array;

interface TypedArrayClass<A extends SharedTypedArray> {
  new (buffer: SharedArrayBuffer): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** A zero-filled array of `length` values in shared memory. */
export function sharedArray<A extends SharedTypedArray>(Type: TypedArrayClass<A>, length: number): A {
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
}

/** A shared copy of `values`. */
export function shareArray<A extends SharedTypedArray>(values: A): A {
  const copy = sharedArray(values.constructor as TypedArrayClass<A>, values.length);
  copy.set(values);
  return copy;
}
