import { describe, expect, it } from 'vitest';
import {
  DecisionTreeClassifier,
  GridSearchCV,
  HalvingGridSearchCV,
  HalvingRandomSearchCV,
  LogisticRegression,
  ParameterGrid,
  RandomizedSearchCV,
  loguniform,
  randint,
  sharedWorkerPool,
  uniform,
  type CandidateResult,
  type ClassLabel,
  type HalvingSearchOptions,
} from '../../src/ml/index.js';
import { expectKeelError, fixture } from './helpers.js';

interface SearchFixture {
  params: Record<string, number | string | boolean>[];
  meanTestScore: number[];
  stdTestScore: number[];
  rankTestScore: number[];
  bestIndex: number;
  bestParams: Record<string, number | string | boolean>;
  bestScore: number;
}

interface ModelSelectionFixture {
  crossValidate: { binary: { X: number[][]; y: ClassLabel[] } };
  gridSearch: { tree: SearchFixture & { X: number[][]; y: ClassLabel[] }; logistic: SearchFixture };
  halving: {
    kind: 'grid' | 'random';
    options: HalvingSearchOptions & { nCandidates?: number };
    schedule: Record<string, unknown>;
  }[];
}

const reference = fixture<ModelSelectionFixture>('model-selection.json');
const tree = reference.gridSearch.tree;
const treeGrid = { maxDepth: [1, 2, 3], minSamplesLeaf: [8, 20], criterion: ['gini', 'entropy'] as const };

/** A result without its timings, which differ from run to run. */
const scoresOf = (results: CandidateResult[]): unknown[] =>
  results.map(({ params, meanTestScore, stdTestScore, rankTestScore, splitTestScores }) => ({
    params,
    meanTestScore,
    stdTestScore,
    rankTestScore,
    splitTestScores,
  }));

describe('ParameterGrid', () => {
  it('orders combinations as scikit-learn: keys sorted, the last varying fastest, grids in turn', () => {
    const grid = new ParameterGrid([{ b: [1, 2], a: ['x', 'y'] }, { c: [true] }]);
    expect(grid.size).toBe(5);
    expect([...grid]).toEqual([{ a: 'x', b: 1 }, { a: 'x', b: 2 }, { a: 'y', b: 1 }, { a: 'y', b: 2 }, { c: true }]);
    expect(grid.at(3)).toEqual({ a: 'y', b: 2 });
  });

  it('refuses empty value lists, naming the parameter', async () => {
    await expectKeelError(() => new ParameterGrid({ maxDepth: [] }), 'invalid_argument', {
      field: 'paramGrid.maxDepth',
    });
  });
});

