import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DecisionTreeRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
  accuracy,
  closeSharedWorkerPool,
  r2,
  rocAuc,
  type RandomForestClassifierParams,
} from '../../src/ml/index.js';
import { blobs, expectKeelError, expectProbabilities, fixture, maxAbsDiff, regressionData } from './helpers.js';

interface ForestFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  cases: {
    dataset: string;
    kind: 'classifier' | 'regressor';
    params: Partial<RandomForestClassifierParams>;
    /** Means over scikit-learn's random_state 0–4. */
    accuracy?: number;
    rocAuc?: number;
    r2?: number;
    oobScore?: number;
    featureImportances: number[];
  }[];
}

const reference = fixture<ForestFixture>('forests.json');

/** A short digest of a fitted state, so a mismatch does not print megabytes of base64. */
const digestOf = (model: { toJSON(): { state: unknown } }): string =>
  createHash('sha256').update(JSON.stringify(model.toJSON().state)).digest('hex');
const seeds = [0, 1, 2, 3, 4];
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Rows whose index is a multiple of 4 are the test rows, as in make-fixtures.py. */
function split(name: string): { train: number[][]; yTrain: number[]; test: number[][]; yTest: number[] } {
  const { X, y } = reference.datasets[name];
  const isTest = (_: unknown, i: number): boolean => i % 4 === 0;
  const isTrain = (_: unknown, i: number): boolean => i % 4 !== 0;
  return { train: X.filter(isTrain), yTrain: y.filter(isTrain), test: X.filter(isTest), yTest: y.filter(isTest) };
}

afterAll(closeSharedWorkerPool);

describe('random forests against scikit-learn (means over five seeds each)', () => {
  describe.each(reference.cases)('$kind on $dataset with $params', (expected) => {
    const { train, yTrain, test, yTest } = split(expected.dataset);

    it('matches held-out quality, feature importances and the out-of-bag score', async () => {
      const scores: number[] = [];
      const aucs: number[] = [];
      const oob: number[] = [];
      const importances = new Float64Array(train[0].length);
      for (const seed of seeds) {
        if (expected.kind === 'classifier') {
          const model = await new RandomForestClassifier({ ...expected.params, seed }).fit(train, yTrain);
          scores.push(accuracy(yTest, model.predict(test)));
          const proba = model.predictProba(test);
          aucs.push(
            model.classes.length === 2
              ? rocAuc(
                  yTest,
                  yTest.map((_, i) => proba.data[2 * i + 1]),
                )
              : rocAuc(yTest, proba),
          );
          if (model.oobScore !== null) oob.push(model.oobScore);
          model.featureImportances.forEach((v, f) => (importances[f] += v / seeds.length));
        } else {
          const model = await new RandomForestRegressor({ ...(expected.params as object), seed }).fit(train, yTrain);
          scores.push(r2(yTest, model.predict(test)));
          if (model.oobScore !== null) oob.push(model.oobScore);
          model.featureImportances.forEach((v, f) => (importances[f] += v / seeds.length));
        }
      }
      if (expected.kind === 'classifier') {
        expect(Math.abs(mean(scores) - expected.accuracy!)).toBeLessThanOrEqual(0.02);
        expect(Math.abs(mean(aucs) - expected.rocAuc!)).toBeLessThanOrEqual(0.005);
      } else {
        expect(Math.abs(mean(scores) - expected.r2!)).toBeLessThanOrEqual(0.01);
      }
      // Correlated features (breast cancer) share importance differently from seed to seed.
      expect(maxAbsDiff(importances, expected.featureImportances)).toBeLessThan(0.04);
      if (expected.oobScore === undefined) expect(oob).toEqual([]);
      else expect(Math.abs(mean(oob) - expected.oobScore)).toBeLessThanOrEqual(0.02);
    });
  });
});

