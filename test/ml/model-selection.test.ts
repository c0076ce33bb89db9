import { describe, expect, it } from 'vitest';
import { kFold, trainTestSplit, type SplitIndices } from '../../src/ml/index.js';
import { expectKeelError } from './helpers.js';

function expectPartition({ train, test }: SplitIndices, n: number): void {
  const all = [...train, ...test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
  for (const part of [train, test]) for (let i = 1; i < part.length; i++) expect(part[i]).toBeGreaterThan(part[i - 1]);
}

const share = (labels: string[], rows: Uint32Array, label: string): number =>
  Array.from(rows).filter((i) => labels[i] === label).length / rows.length;

describe('trainTestSplit', () => {
  it('holds out 20% by default, ceil-rounded as scikit-learn, and covers every row once', () => {
    const split = trainTestSplit(101);
    expect(split.test).toHaveLength(21);
    expect(split.train).toHaveLength(80);
    expectPartition(split, 101);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    expect(trainTestSplit(1000, { seed: 7 })).toEqual(trainTestSplit(1000, { seed: 7 }));
    expect(trainTestSplit(1000, { seed: 7 }).test).not.toEqual(trainTestSplit(1000, { seed: 8 }).test);
    expect(trainTestSplit(1000)).toEqual(trainTestSplit(1000, { seed: 0 }));
  });

  it('takes testSize as a fraction or a count', () => {
    expect(trainTestSplit(50, { testSize: 0.3 }).test).toHaveLength(15);
    expect(trainTestSplit(50, { testSize: 7 }).test).toHaveLength(7);
  });

  it('stratified, keeps each class share in both parts to within one row', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 'rare' : i % 3 === 0 ? 'mid' : 'common'));
    const split = trainTestSplit(labels, { stratify: true, testSize: 0.25, seed: 3 });
    expectPartition(split, 1000);
    expect(split.test).toHaveLength(250);
    for (const label of ['rare', 'mid', 'common']) {
      const overall = labels.filter((l) => l === label).length / labels.length;
      expect(Math.abs(share(labels, split.test, label) - overall)).toBeLessThanOrEqual(1 / 250);
      expect(Math.abs(share(labels, split.train, label) - overall)).toBeLessThanOrEqual(1 / 750);
    }
  });

  it('accepts labels without stratifying, using only their count', () => {
    expect(trainTestSplit(['a', 'b', 'a', 'b', 'a'], { seed: 1 })).toEqual(trainTestSplit(5, { seed: 1 }));
  });

  it('refuses splits that cannot work', async () => {
    await expectKeelError(() => trainTestSplit(10, { testSize: 0 }), 'invalid_argument', { field: 'testSize' });
    await expectKeelError(() => trainTestSplit(10, { testSize: 10 }), 'invalid_argument', { field: 'testSize' });
    await expectKeelError(() => trainTestSplit(10, { testSize: 2.5 }), 'invalid_argument', { field: 'testSize' });
    await expectKeelError(() => trainTestSplit(10, { stratify: true }), 'invalid_argument', { field: 'stratify' });
    await expectKeelError(
      () => trainTestSplit(['a', 'a', 'a', 'b'], { stratify: true, testSize: 2 }),
      'invalid_argument',
      { field: 'y' },
      /class "b" has only 1 row/,
    );
  });
});

describe('kFold', () => {
  it('puts every row in exactly one test fold, with fold sizes differing by at most one', () => {
    const folds = kFold(23, { folds: 5, seed: 2 });
    expect(folds).toHaveLength(5);
    expect(folds.map((f) => f.test.length)).toEqual([5, 5, 5, 4, 4]);
    const tested = folds.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
    expect(tested).toEqual(Array.from({ length: 23 }, (_, i) => i));
    folds.forEach((fold) => expectPartition(fold, 23));
  });

  it('without shuffling, folds are consecutive blocks', () => {
    const folds = kFold(6, { folds: 3, shuffle: false });
    expect(folds.map((f) => Array.from(f.test))).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  it('stratified, deals each class evenly across folds', () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i % 4 === 0 ? 'yes' : 'no'));
    const folds = kFold(labels, { folds: 5, stratify: true, seed: 1 });
    const sizes = folds.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const yesPerFold = folds.map((f) => Array.from(f.test).filter((i) => labels[i] === 'yes').length);
    expect(Math.max(...yesPerFold) - Math.min(...yesPerFold)).toBeLessThanOrEqual(1);
    expect(yesPerFold.reduce((a, b) => a + b, 0)).toBe(26);
  });

  it('is deterministic under a seed', () => {
    expect(kFold(50, { seed: 4 })).toEqual(kFold(50, { seed: 4 }));
  });

  it('needs 2 to n folds', async () => {
    await expectKeelError(() => kFold(10, { folds: 1 }), 'invalid_argument', { field: 'folds' });
    await expectKeelError(() => kFold(3, { folds: 4 }), 'invalid_argument', { field: 'folds' });
  });
});