describe('GridSearchCV matches scikit-learn', () => {
  it('decision tree grid: every mean score, rank, tie-break and the best candidate', async () => {
    const search = await new GridSearchCV(new DecisionTreeClassifier(), treeGrid, { scoring: 'accuracy' }).fit(
      tree.X,
      tree.y,
    );
    const results = search.cvResults;
    expect(results.map((r) => r.params)).toEqual(tree.params);
    results.forEach((r, i) => {
      expect(Math.abs(r.meanTestScore - tree.meanTestScore[i])).toBeLessThan(1e-12);
      expect(Math.abs(r.stdTestScore - tree.stdTestScore[i])).toBeLessThan(1e-12);
      expect(r.splitTestScores).toHaveLength(5);
      expect(r.meanFitTime).toBeGreaterThan(0);
    });
    expect(results.map((r) => r.rankTestScore)).toEqual(tree.rankTestScore);
    expect(new Set(tree.rankTestScore).size).toBeLessThan(tree.rankTestScore.length); // ties are exercised
    expect(search.bestIndex).toBe(tree.bestIndex);
    expect(search.bestParams).toEqual(tree.bestParams);
    expect(Math.abs(search.bestScore - tree.bestScore)).toBeLessThan(1e-12);
  });

  it('logistic regression grid on neg_log_loss: the same best params', async () => {
    const { X, y } = reference.crossValidate.binary;
    const { logistic } = reference.gridSearch;
    const search = await new GridSearchCV(
      new LogisticRegression({ tol: 1e-10, maxIter: 1000 }),
      { C: [0.001, 0.01, 0.1, 1, 10], fitIntercept: [true, false] },
      { cv: 4, scoring: 'neg_log_loss' },
    ).fit(X, y);
    search.cvResults.forEach((r, i) =>
      expect(Math.abs(r.meanTestScore - logistic.meanTestScore[i])).toBeLessThan(1e-7),
    );
    expect(search.cvResults.map((r) => r.rankTestScore)).toEqual(logistic.rankTestScore);
    expect(search.bestParams).toEqual(logistic.bestParams);
  });

  it('refits the best candidate on all rows, keeping the base estimator’s other params', async () => {
    const search = await new GridSearchCV(new DecisionTreeClassifier({ seed: 3 }), treeGrid).fit(tree.X, tree.y);
    const best = search.bestEstimator;
    expect(best.isFitted).toBe(true);
    expect(best.getParams()).toMatchObject({ ...search.bestParams, seed: 3 });
    const direct = await new DecisionTreeClassifier({ seed: 3, ...search.bestParams }).fit(tree.X, tree.y);
    expect(best.predict(tree.X)).toEqual(direct.predict(tree.X));
    expect(search.refitTime).toBeGreaterThan(0);
    expect(search.scoring).toBe('accuracy');
  });

  it('gives identical results for any nJobs', async () => {
    const one = await new GridSearchCV(new DecisionTreeClassifier({ maxFeatures: 2 }), treeGrid, { nJobs: 1 }).fit(
      tree.X,
      tree.y,
    );
    const two = await new GridSearchCV(new DecisionTreeClassifier({ maxFeatures: 2 }), treeGrid, { nJobs: 2 }).fit(
      tree.X,
      tree.y,
    );
    expect(scoresOf(two.cvResults)).toEqual(scoresOf(one.cvResults));
    expect(sharedWorkerPool(1).size).toBeGreaterThan(0); // the trials ran on worker threads
  });

  it('keeps going past a failing candidate, ranks it last and records why', async () => {
    const X = [[0], [1], [2], [3], [4], [5], [6], [7]];
    const y = [0, 0, 1, 1, 0, 0, 1, 1];
    // maxFeatures 2 is valid as a param but fails on a one-column X.
    const search = await new GridSearchCV(new DecisionTreeClassifier(), { maxFeatures: [1, 2] }, { cv: 2 }).fit(X, y);
    const [ok, failed] = search.cvResults;
    expect(Number.isNaN(failed.meanTestScore)).toBe(true);
    expect(failed.rankTestScore).toBe(2);
    expect(failed.error).toMatch(/maxFeatures/);
    expect(ok.rankTestScore).toBe(1);
    expect(search.bestParams).toEqual({ maxFeatures: 1 });
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { maxFeatures: [2] }, { cv: 2 }).fit(X, y),
      'invalid_argument',
      { field: 'maxFeatures' },
    );
    // The same on worker threads: the error crosses back with its code and details.
    const pooled = await new GridSearchCV(
      new DecisionTreeClassifier(),
      { maxFeatures: [1, 2] },
      { cv: 2, nJobs: 2 },
    ).fit(X, y);
    expect(pooled.cvResults[1].error).toBe(failed.error);
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { maxFeatures: [2] }, { cv: 2, nJobs: 2 }).fit(X, y),
      'invalid_argument',
      { field: 'maxFeatures' },
    );
    await expectKeelError(
      () =>
        new GridSearchCV(new DecisionTreeClassifier(), { maxFeatures: [1, 2] }, { cv: 2, errorScore: 'raise' }).fit(
          X,
          y,
        ),
      'invalid_argument',
      { field: 'maxFeatures' },
    );
  });

  it('refuses invalid candidates and settings before fitting anything', async () => {
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { maxDepth: [2, -1] }).fit(tree.X, tree.y),
      'invalid_argument',
      { field: 'paramGrid.maxDepth' },
    );
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { max_depth: [2] } as never).fit(tree.X, tree.y),
      'invalid_argument',
      { field: 'paramGrid.max_depth' },
    );
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { maxDepth: [2] }, { scoring: 'r2' }),
      'invalid_argument',
      {
        field: 'scoring',
      },
    );
    await expectKeelError(
      () => new GridSearchCV(new DecisionTreeClassifier(), { maxDepth: [2] }).bestParams,
      'failed_precondition',
    );
    const noRefit = await new GridSearchCV(new DecisionTreeClassifier(), { maxDepth: [2] }, { refit: false }).fit(
      tree.X,
      tree.y,
    );
    await expectKeelError(() => noRefit.bestEstimator, 'failed_precondition', { field: 'refit' });
  });
});

