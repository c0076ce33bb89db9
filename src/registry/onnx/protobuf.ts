/**
 * The protocol-buffers wire format, as much of it as ONNX needs: varints, 64-bit and 32-bit
 * fixed values and length-delimited fields (strings, bytes, sub-messages, packed arrays). ONNX
 * files are small enough to build in memory, so the writer appends to a growing byte array and
 * sub-messages are written to their own writer first, then copied in with their length.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  private bytes = new Uint8Array(1024);
  private length = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  /** An int64/int32/enum/bool field. Negative numbers take ten bytes, as protobuf defines. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.scratch.setFloat32(0, value, true);
    this.append(new Uint8Array(this.scratch.buffer, 0, 4));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, utf8.encode(value));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(BigInt(value.length));
    this.append(value);
    return this;
  }

  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytesField(field, inner.finish());
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // Tree ensembles have millions of node ids: small non-negative ones skip BigInt.
      if (v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) inner.smallVarint(v);
      else inner.varint(BigInt.asUintN(64, BigInt(v)));
    }
    return this.bytesField(field, inner.finish());
  }

  /** A packed repeated float field (float32 on the wire). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytesField(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  private smallVarint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.byte(v);
  }

  private varint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  private append(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/** One field as read: a varint (as a bigint, exact for int64), fixed bytes, or a length-delimited slice. */
export type ProtoField =
  | { readonly field: number; readonly wire: 'varint'; readonly value: bigint }
  | { readonly field: number; readonly wire: 'fixed64' | 'fixed32' | 'bytes'; readonly bytes: Uint8Array };

/** Thrown for bytes that are not a well-formed protobuf message; callers turn it into a user-facing error. */
export class ProtoError extends Error {
  override readonly name = 'ProtoError';
}

/** Reads every field of one message, in order; nested messages are returned as byte slices. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new ProtoError(`truncated varint at byte ${at}`);
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtoError(`varint longer than 10 bytes at byte ${at}`);
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) throw new ProtoError(`field runs past the end of the message at byte ${at}`);
    const slice = bytes.subarray(at, at + n);
    at += n;
    return slice;
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError(`field number 0 at byte ${at}`);
    switch (wire) {
      case WIRE_VARINT:
        fields.push({ field, wire: 'varint', value: varint() });
        break;
      case WIRE_FIXED64:
        fields.push({ field, wire: 'fixed64', bytes: take(8) });
        break;
      case WIRE_BYTES:
        fields.push({ field, wire: 'bytes', bytes: take(Number(varint())) });
        break;
      case WIRE_FIXED32:
        fields.push({ field, wire: 'fixed32', bytes: take(4) });
        break;
      default:
        throw new ProtoError(`unsupported wire type ${wire} at byte ${at}`);
    }
  }
  return fields;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function fieldString(f: ProtoField): string {
  if (f.wire !== 'bytes') throw new ProtoError(`field ${f.field} should be a string`);
  try {
    return utf8Decoder.decode(f.bytes);
  } catch {
    throw new ProtoError(`field ${f.field} is not UTF-8 text`);
  }
}

export function fieldInt(f: ProtoField): number {
  if (f.wire !== 'varint') throw new ProtoError(`field ${f.field} should be an integer`);
  return Number(BigInt.asIntN(64, f.value));
}

/** A repeated int64 field's values, packed or not. */
export function fieldInts(f: ProtoField): number[] {
  if (f.wire === 'varint') return [fieldInt(f)];
  if (f.wire !== 'bytes') throw new ProtoError(`field ${f.field} should be integers`);
  return readPackedVarints(f.bytes).map((v) => Number(BigInt.asIntN(64, v)));
}

/** A repeated float field's values, packed or not. */
export function fieldFloats(f: ProtoField): number[] {
  if (f.wire === 'fixed32') return [new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true)];
  if (f.wire !== 'bytes' || f.bytes.length % 4 !== 0) throw new ProtoError(`field ${f.field} should be floats`);
  const bytes = f.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

function readPackedVarints(bytes: Uint8Array): bigint[] {
  const values: bigint[] = [];
  let value = 0n;
  let shift = 0n;
  for (const b of bytes) {
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      values.push(value);
      value = 0n;
      shift = 0n;
    } else {
      shift += 7n;
      if (shift > 63n) throw new ProtoError('packed varint longer than 10 bytes');
    }
  }
  if (shift !== 0n) throw new ProtoError('truncated packed varints');
  return values;
}
