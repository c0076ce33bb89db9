import { describe, expect, test } from 'vitest';
import { asIs, recordReader } from '../../src/features/record-reader.js';

describe('recordReader', () => {
  test('copies the keys in order, each through its reader, and leaves the source alone', () => {
    const read = recordReader(['b', 'a'], [asIs, (value, key) => `${key}=${String(value)}`]);
    const source = { a: 1, b: 'x', c: true };
    const out = read(source);
    expect(out).toEqual({ b: 'x', a: 'a=1' });
    expect(Object.keys(out)).toEqual(['b', 'a']);
    expect(source).toEqual({ a: 1, b: 'x', c: true });
    expect(read(source)).not.toBe(out);
  });

  test('reads each key from its source key when they differ', () => {
    const read = recordReader(
      ['tenure', 'tenure_missing'],
      [asIs, (value) => (value === null ? 1 : 0)],
      ['tenure', 'tenure'],
    );
    expect(read({ tenure: null })).toEqual({ tenure: null, tenure_missing: 1 });
    expect(read({ tenure: 3 })).toEqual({ tenure: 3, tenure_missing: 0 });
  });

  test('keys that are not identifiers stay data, never code', () => {
    const keys = [
      'a "quoted" key',
      "it's",
      'back\\slash',
      'line\nbreak',
      '`${x}`',
      '}; throw 1; {',
      '0',
      'ünïcode',
      'constructor',
    ];
    const source = Object.fromEntries(keys.map((k, i) => [k, i]));
    const out = recordReader(
      keys,
      keys.map(() => asIs),
    )(source);
    expect(Object.entries(out)).toEqual(Object.entries(source));
    for (const key of keys) expect(out[key]).toBe(source[key]);
  });

  test('a __proto__ key is an own field of the record, not its prototype', () => {
    const source = JSON.parse('{"__proto__": "x", "b": 2}') as Record<string, unknown>;
    const out = recordReader(['__proto__', 'b'], [asIs, asIs])(source);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('x');
    expect(out.b).toBe(2);
  });

  test('a reader that throws fails the read with its own error', () => {
    const read = recordReader(
      ['n'],
      [
        (value, key) => {
          if (typeof value !== 'number') throw new Error(`field "${key}": expected a number`);
          return value;
        },
      ],
    );
    expect(() => read({ n: 'abc' })).toThrow('field "n": expected a number');
  });
});
