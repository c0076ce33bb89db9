import { describe, expect, it } from 'vitest';
import {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  GroupKFold,
  KFold,
  LogisticRegression,
  StratifiedKFold,
  TimeSeriesSplit,
  crossValScore,
  crossValidate,
  kFold,
  trainTestSplit,
  type ClassLabel,
  type ScorerName,
  type SplitIndices,
} from '../../src/ml/index.js';
import { expectKeelError, fixture } from './helpers.js';

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

  it('splits X and y themselves, as scikit-learn does, keeping the form X came in', async () => {
    const X = Array.from({ length: 40 }, (_, i) => [i, i * 2]);
    const y = X.map(([v]) => (v % 4 === 0 ? 'yes' : 'no'));
    const split = trainTestSplit(X, y, { testSize: 0.25, seed: 5, stratify: true });
    expect(split).toMatchObject(trainTestSplit(y, { testSize: 0.25, seed: 5, stratify: true }));
    expect(split.XTest).toEqual(Array.from(split.test, (i) => X[i]));
    expect(split.yTrain).toEqual(Array.from(split.train, (i) => y[i]));
    expect((split.yTest as string[]).filter((label) => label === 'yes')).toHaveLength(2);

    const dense = { rows: 40, cols: 2, data: Float64Array.from(X.flat()) };
    const typed = Float64Array.from(X, ([v]) => v * 10);
    const denseSplit = trainTestSplit(dense, typed, { seed: 5 });
    expect(denseSplit.XTrain).toEqual({
      rows: 32,
      cols: 2,
      data: Float64Array.from(Array.from(denseSplit.train, (i) => X[i]).flat()),
    });
    expect(denseSplit.yTest).toEqual(Float64Array.from(denseSplit.test, (i) => typed[i]));
    await expectKeelError(() => trainTestSplit(X, y.slice(1)), 'invalid_argument', { field: 'y' });
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

interface ModelSelectionFixture {
  kFold: { n: number; nSplits: number; test: number[][] }[];
  stratifiedKFold: { y: ClassLabel[]; nSplits: number; test: number[][] }[];
  timeSeriesSplit: {
    n: number;
    options: { nSplits: number; maxTrainSize?: number; testSize?: number; gap?: number };
    train: number[][];
    test: number[][];
  }[];
  groupKFold: { groups: string[]; nSplits: number; test: number[][] }[];
  crossValidate: Record<
    'binary' | 'multiclass' | 'regression',
    {
      X: number[][];
      y: ClassLabel[];
      params: Record<string, number>;
      scores: Record<string, number[]>;
      trainScores?: Record<string, number[]>;
    }
  >;
}

const reference = fixture<ModelSelectionFixture>('model-selection.json');
const testFolds = (splits: SplitIndices[]): number[][] => splits.map((s) => Array.from(s.test));

describe('splitters give scikit-learn’s folds', () => {
  it.each(reference.kFold)('KFold, $n rows in $nSplits folds', ({ n, nSplits, test }) => {
    const splits = new KFold({ nSplits }).split(n);
    expect(testFolds(splits)).toEqual(test);
    splits.forEach((split) => expectPartition(split, n));
  });

  it.each(reference.stratifiedKFold)('StratifiedKFold, $nSplits folds', ({ y, nSplits, test }) => {
    const splits = new StratifiedKFold({ nSplits }).split(y);
    expect(testFolds(splits)).toEqual(test);
    splits.forEach((split) => expectPartition(split, y.length));
  });

  it.each(reference.timeSeriesSplit)('TimeSeriesSplit, $n rows, $options', ({ n, options, train, test }) => {
    const splits = new TimeSeriesSplit(options).split(n);
    expect(splits.map((s) => Array.from(s.train))).toEqual(train);
    expect(testFolds(splits)).toEqual(test);
  });

  it.each(reference.groupKFold)('GroupKFold, $nSplits folds', ({ groups, nSplits, test }) => {
    const splits = new GroupKFold({ nSplits }).split(groups.length, groups);
    expect(testFolds(splits)).toEqual(test);
    for (const { train, test: held } of splits) {
      const trainGroups = new Set(Array.from(train, (i) => groups[i]));
      for (const i of held) expect(trainGroups.has(groups[i])).toBe(false);
    }
  });
});

describe('splitters', () => {
  it('shuffled KFold and StratifiedKFold are seeded partitions', () => {
    const labels = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'a' : 'b'));
    for (const splitter of [
      new KFold({ nSplits: 4, shuffle: true, seed: 5 }),
      new StratifiedKFold({ nSplits: 4, shuffle: true, seed: 5 }),
    ]) {
      const splits = splitter.split(labels);
      expect(splitter.split(labels)).toEqual(splits);
      expect(
        testFolds(splits)
          .flat()
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 60 }, (_, i) => i));
      splits.forEach((split) => expectPartition(split, 60));
    }
    const unshuffled = testFolds(new KFold({ nSplits: 4 }).split(60));
    expect(testFolds(new KFold({ nSplits: 4, shuffle: true, seed: 5 }).split(60))).not.toEqual(unshuffled);
    const aPerFold = new StratifiedKFold({ nSplits: 4, shuffle: true, seed: 5 })
      .split(labels)
      .map((s) => Array.from(s.test).filter((i) => labels[i] === 'a').length);
    expect(aPerFold).toEqual([5, 5, 5, 5]);
  });

  it('refuse settings that cannot split the rows, naming the field', async () => {
    await expectKeelError(() => new KFold({ nSplits: 1 }), 'invalid_argument', { field: 'nSplits' });
    await expectKeelError(() => new KFold({ nSplits: 5 }).split(4), 'invalid_argument', { field: 'nSplits' });
    await expectKeelError(() => new StratifiedKFold().split(10), 'invalid_argument', { field: 'y' });
    await expectKeelError(() => new StratifiedKFold({ nSplits: 3 }).split(['a', 'a', 'b', 'b']), 'invalid_argument', {
      field: 'nSplits',
    });
    await expectKeelError(() => new TimeSeriesSplit({ nSplits: 5 }).split(5), 'invalid_argument', { field: 'nSplits' });
    await expectKeelError(() => new TimeSeriesSplit({ gap: -1 }), 'invalid_argument', { field: 'gap' });
    await expectKeelError(() => new GroupKFold().split(10), 'invalid_argument', { field: 'groups' });
    await expectKeelError(() => new GroupKFold({ nSplits: 3 }).split(4, ['a', 'a', 'b', 'b']), 'invalid_argument', {
      field: 'nSplits',
    });
  });
});

