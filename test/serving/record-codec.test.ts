import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecords } from '../../src/serving/index.js';

/** What the writer thread receives: the encoded batch through the structured clone postMessage uses. */
function roundTrip<T extends object>(records: readonly T[]): T[] {
  return decodeRecords<T>(structuredClone(encodeRecords(records)));
}

describe('record codec (the prediction log on its way to the writer thread)', () => {
  it('gives back equal records, in order, keys in their order, nested objects included', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      id: `pred_${i}`,
      endpoint: 'churn',
      version: 1,
      inputs: { tenure: i, Contract: i % 2 ? 'One year' : null, TotalCharges: Number.NaN },
      output: { label: 'Yes', probabilities: { No: 0.25, Yes: 0.75 } },
      latencyMs: i / 7,
    }));
    const back = roundTrip(records);
    expect(back).toEqual(records);
    expect(back.map((r) => Object.keys(r.inputs))).toEqual(records.map((r) => Object.keys(r.inputs)));
    expect(JSON.stringify(back)).toBe(JSON.stringify(records));
    // One shape for fifty records: the keys cross once, the values in one flat array.
    const encoded = encodeRecords(records);
    expect(encoded.shapes).toHaveLength(1);
    expect(encoded.values).toHaveLength(50 * 10);
  });

  it('follows records whose shapes differ: other keys, other order, a leaf where an object was, and back', () => {
    const records: object[] = [
      { id: 'a', output: { value: 1.5 } },
      { id: 'b', output: { label: 'No', probabilities: { No: 1, Yes: 0 } } },
      { output: { value: 2 }, id: 'c' },
      { id: 'd', output: null },
      { id: 'e', output: [1, 2, 3] },
      { id: 'f', output: { value: 3 } },
      { id: 'g', output: { value: 4, extra: undefined } },
      { id: 'h' },
      { 2: 'two', 1: 'one', name: 'integer keys come first, as in the original' },
      {},
    ];
    const back = roundTrip(records);
    expect(back).toEqual(records);
    expect(back.map((r) => Object.keys(r))).toEqual(records.map((r) => Object.keys(r)));
    // Shapes are reused: `f` has `a`'s.
    const encoded = encodeRecords(records);
    expect(encoded.shapeOf[5]).toBe(encoded.shapeOf[0]);
  });

  it('tries each known shape from a clean slate: a shape that fails partway leaves no values behind', () => {
    // Three shapes sharing their first key; the last record's shape is the second, so the first
    // is tried (and fails after pushing `id`) before the second matches.
    const records: object[] = [
      { id: 'a', value: 1 },
      { id: 'b', label: 'No' },
      { id: 'c', score: 0.5 },
      { id: 'd', label: 'Yes' },
    ];
    expect(roundTrip(records)).toEqual(records);
    expect(encodeRecords(records).values).toEqual(['a', 1, 'b', 'No', 'c', 0.5, 'd', 'Yes']);
  });

  it('keeps values that are not plain objects as they are (dates, arrays, objects with a prototype)', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const at = new Date('2026-12-07T10:00:00.000Z');
    const records = [{ at, tags: ['a', 'b'], point: new Point(1) }];
    const encoded = encodeRecords(records);
    expect(encoded.shapes[0].nested).toEqual([null, null, null]);
    expect(decodeRecords<(typeof records)[number]>(encoded)[0].at).toBe(at);
  });

  it('an empty batch encodes to nothing and decodes to no records', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('refuses a batch whose values do not add up to its shapes', () => {
    const encoded = encodeRecords([{ a: 1 }, { a: 2 }]);
    expect(() => decodeRecords({ ...encoded, values: [...encoded.values, 3] })).toThrow('1 values left over');
  });
});
