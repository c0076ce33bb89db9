import { describe, expect, it } from 'vitest';
import {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  accuracy,
  r2,
  type DecisionTreeClassifierParams,
  type TreeArrays,
} from '../../src/ml/index.js';
import { blobs, expectKeelError, expectProbabilities, fixture, maxAbsDiff, regressionData } from './helpers.js';

interface TreeFixture {
  datasets: Record<string, number[][]>;
  yClass: number[];
  yRegression: number[];
  trainRows: number;
  cases: {
    name: string;
    dataset: string;
    kind: 'classifier' | 'regressor';
    params: Partial<DecisionTreeClassifierParams>;
    /** True when scikit-learn grows this exact tree for every random_state (no tied splits). */
    compareStructure: boolean;
    nodeCountRange: [number, number];
    /** Held-out accuracy (classifier) or R² (regressor) over scikit-learn's random_state 0–9. */
    scoreRange: [number, number];
    testPredictions: number[];
    featureImportances: number[];
    depth?: number;
    leafCount?: number;
    tree?: {
      feature: number[];
      threshold: number[];
      left: number[];
      right: number[];
      value: number[][];
      impurity: number[];
      weight: number[];
    };
  }[];
}

const reference = fixture<TreeFixture>('decision-tree.json');

describe('decision trees against scikit-learn', () => {
  describe.each(reference.cases)('$kind, $name', (expected) => {
    const X = reference.datasets[expected.dataset];
    const y = expected.kind === 'classifier' ? reference.yClass : reference.yRegression;
    const split = reference.trainRows;
    const fit = async (): Promise<DecisionTreeClassifier | DecisionTreeRegressor> =>
      expected.kind === 'classifier'
        ? new DecisionTreeClassifier(expected.params).fit(X.slice(0, split), y.slice(0, split))
        : new DecisionTreeRegressor(expected.params as object).fit(X.slice(0, split), y.slice(0, split));

    if (expected.compareStructure) {
      it('grows the same tree: same nodes, features and thresholds (exactly), values and impurities', async () => {
        const tree: TreeArrays = (await fit()).tree;
        const want = expected.tree!;
        expect(tree.nodeCount).toBe(want.feature.length);
        expect(Array.from(tree.feature)).toEqual(want.feature);
        expect(Array.from(tree.threshold)).toEqual(want.threshold);
        expect(Array.from(tree.left)).toEqual(want.left);
        expect(Array.from(tree.right)).toEqual(want.right);
        expect(Array.from(tree.weight)).toEqual(want.weight);
        expect(maxAbsDiff(tree.value, want.value.flat())).toBeLessThan(1e-12);
        expect(maxAbsDiff(tree.impurity, want.impurity)).toBeLessThan(1e-9);
      });

      it('predicts the test rows exactly as scikit-learn', async () => {
        const model = await fit();
        const predicted = Array.from(model.predict(X.slice(split)));
        if (expected.kind === 'classifier') expect(predicted).toEqual(expected.testPredictions);
        else expect(maxAbsDiff(predicted as number[], expected.testPredictions)).toBeLessThan(1e-9);
      });
    }

    it('has the size and held-out score scikit-learn gets (over its seeds, which only break ties)', async () => {
      const model = await fit();
      const [fewestNodes, mostNodes] = expected.nodeCountRange;
      const [worst, best] = expected.scoreRange;
      // Keel breaks ties in its own random order: allow a few nodes and one test row of slack.
      const slack = expected.compareStructure ? 0 : 4;
      expect(model.tree.nodeCount).toBeGreaterThanOrEqual(fewestNodes - slack);
      expect(model.tree.nodeCount).toBeLessThanOrEqual(mostNodes + slack);
      if (expected.compareStructure)
        expect([model.depth, model.leafCount]).toEqual([expected.depth, expected.leafCount]);
      const predicted = model.predict(X.slice(split));
      const score =
        expected.kind === 'classifier'
          ? accuracy(y.slice(split), predicted as number[])
          : r2(y.slice(split), predicted as Float64Array);
      const tolerance = expected.compareStructure ? 1e-12 : 0.01;
      expect(score).toBeGreaterThanOrEqual(worst - tolerance);
      expect(score).toBeLessThanOrEqual(best + tolerance);
    });

    it('reports scikit-learn feature importances', async () => {
      const importances = (await fit()).featureImportances;
      const tolerance = expected.compareStructure ? 1e-9 : 0.1;
      expect(maxAbsDiff(importances, expected.featureImportances)).toBeLessThan(tolerance);
      expect(importances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });
  });
});

describe('DecisionTreeClassifier', () => {
  const { X, y } = blobs(300, 5, ['a', 'b', 'c'], 11);

  it('grows until leaves are pure by default, so distinct training rows are all classified right', async () => {
    const model = await new DecisionTreeClassifier().fit(X, y);
    expect(accuracy(y, model.predict(X))).toBe(1);
    for (let node = 0; node < model.tree.nodeCount; node++) {
      if (model.tree.feature[node] === -1) expect(model.tree.impurity[node]).toBe(0);
    }
  });

  it('respects maxDepth, minSamplesLeaf and minSamplesSplit', async () => {
    expect((await new DecisionTreeClassifier({ maxDepth: 2 }).fit(X, y)).depth).toBeLessThanOrEqual(2);
    const { tree } = await new DecisionTreeClassifier({ minSamplesLeaf: 20 }).fit(X, y);
    for (let node = 0; node < tree.nodeCount; node++) {
      if (tree.feature[node] === -1) expect(tree.weight[node]).toBeGreaterThanOrEqual(20);
    }
    const split = await new DecisionTreeClassifier({ minSamplesSplit: 50 }).fit(X, y);
    for (let node = 0; node < split.tree.nodeCount; node++) {
      if (split.tree.feature[node] !== -1) expect(split.tree.weight[node]).toBeGreaterThanOrEqual(50);
    }
  });

  it('predictProba gives the class frequencies of the leaf', async () => {
    const model = await new DecisionTreeClassifier({ maxDepth: 1 }).fit(X, y);
    const proba = model.predictProba(X);
    expectProbabilities(proba);
    const leaves = model.apply(X);
    const leaf = leaves[0];
    const rows = y.filter((_, i) => leaves[i] === leaf);
    model.classes.forEach((label, c) => {
      expect(proba.data[c]).toBeCloseTo(rows.filter((l) => l === label).length / rows.length, 12);
    });
  });

  it('with maxFeatures, the seed decides the tree, and the same seed gives the same tree', async () => {
    const fitWith = async (seed: number): Promise<string> =>
      JSON.stringify(await new DecisionTreeClassifier({ maxFeatures: 'sqrt', seed }).fit(X, y));
    expect(await fitWith(1)).toBe(await fitWith(1));
    const trees = new Set([await fitWith(1), await fitWith(2), await fitWith(3)]);
    expect(trees.size).toBeGreaterThan(1);
  });

  it('resolves maxFeatures like scikit-learn and refuses more features than X has', async () => {
    for (const maxFeatures of ['sqrt', 'log2', 0.5, 3, null] as const) {
      const model = await new DecisionTreeClassifier({ maxFeatures }).fit(X, y);
      expect(model.isFitted).toBe(true);
    }
    await expectKeelError(() => new DecisionTreeClassifier({ maxFeatures: 6 }).fit(X, y), 'invalid_argument', {
      field: 'maxFeatures',
    });
    await expectKeelError(() => new DecisionTreeClassifier({ maxFeatures: 1.5 }), 'invalid_argument', {
      field: 'maxFeatures',
    });
  });

  it('is a single leaf when no feature varies', async () => {
    const model = await new DecisionTreeClassifier().fit(
      [
        [1, 2],
        [1, 2],
        [1, 2],
      ],
      ['x', 'y', 'y'],
    );
    expect(model.tree.nodeCount).toBe(1);
    expect(model.predict([[5, 5]])).toEqual(['y']);
    expect(Array.from(model.featureImportances)).toEqual([0, 0]);
  });

  it('thresholds lie halfway between float32 training values, and prediction compares in float32', async () => {
    const model = await new DecisionTreeClassifier().fit([[0.1], [0.2]], [0, 1]);
    const threshold = model.tree.threshold[0];
    expect(threshold).toBe(Math.fround(0.1) / 2 + Math.fround(0.2) / 2);
    expect(model.predict([[0.1], [0.2], [0.14]])).toEqual([0, 1, 0]);
    // The threshold itself rounds up to the next float32, above the threshold, as in scikit-learn.
    expect(Math.fround(threshold)).toBeGreaterThan(threshold);
    expect(model.predict([[threshold]])).toEqual([1]);
  });

  it('refuses model JSON whose children point backwards (a cycle would hang prediction)', async () => {
    const json = JSON.parse(JSON.stringify(await new DecisionTreeClassifier({ maxDepth: 2 }).fit(X, y)));
    json.state.tree.left[1] = 0;
    await expectKeelError(() => DecisionTreeClassifier.fromJSON(json), 'invalid_data', {
      field: 'model.state.tree.left[1]',
    });
  });

  it('validates its params', async () => {
    await expectKeelError(() => new DecisionTreeClassifier({ criterion: 'mse' as never }), 'invalid_argument', {
      field: 'criterion',
    });
    await expectKeelError(() => new DecisionTreeClassifier({ maxDepth: 0 }), 'invalid_argument', { field: 'maxDepth' });
    await expectKeelError(() => new DecisionTreeClassifier({ minSamplesSplit: 1 }), 'invalid_argument', {
      field: 'minSamplesSplit',
    });
    await expectKeelError(() => new DecisionTreeClassifier({ seed: 0.5 }), 'invalid_argument', { field: 'seed' });
  });
});

describe('DecisionTreeRegressor', () => {
  const { X, y } = regressionData(400, 3, 5);

  it('predicts the mean target of each leaf', async () => {
    const model = await new DecisionTreeRegressor({ maxDepth: 2 }).fit(X, y);
    const leaves = model.apply(X);
    const predicted = model.predict(X);
    for (const leaf of new Set(leaves)) {
      const targets = y.filter((_, i) => leaves[i] === leaf);
      const mean = targets.reduce((a, b) => a + b, 0) / targets.length;
      leaves.forEach((l, i) => l === leaf && expect(predicted[i]).toBeCloseTo(mean, 10));
    }
  });

  it('fits held-out data well when deep enough', async () => {
    const model = await new DecisionTreeRegressor({ minSamplesLeaf: 5 }).fit(X.slice(0, 300), y.slice(0, 300));
    expect(r2(y.slice(300), model.predict(X.slice(300)))).toBeGreaterThan(0.8);
  });

  it('rejects a non-numeric target', async () => {
    await expectKeelError(() => new DecisionTreeRegressor().fit([[1], [2]], ['a', 'b']), 'invalid_argument', {
      field: 'y',
      row: 0,
    });
  });
});