describe('crossValidate matches scikit-learn’s cross_validate', () => {
  const close = (actual: number[], expected: number[], tolerance: number): void => {
    expect(actual).toHaveLength(expected.length);
    actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(tolerance));
  };

  it.each(['binary', 'multiclass'] as const)('logistic regression, %s, every classification scorer', async (name) => {
    const { X, y, params, scores } = reference.crossValidate[name];
    const model = new LogisticRegression({ ...params, tol: 1e-10, maxIter: 1000 });
    const scoring = Object.keys(scores) as ScorerName[];
    const result = await crossValidate(model, X, y, { cv: name === 'binary' ? 5 : 4, scoring });
    for (const scorer of scoring) {
      // Probabilities come from an optimiser stopped at tol; labels and rankings are exact.
      close(result.testScores[scorer], scores[scorer], scorer === 'neg_log_loss' ? 1e-7 : 1e-12);
    }
    expect(result.fitTime).toHaveLength(name === 'binary' ? 5 : 4);
    expect(result.trainScores).toBeUndefined();
    expect(model.isFitted).toBe(false);
  });

  it('decision tree regressor: every regression scorer, on test and train rows', async () => {
    const { X, y, params, scores, trainScores } = reference.crossValidate.regression;
    const scoring = Object.keys(scores) as ScorerName[];
    const result = await crossValidate(new DecisionTreeRegressor(params), X, y, {
      cv: new KFold({ nSplits: 5 }),
      scoring,
      returnTrainScore: true,
    });
    for (const scorer of scoring) {
      close(result.testScores[scorer], scores[scorer], 1e-12);
      close(result.trainScores![scorer], trainScores![scorer], 1e-12);
    }
    expect(result.testScores.neg_mean_absolute_error.every((v) => v < 0)).toBe(true);
  });

  it('crossValScore gives one scorer’s fold scores; the default scorer is accuracy for classifiers', async () => {
    const { X, y, scores } = reference.crossValidate.binary;
    const model = new LogisticRegression({ C: 0.5, tol: 1e-10, maxIter: 1000 });
    close(await crossValScore(model, X, y), scores.accuracy, 1e-12);
    const custom = await crossValScore(model, X, y, { scoring: (estimator, Xtest) => Xtest.rows });
    expect(custom).toEqual([48, 48, 48, 48, 48]);
  });

  it('is deterministic for any nJobs', async () => {
    const { X, y } = reference.crossValidate.binary;
    const tree = new DecisionTreeClassifier({ maxDepth: 3, maxFeatures: 2, seed: 4 });
    const one = await crossValidate(tree, X, y, { scoring: ['accuracy', 'roc_auc'], nJobs: 1 });
    const two = await crossValidate(tree, X, y, { scoring: ['accuracy', 'roc_auc'], nJobs: 2 });
    expect(two.testScores).toEqual(one.testScores);
  });

  it('passes groups to group-aware splitters', async () => {
    const { X, y } = reference.crossValidate.regression;
    const groups = y.map((_, i) => `day-${i % 10}`);
    const result = await crossValidate(new DecisionTreeRegressor({ maxDepth: 2 }), X, y, {
      cv: new GroupKFold({ nSplits: 5 }),
      groups,
    });
    expect(Object.keys(result.testScores)).toEqual(['r2']);
    expect(result.testScores.r2).toHaveLength(5);
  });

  it('refuses scorers that do not fit the estimator and unknown names, before fitting', async () => {
    const { X, y } = reference.crossValidate.binary;
    await expectKeelError(() => crossValidate(new LogisticRegression(), X, y, { scoring: 'r2' }), 'invalid_argument', {
      field: 'scoring',
    });
    await expectKeelError(
      () => crossValidate(new LogisticRegression(), X, y, { scoring: 'auc' as ScorerName }),
      'invalid_argument',
      { field: 'scoring' },
      /roc_auc/,
    );
    await expectKeelError(() => crossValidate(new LogisticRegression(), X, y.slice(1)), 'invalid_argument', {
      field: 'y',
    });
    await expectKeelError(() => crossValidate(new LogisticRegression(), X, y, { nJobs: 0 }), 'invalid_argument', {
      field: 'nJobs',
    });
  });

  it('raises a failed fit by default, or scores it errorScore', async () => {
    const X = [[0], [1], [2], [3], [4], [5]];
    const y = [0, 0, 0, 0, 1, 1]; // without stratifying, the first folds' training rows hold one class
    const cv = new KFold({ nSplits: 3 });
    await expectKeelError(() => crossValidate(new LogisticRegression(), X, y, { cv }), 'invalid_argument', {
      field: 'y',
    });
    const result = await crossValidate(new LogisticRegression(), X, y, { cv, errorScore: NaN });
    expect(result.testScores.accuracy.map(Number.isNaN)).toEqual([false, false, true]);
  });
});
