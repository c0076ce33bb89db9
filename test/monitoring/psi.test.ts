import { describe, expect, it } from 'vitest';
import type { Table } from '../../src/core/index.js';
import { buildReference, psi, quantileSorted } from '../../src/monitoring/index.js';

/** mulberry32: a tiny seeded generator, so the samples are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalTable(n: number, mean: number, seed: number): Table {
  const random = seeded(seed);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Box–Muller from the seeded generator.
    values[i] = mean + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  const plan = Array.from({ length: n }, (_, i) =>
    i % 10 < 7 ? 'Month-to-month' : i % 10 < 9 ? 'One year' : 'Two year',
  );
  return {
    rows: n,
    columns: [
      { name: 'x', kind: 'number', values },
      { name: 'plan', kind: 'string', values: plan },
    ],
  };
}

function numbers(table: Table): number[] {
  const column = table.columns[0];
  if (column.kind !== 'number') throw new Error('expected a numeric column');
  return Array.from(column.values);
}

const inputs = [
  { name: 'x', type: 'float' as const, nullable: false },
  { name: 'plan', type: 'categorical' as const, nullable: false },
];

describe('reference profile and PSI', () => {
  const reference = buildReference(normalTable(20_000, 0, 1), inputs);
  const [x, plan] = reference.features;

  it('keeps decile edges and shares of the training data', () => {
    expect(x.kind).toBe('numeric');
    if (x.kind !== 'numeric') return;
    expect(x.edges).toHaveLength(9);
    expect(x.edges[4]).toBeCloseTo(0, 1);
    for (const share of x.shares) expect(share).toBeCloseTo(0.1, 3);
    expect(plan).toMatchObject({
      kind: 'categorical',
      shares: { 'Month-to-month': 0.7, 'One year': 0.2, 'Two year': 0.1 },
    });
  });

  it('is near zero for a sample of the same distribution', () => {
    const same = normalTable(5_000, 0, 2);
    expect(psi(x, numbers(same))).toBeLessThan(0.02);
    expect(psi(plan, same.columns[1].values as string[])).toBeLessThan(0.001);
  });

  it('is large when the distribution moves', () => {
    const shifted = normalTable(5_000, 1, 3);
    expect(psi(x, numbers(shifted))).toBeGreaterThan(0.5);
    const mostlyTwoYear = Array.from({ length: 1000 }, (_, i) => (i % 10 < 8 ? 'Two year' : 'One year'));
    expect(psi(plan, mostlyTwoYear)).toBeGreaterThan(1);
  });

  it('counts missing and unseen values as their own bins', () => {
    expect(
      psi(
        x,
        Array.from({ length: 100 }, () => null),
      ),
    ).toBeGreaterThan(1);
    expect(
      psi(
        plan,
        Array.from({ length: 100 }, () => 'Lifetime'),
      ),
    ).toBeGreaterThan(1);
  });

  it('interpolates quantiles as NumPy does', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([7], 0.99)).toBe(7);
  });
});
