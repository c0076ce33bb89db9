import type { FeatureRecord, FeatureValue } from './transform.js';

/** Reads one field of a source record as a feature value (`key` names the field in errors). */
export type FieldReader = (value: unknown, key: string) => FeatureValue;

/** Copies fixed fields of a source record into a fresh feature record, each through its reader. */
export type RecordReader = (source: Readonly<Record<string, unknown>>) => FeatureRecord;

/**
 * A reader of the fields `keys` (each read from the same key of the source, or from
 * `sourceKeys[i]`), generated once per key list: its object literal gives every
 * record it makes the same keys in the same order (one hidden class, constant-key stores). The
 * serving path builds such records for every request; filling `{}` key by key in a loop, with
 * a key the engine cannot see in advance, cost several times more. Keys are embedded as JSON
 * string literals; a key list with `__proto__` (which a literal would take as the prototype)
 * gets the loop instead.
 */
export function recordReader(
  keys: readonly string[],
  readers: readonly FieldReader[],
  sourceKeys: readonly string[] = keys,
): RecordReader {
  if (readers.length !== keys.length || sourceKeys.length !== keys.length) {
    throw new Error('recordReader: one reader and one source key per key');
  }
  if (keys.includes('__proto__')) return loopReader(keys, readers, sourceKeys);
  const fields = keys.map((key, i) => {
    const from = JSON.stringify(sourceKeys[i]);
    return `${JSON.stringify(key)}: readers[${i}](source[${from}], ${from})`;
  });
  const make = new Function('readers', `return function read(source) { return { ${fields.join(', ')} }; };`);
  return make(readers) as RecordReader;
}

/** The fields as they are (a step's columns copied out of the pipeline's record). */
export const asIs: FieldReader = (value) => value as FeatureValue;

function loopReader(
  keys: readonly string[],
  readers: readonly FieldReader[],
  sourceKeys: readonly string[],
): RecordReader {
  return (source) => {
    const out: FeatureRecord = {};
    for (let i = 0; i < keys.length; i++) {
      Object.defineProperty(out, keys[i], {
        value: readers[i](source[sourceKeys[i]], sourceKeys[i]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
}