describe('RandomForestClassifier', () => {
  const { X, y } = blobs(400, 6, ['a', 'b', 'c'], 21);

  it('is deterministic under a seed, and the seed matters', async () => {
    const fitWith = async (seed: number): Promise<string> =>
      digestOf(await new RandomForestClassifier({ nEstimators: 20, seed }).fit(X, y));
    expect(await fitWith(7)).toBe(await fitWith(7));
    expect(await fitWith(8)).not.toBe(await fitWith(7));
  });

  it('grows the same forest on any number of worker threads', async () => {
    const fitWith = async (nJobs: number, params: Partial<RandomForestClassifierParams> = {}): Promise<string> =>
      digestOf(await new RandomForestClassifier({ nEstimators: 25, seed: 3, nJobs, ...params }).fit(X, y));
    const inline = await fitWith(1);
    expect(await fitWith(2)).toBe(inline);
    expect(await fitWith(3)).toBe(inline);
    expect(await fitWith(-1)).toBe(inline);
    const withOob = { oobScore: true, criterion: 'entropy', maxSamples: 0.5 } as const;
    expect(await fitWith(2, withOob)).toBe(await fitWith(1, withOob));
  });

  it('predictProba is the mean of the trees’ leaf class frequencies', async () => {
    const model = await new RandomForestClassifier({ nEstimators: 7, maxDepth: 3, seed: 5 }).fit(X, y);
    const { forest } = model;
    const proba = model.predictProba(X.slice(0, 20));
    expectProbabilities(proba);
    for (let i = 0; i < 20; i++) {
      const sums = [0, 0, 0];
      for (let t = 0; t < forest.nTrees; t++) {
        let node = forest.roots[t];
        while (forest.feature[node] !== -1) {
          node = Math.fround(X[i][forest.feature[node]]) <= forest.threshold[node] ? node + 1 : forest.right[node];
        }
        for (let c = 0; c < 3; c++) sums[c] += forest.leafValue[forest.right[node] * 3 + c];
      }
      sums.forEach((sum, c) => expect(proba.data[i * 3 + c]).toBeCloseTo(sum / 7, 14));
    }
  });

  it('bootstraps: trees see different rows, and maxSamples sets how many are drawn', async () => {
    const trees = (params: Partial<RandomForestClassifierParams>): Promise<RandomForestClassifier> =>
      new RandomForestClassifier({ nEstimators: 10, maxFeatures: null, seed: 1, ...params }).fit(X, y);
    // Without bootstrap and with all features, every tree is the same up to tie-breaking.
    const same = (await trees({ bootstrap: false })).forest;
    const bootstrapped = (await trees({})).forest;
    const sizes = (forest: typeof same): number[] =>
      Array.from({ length: forest.nTrees }, (_, t) => forest.roots[t + 1] - forest.roots[t]);
    expect(new Set(sizes(same)).size).toBe(1);
    expect(new Set(sizes(bootstrapped)).size).toBeGreaterThan(1);
    // Fewer rows per tree: smaller fully grown trees.
    const small = (await trees({ maxSamples: 40 })).forest;
    expect(Math.max(...sizes(small))).toBeLessThan(Math.min(...sizes(bootstrapped)));
  });

  it('reports an out-of-bag accuracy only when asked', async () => {
    const plain = await new RandomForestClassifier({ nEstimators: 30 }).fit(X, y);
    expect(plain.oobScore).toBeNull();
    const withOob = await new RandomForestClassifier({ nEstimators: 30, oobScore: true }).fit(X, y);
    expect(withOob.oobScore).toBeGreaterThan(0.8);
    expect(withOob.oobScore).toBeLessThanOrEqual(1);
  });

  it('feature importances favour the informative columns', async () => {
    // Only the first three columns carry the class (blobs shift column j for class j mod 3).
    const noise = X.map((row, i) => [...row.slice(0, 3), Math.sin(i), Math.cos(i * 7), (i * 37) % 11]);
    const model = await new RandomForestClassifier({ nEstimators: 30 }).fit(noise, y);
    const importances = model.featureImportances;
    expect(importances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...importances.slice(0, 3))).toBeGreaterThan(Math.max(...importances.slice(3)));
  });

  it('stores a compact state: typed arrays as base64, about 4/3 of their bytes', async () => {
    const model = await new RandomForestClassifier({ nEstimators: 100, seed: 2 }).fit(X, y);
    const json = JSON.stringify(model);
    const { forest } = model;
    const bytes = forest.feature.byteLength + forest.threshold.byteLength + forest.right.byteLength;
    expect(json.length).toBeLessThan(1.4 * (bytes + forest.leafValue.byteLength) + 2000);
    expect(JSON.parse(json).state.forest.threshold).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('refuses forest JSON that would send prediction out of its tree, naming the field', async () => {
    const model = await new RandomForestClassifier({ nEstimators: 3, maxDepth: 3 }).fit(X, y);
    const json = JSON.parse(JSON.stringify(model));
    const right = new Int32Array(Uint8Array.from(Buffer.from(json.state.forest.right, 'base64')).buffer);
    const split = Array.from(model.forest.feature).findIndex((f) => f !== -1);
    right[split] = split; // a cycle
    const damaged = { ...json.state.forest, right: Buffer.from(right.buffer).toString('base64') };
    await expectKeelError(
      () => RandomForestClassifier.fromJSON({ ...json, state: { ...json.state, forest: damaged } }),
      'invalid_data',
      { field: `model.state.forest.right[${split}]` },
    );
    const truncated = { ...json.state.forest, threshold: json.state.forest.threshold.slice(0, 8) };
    await expectKeelError(
      () => RandomForestClassifier.fromJSON({ ...json, state: { ...json.state, forest: truncated } }),
      'invalid_data',
      { field: 'model.state.forest.threshold' },
    );
    const notBase64 = { ...json.state.forest, feature: 'not base64!' };
    await expectKeelError(
      () => RandomForestClassifier.fromJSON({ ...json, state: { ...json.state, forest: notBase64 } }),
      'invalid_data',
      { field: 'model.state.forest.feature' },
    );
  });

  it('validates params that depend on each other or on X', async () => {
    await expectKeelError(
      () => new RandomForestClassifier({ bootstrap: false, maxSamples: 0.5 }).fit(X, y),
      'invalid_argument',
      { field: 'maxSamples' },
    );
    await expectKeelError(
      () => new RandomForestClassifier({ bootstrap: false, oobScore: true }).fit(X, y),
      'invalid_argument',
      { field: 'oobScore' },
    );
    await expectKeelError(() => new RandomForestClassifier({ maxSamples: 401 }).fit(X, y), 'invalid_argument', {
      field: 'maxSamples',
    });
    await expectKeelError(() => new RandomForestClassifier({ maxFeatures: 7 }).fit(X, y), 'invalid_argument', {
      field: 'maxFeatures',
    });
    for (const [field, value] of [
      ['nEstimators', 0],
      ['nJobs', 0],
      ['nJobs', -2],
      ['maxSamples', 1.5],
      ['criterion', 'squared_error'],
    ] as const) {
      await expectKeelError(() => new RandomForestClassifier({ [field]: value }), 'invalid_argument', { field });
    }
  });

  it('defaults to scikit-learn’s settings', () => {
    expect(new RandomForestClassifier().getParams()).toEqual({
      nEstimators: 100,
      criterion: 'gini',
      maxDepth: null,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      maxFeatures: 'sqrt',
      seed: 0,
      bootstrap: true,
      maxSamples: null,
      oobScore: false,
      nJobs: 1,
    });
    expect(new RandomForestRegressor().getParams()).toMatchObject({ criterion: 'squared_error', maxFeatures: null });
  });
});

describe('RandomForestRegressor', () => {
  const { X, y } = regressionData(500, 4, 9);

  it('with one tree, no bootstrap and every feature, is a decision tree', async () => {
    // Continuous targets: no two splits are equally good, so the order features are tried in cannot matter.
    const params = { maxDepth: 6, minSamplesLeaf: 2 };
    const forest = await new RandomForestRegressor({ nEstimators: 1, bootstrap: false, ...params }).fit(X, y);
    const tree = await new DecisionTreeRegressor(params).fit(X, y);
    expect(forest.predict(X)).toEqual(tree.predict(X));
    expect(forest.featureImportances).toEqual(tree.featureImportances);
  });

  it('averages the trees and generalises better than one tree', async () => {
    const train = X.slice(0, 400);
    const test = X.slice(400);
    const forest = await new RandomForestRegressor({ nEstimators: 50 }).fit(train, y.slice(0, 400));
    const one = await new RandomForestRegressor({ nEstimators: 1 }).fit(train, y.slice(0, 400));
    expect(r2(y.slice(400), forest.predict(test))).toBeGreaterThan(r2(y.slice(400), one.predict(test)));
    expect(r2(y.slice(400), forest.predict(test))).toBeGreaterThan(0.85);
  });

  it('grows the same forest on any number of worker threads', async () => {
    const fitWith = async (nJobs: number): Promise<string> =>
      digestOf(await new RandomForestRegressor({ nEstimators: 12, oobScore: true, nJobs }).fit(X, y));
    expect(await fitWith(2)).toBe(await fitWith(1));
  });
});
