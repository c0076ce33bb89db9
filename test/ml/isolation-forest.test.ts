import { describe, expect, it } from 'vitest';
import { averagePathLength } from '../../src/ml/ensemble/isolation-forest.js';
import { IsolationForest, estimatorFromJSON, type IsolationForestParams } from '../../src/ml/index.js';
import { expectKeelError, fixture, maxAbsDiff } from './helpers.js';

interface IsolationFixture {
  isolation: {
    X: number[][];
    /** Rows planted far outside the Gaussian cloud. */
    planted: number[];
    queries: number[][];
    cases: {
      params: Partial<IsolationForestParams>;
      /** Means over scikit-learn's random_state 0–4. */
      scores: number[];
      queryScores: number[];
      offset: number;
      /** Rows scikit-learn's random_state 0 flags. */
      outliers: number[];
    }[];
  };
  averagePathLength: { n: number[]; c: number[] };
}

const reference = fixture<IsolationFixture>('forests.json');
const { X, planted, queries } = reference.isolation;
const seeds = [0, 1, 2, 3, 4];

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - meanA) * (b[i] - meanB);
    aa += (a[i] - meanA) ** 2;
    bb += (b[i] - meanB) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

const flagged = (predictions: Float64Array): number[] =>
  Array.from(predictions).flatMap((label, i) => (label === -1 ? [i] : []));

describe('IsolationForest against scikit-learn', () => {
  it('uses the c(n) path length correction of scikit-learn', () => {
    const { n, c } = reference.averagePathLength;
    expect(maxAbsDiff(n.map(averagePathLength), c)).toBeLessThan(1e-12);
  });

  describe.each(reference.isolation.cases)('with $params', (expected) => {
    it('scores rows and new points like scikit-learn (means over five seeds)', async () => {
      const scores = new Float64Array(X.length);
      const queryScores = new Float64Array(queries.length);
      let offset = 0;
      for (const seed of seeds) {
        const model = await new IsolationForest({ ...expected.params, seed }).fit(X);
        model.scoreSamples(X).forEach((s, i) => (scores[i] += s / seeds.length));
        model.scoreSamples(queries).forEach((s, i) => (queryScores[i] += s / seeds.length));
        offset += model.offset / seeds.length;
      }
      expect(correlation(scores, expected.scores)).toBeGreaterThan(0.98);
      expect(correlation(queryScores, expected.queryScores)).toBeGreaterThan(0.98);
      // Same scale, not just the same order: depths and the c(n) correction are counted alike.
      expect(maxAbsDiff(scores, expected.scores)).toBeLessThan(0.03);
      // With a contamination the offset is a low percentile of the scores, among the few outliers: noisier.
      expect(Math.abs(offset - expected.offset)).toBeLessThan(0.02);
    });

    it('flags the planted outliers and about the same rows as scikit-learn', async () => {
      const model = await new IsolationForest(expected.params).fit(X);
      const ours = new Set(flagged(model.predict(X)));
      for (const row of planted) expect(ours.has(row)).toBe(true);
      const theirs = new Set(expected.outliers);
      const shared = [...ours].filter((row) => theirs.has(row)).length;
      expect(shared / new Set([...ours, ...theirs]).size).toBeGreaterThan(0.75);
    });
  });
});

describe('IsolationForest', () => {
  it('fits X alone; predict is 1 for inliers and −1 for outliers, from decisionFunction’s sign', async () => {
    const model = await new IsolationForest().fit(X);
    const scores = model.scoreSamples(X);
    const decision = model.decisionFunction(X);
    const predicted = model.predict(X);
    expect(model.offset).toBe(-0.5);
    for (let i = 0; i < X.length; i++) {
      expect(decision[i]).toBe(scores[i] + 0.5);
      expect(predicted[i]).toBe(decision[i] < 0 ? -1 : 1);
      expect(scores[i]).toBeLessThan(0);
      expect(scores[i]).toBeGreaterThanOrEqual(-1);
    }
  });

  it('with a contamination, flags that share of the training rows', async () => {
    const model = await new IsolationForest({ contamination: 0.1 }).fit(X);
    expect(flagged(model.predict(X)).length).toBe(Math.floor(0.1 * X.length));
  });

  it('grows trees on min(256, rows) rows no deeper than log2 of that', async () => {
    const model = await new IsolationForest({ nEstimators: 10, maxSamples: 64 }).fit(X);
    const { forest } = model;
    for (let t = 0; t < forest.nTrees; t++) {
      // In preorder, a node's depth is its parent's + 1; roots are at depth 0.
      const depth = new Int32Array(forest.roots[t + 1] - forest.roots[t]);
      for (let local = 0; local < depth.length; local++) {
        const node = forest.roots[t] + local;
        if (forest.feature[node] === -1) continue;
        depth[local + 1] = depth[local] + 1;
        depth[forest.right[node] - forest.roots[t]] = depth[local] + 1;
      }
      expect(Math.max(...depth)).toBeLessThanOrEqual(6);
    }
    // A count above the row count is clamped, as in scikit-learn.
    const small = X.slice(0, 30);
    const clamped = await new IsolationForest({ maxSamples: 1000, seed: 4 }).fit(small);
    const all = await new IsolationForest({ maxSamples: 30, seed: 4 }).fit(small);
    expect(clamped.scoreSamples(small)).toEqual(all.scoreSamples(small));
  });

  it('is deterministic under a seed and round-trips through JSON with identical scores', async () => {
    const first = await new IsolationForest({ seed: 11 }).fit(X);
    const second = await new IsolationForest({ seed: 11 }).fit(X);
    const other = await new IsolationForest({ seed: 12 }).fit(X);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(first));
    const restored = estimatorFromJSON(JSON.parse(JSON.stringify(first))) as IsolationForest;
    expect(restored.scoreSamples(queries)).toEqual(first.scoreSamples(queries));
    expect(restored.offset).toBe(first.offset);
  });

  it('isolates nothing in constant data: every row scores alike', async () => {
    const constant = Array.from({ length: 50 }, () => [1, 2, 3]);
    const model = await new IsolationForest({ nEstimators: 5 }).fit(constant);
    expect(model.forest.feature.every((f) => f === -1)).toBe(true);
    expect(
      new Set(
        model.scoreSamples([
          [1, 2, 3],
          [100, -5, 0],
        ]),
      ).size,
    ).toBe(1);
  });

  it('validates its params', async () => {
    for (const [field, value] of [
      ['contamination', 0.6],
      ['contamination', 0],
      ['maxSamples', 0],
      ['maxSamples', 'all'],
      ['maxFeatures', 1.5],
      ['nEstimators', 0],
    ] as const) {
      await expectKeelError(() => new IsolationForest({ [field]: value }), 'invalid_argument', { field });
    }
  });
});
