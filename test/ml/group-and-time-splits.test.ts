import { describe, expect, it } from 'vitest';
import { Rng, groupTrainTestSplit, timeTrainTestSplit, type SplitIndices } from '../../src/ml/index.js';
import { expectKeelError } from './helpers.js';

function expectPartition({ train, test }: SplitIndices, n: number): void {
  const all = [...train, ...test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
  for (const part of [train, test]) for (let i = 1; i < part.length; i++) expect(part[i]).toBeGreaterThan(part[i - 1]);
}

/** 1,000 rows of 60 customers with 1 to 30 rows each, in a shuffled order. */
function customers(): string[] {
  const rng = new Rng(3);
  const rows: string[] = [];
  for (let c = 0; c < 60 && rows.length < 1000; c++) {
    const count = Math.min(1 + rng.nextInt(30), 1000 - rows.length);
    for (let k = 0; k < count; k++) rows.push(`customer-${c}`);
  }
  while (rows.length < 1000) rows.push('customer-60');
  return Array.from(rng.permutation(rows.length), (i) => rows[i]);
}

describe('groupTrainTestSplit', () => {
  const groups = customers();

  it('keeps every group on one side', () => {
    const split = groupTrainTestSplit(groups, { testSize: 0.2, seed: 1 });
    expectPartition(split, groups.length);
    const testGroups = new Set(Array.from(split.test, (i) => groups[i]));
    const trainGroups = new Set(Array.from(split.train, (i) => groups[i]));
    expect([...testGroups].filter((g) => trainGroups.has(g))).toEqual([]);
  });

  it('holds out the share of rows asked for, as nearly as whole groups allow', () => {
    const sizes = new Map<string, number>();
    for (const g of groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
    const largest = Math.max(...sizes.values());
    for (const [testSize, seed] of [
      [0.2, 1],
      [0.3, 2],
      [0.5, 3],
    ]) {
      const { test } = groupTrainTestSplit(groups, { testSize, seed });
      expect(Math.abs(test.length - testSize * groups.length)).toBeLessThanOrEqual(largest / 2);
    }
    expect(Math.abs(groupTrainTestSplit(groups, { testSize: 250 }).test.length - 250)).toBeLessThanOrEqual(largest / 2);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    expect(groupTrainTestSplit(groups, { seed: 7 })).toEqual(groupTrainTestSplit(groups, { seed: 7 }));
    expect(groupTrainTestSplit(groups, { seed: 7 })).not.toEqual(groupTrainTestSplit(groups, { seed: 8 }));
  });

  it('takes numeric groups, and leaves at least one group on each side', () => {
    const split = groupTrainTestSplit([1, 1, 1, 1, 1, 1, 1, 1, 2, 2], { testSize: 0.9 });
    expect(Array.from(split.test).length + Array.from(split.train).length).toBe(10);
    expect(split.test.length === 8 || split.test.length === 2).toBe(true);
    expect(split.train.length).toBeGreaterThan(0);
  });

  it('refuses groups it cannot split', async () => {
    await expectKeelError(() => groupTrainTestSplit(['a', 'a', 'a']), 'invalid_argument', { field: 'groups' });
    await expectKeelError(() => groupTrainTestSplit(['a', null as unknown as string, 'b']), 'invalid_argument', {
      field: 'groups',
      row: 1,
    });
    await expectKeelError(() => groupTrainTestSplit(['a', 'b'], { testSize: 0 }), 'invalid_argument', {
      field: 'testSize',
    });
  });
});

describe('timeTrainTestSplit', () => {
  it('tests on the latest rows: every test time is at or after every training time', () => {
    const rng = new Rng(5);
    const times = Array.from({ length: 500 }, () => rng.nextInt(100));
    const split = timeTrainTestSplit(times, { testSize: 0.25 });
    expectPartition(split, 500);
    expect(split.test.length).toBe(125);
    const latestTrain = Math.max(...Array.from(split.train, (i) => times[i]));
    const earliestTest = Math.min(...Array.from(split.test, (i) => times[i]));
    expect(earliestTest).toBeGreaterThanOrEqual(latestTrain);
  });

  it('keeps ties in row order: of equal times, the later rows are tested', () => {
    expect(timeTrainTestSplit([3, 1, 2, 2, 2, 0], { testSize: 3 })).toEqual({
      train: Uint32Array.from([1, 2, 5]),
      test: Uint32Array.from([0, 3, 4]),
    });
  });

  it('orders ISO dates and timestamps by the instant they name, zones included', () => {
    const times = [
      '2011-01-02 00:00:00',
      '2011-01-01',
      '2011-01-01T23:30:00+01:00', // 22:30 UTC, before the plain 23:00 below
      '2011-01-01 23:00:00',
      '2011-01-03T00:00:00.5Z',
    ];
    const split = timeTrainTestSplit(times, { testSize: 3 });
    expect(Array.from(split.train)).toEqual([1, 2]);
    expect(Array.from(split.test)).toEqual([0, 3, 4]);
  });

  it('rounds the test share up, as trainTestSplit does', () => {
    expect(timeTrainTestSplit(Float64Array.from({ length: 10 }, (_, i) => i)).test).toEqual(Uint32Array.from([8, 9]));
    expect(timeTrainTestSplit([0, 1, 2, 3, 4, 5, 6], { testSize: 0.2 }).test).toEqual(Uint32Array.from([5, 6]));
  });

  it('refuses rows without a time, text that is not ISO and mixed kinds, naming the row', async () => {
    await expectKeelError(() => timeTrainTestSplit([1, NaN, 3]), 'invalid_argument', { field: 'times', row: 1 });
    await expectKeelError(() => timeTrainTestSplit(['2011-01-01', null, '2011-01-03']), 'invalid_argument', {
      row: 1,
    });
    await expectKeelError(
      () => timeTrainTestSplit(['2011-01-01', '31-01-2011', '2011-01-03']),
      'invalid_argument',
      { field: 'times', row: 1 },
      /"31-01-2011" at row 1, which is not an ISO date/,
    );
    await expectKeelError(() => timeTrainTestSplit([1, '2011-01-01', 3] as never), 'invalid_argument', { row: 1 });
    await expectKeelError(() => timeTrainTestSplit([1, 2], { testSize: 2 }), 'invalid_argument', {
      field: 'testSize',
    });
  });
});
