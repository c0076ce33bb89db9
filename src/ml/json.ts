import { KeelError } from '../core/index.js';
import type { ClassLabel } from './labels.js';

/** Plain JSON, as `toJSON` produces and `fromJSON` reads. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Checked reads from a parsed model file. A model may come from disk or over the network, so
 * every field is validated and a bad one is named by its path (`state.tree.left`) rather than
 * failing later inside a prediction loop.
 */
export class JsonReader {
  private constructor(
    private readonly value: Record<string, unknown>,
    readonly path: string,
  ) {}

  static object(value: unknown, path: string): JsonReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'an object');
    return new JsonReader(value as Record<string, unknown>, path);
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  /** The object at `key`, unchecked inside. */
  record(key: string): Readonly<Record<string, unknown>> {
    return this.child(key).value;
  }

  child(key: string): JsonReader {
    return JsonReader.object(this.value[key], this.field(key));
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') throw invalid(this.field(key), 'a string');
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw invalid(this.field(key), 'true or false');
    return v;
  }

  integer(key: string, min = 0): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw invalid(this.field(key), `an integer ≥ ${min}`);
    }
    return v;
  }

  float64Array(key: string, length?: number): Float64Array {
    const values = this.array(key, length);
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${this.field(key)}[${i}]`, 'a finite number');
      out[i] = v;
    }
    return out;
  }

  int32Array(key: string, length: number | undefined, min: number, max: number): Int32Array {
    const values = this.array(key, length);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw invalid(`${this.field(key)}[${i}]`, `an integer from ${min} to ${max}`);
      }
      out[i] = v;
    }
    return out;
  }

  /** Class labels: a non-empty array of distinct numbers or of distinct strings. */
  labels(key: string): ClassLabel[] {
    const values = this.array(key, undefined);
    const field = this.field(key);
    if (values.length === 0) throw invalid(field, 'a non-empty array of labels');
    const kind = typeof values[0];
    for (const v of values) {
      const ok = (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';
      if (!ok || typeof v !== kind) throw invalid(field, 'labels that are all numbers or all strings');
    }
    const labels = values as ClassLabel[];
    if (new Set(labels).size !== labels.length) throw invalid(field, 'distinct labels');
    return [...labels];
  }

  /** An error naming `key` under this reader's path. */
  invalid(key: string, expected: string): KeelError {
    return invalid(this.field(key), expected);
  }

  private array(key: string, length: number | undefined): unknown[] {
    const v = this.value[key];
    const field = this.field(key);
    if (!Array.isArray(v)) throw invalid(field, 'an array');
    if (length !== undefined && v.length !== length) throw invalid(field, `an array of ${length} values`);
    return v;
  }

  private field(key: string): string {
    return `${this.path}.${key}`;
  }
}

function invalid(field: string, expected: string): KeelError {
  return new KeelError('invalid_data', `model JSON is invalid: ${field} must be ${expected}`, { field });
}

/** A typed array as a JSON array (exact: JSON numbers round-trip every finite double). */
export function jsonArray(values: ArrayLike<number>): number[] {
  return Array.from(values);
}