describe('RandomizedSearchCV', () => {
  const space = { C: loguniform(1e-3, 1e2), tol: uniform(1e-6, 1e-4), maxIter: randint(50, 60) };

  it('draws seeded candidates from the distributions', async () => {
    const { X, y } = reference.crossValidate.binary;
    const search = await new RandomizedSearchCV(new LogisticRegression(), space, { nIter: 6, seed: 1, cv: 3 }).fit(
      X,
      y,
    );
    const drawn = search.cvResults.map((r) => r.params);
    expect(drawn).toHaveLength(6);
    for (const { C, tol, maxIter } of drawn) {
      expect(C).toBeGreaterThanOrEqual(1e-3);
      expect(C).toBeLessThan(1e2);
      expect(tol).toBeGreaterThanOrEqual(1e-6);
      expect(tol).toBeLessThan(1e-4);
      expect(Number.isInteger(maxIter)).toBe(true);
      expect(maxIter).toBeGreaterThanOrEqual(50);
      expect(maxIter).toBeLessThan(60);
    }
    const again = await new RandomizedSearchCV(new LogisticRegression(), space, {
      nIter: 6,
      seed: 1,
      cv: 3,
      nJobs: 2,
    }).fit(X, y);
    expect(scoresOf(again.cvResults)).toEqual(scoresOf(search.cvResults));
    const other = new RandomizedSearchCV(new LogisticRegression(), space, { nIter: 6, seed: 2, cv: 3 });
    expect((await other.fit(X, y)).cvResults.map((r) => r.params)).not.toEqual(drawn);
  });

  it('samples lists without replacement, at most the whole grid', async () => {
    const search = await new RandomizedSearchCV(new DecisionTreeClassifier(), treeGrid, { nIter: 100, seed: 4 }).fit(
      tree.X,
      tree.y,
    );
    const drawn = search.cvResults.map((r) => JSON.stringify(r.params));
    expect(drawn).toHaveLength(12);
    expect(new Set(drawn).size).toBe(12);
  });

  it('refuses bad distributions, naming the parameter', async () => {
    await expectKeelError(() => loguniform(0, 1), 'invalid_argument');
    await expectKeelError(
      () => new RandomizedSearchCV(new LogisticRegression(), { C: { kind: 'normal', low: 0, high: 1 } as never }),
      'invalid_argument',
      { field: 'paramDistributions.C' },
    );
    await expectKeelError(
      () => new RandomizedSearchCV(new LogisticRegression(), space, { nIter: 0 }),
      'invalid_argument',
      {
        field: 'nIter',
      },
    );
  });
});

describe('successive halving', () => {
  it.each(reference.halving)(
    '$kind search with $options follows scikit-learn’s schedule',
    async ({ kind, options, schedule }) => {
      const base = new DecisionTreeClassifier();
      const search =
        kind === 'grid'
          ? new HalvingGridSearchCV(base, treeGrid, options)
          : new HalvingRandomSearchCV(base, { maxDepth: randint(1, 8), minSamplesLeaf: [5, 20] }, options);
      await search.fit(tree.X, tree.y);
      expect(search.halvingSchedule).toEqual(schedule);
    },
  );

  it('narrows: each iteration keeps the best third of the last and gives them three times the rows', async () => {
    const search = await new HalvingGridSearchCV(new DecisionTreeClassifier(), treeGrid, {
      minResources: 'smallest',
      aggressiveElimination: true,
    }).fit(tree.X, tree.y);
    const results = search.cvResults;
    const { nCandidates, nIterations } = search.halvingSchedule;
    for (let iter = 1; iter < nIterations; iter++) {
      const previous = results.filter((r) => r.iter === iter - 1);
      const current = results.filter((r) => r.iter === iter);
      expect(current).toHaveLength(Math.ceil(previous.length / 3));
      expect(current).toHaveLength(nCandidates[iter]);
      const cutoff = Math.min(...current.map((c) => previous.find((p) => p.params === c.params)!.meanTestScore));
      const dropped = previous.filter((p) => !current.some((c) => c.params === p.params));
      for (const p of dropped) expect(p.meanTestScore).toBeLessThanOrEqual(cutoff);
    }
    const last = results.filter((r) => r.iter === nIterations - 1);
    expect(results[search.bestIndex].iter).toBe(nIterations - 1);
    expect(search.bestScore).toBe(Math.max(...last.map((r) => r.meanTestScore)));
    expect(search.bestEstimator.isFitted).toBe(true);
  });

  it('is deterministic under a seed and for any nJobs', async () => {
    const run = (nJobs: number) =>
      new HalvingRandomSearchCV(
        new DecisionTreeClassifier(),
        { maxDepth: randint(1, 8), minSamplesLeaf: [5, 20] },
        { seed: 2, nJobs },
      ).fit(tree.X, tree.y);
    const [one, two] = [await run(1), await run(2)];
    expect(scoresOf(two.cvResults)).toEqual(scoresOf(one.cvResults));
    expect(two.bestParams).toEqual(one.bestParams);
  });

  it('refuses impossible budgets', async () => {
    await expectKeelError(
      () => new HalvingGridSearchCV(new DecisionTreeClassifier(), treeGrid, { factor: 1 }),
      'invalid_argument',
      {
        field: 'factor',
      },
    );
    await expectKeelError(
      () => new HalvingGridSearchCV(new DecisionTreeClassifier(), treeGrid, { minResources: 500 }).fit(tree.X, tree.y),
      'invalid_argument',
      { field: 'minResources' },
    );
    await expectKeelError(
      () => new HalvingRandomSearchCV(new DecisionTreeClassifier(), { maxDepth: [1, 2] }, { minResources: 'exhaust' }),
      'invalid_argument',
      { field: 'minResources' },
    );
  });
});
