import { describe, expect, it } from 'vitest';
import {
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
  Rng,
  type Float64Matrix,
  type PackedForest,
  type TreeEnsemble,
} from '../../src/ml/index.js';

// The batch predictors of forests and boosting walk a breadth-first copy of the trees, a block
// of rows level by level in WebAssembly (src/ml/tree/level-ensemble.ts). These tests hold them
// to the plain row-by-row walk of the stored trees, bit for bit, at every batch size and with
// missing values, so the layout can never change a prediction.

/** Rows of `cols` normal values, a fifth of the cells missing when `missing` is set; labels from the first two columns. */
function data(
  rows: number,
  cols: number,
  seed: number,
  missing = false,
): { X: Float64Matrix; y: number[]; classes: number[] } {
  const rng = new Rng(seed);
  const values = new Float64Array(rows * cols);
  const y: number[] = [];
  const classes: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) values[i * cols + j] = rng.nextNormal() * 10 ** (j % 3);
    y.push(values[i * cols] + values[i * cols + 1] * 0.1 + rng.nextNormal());
    classes.push(values[i * cols] > 0.3 ? (values[i * cols + 1] > 0 ? 2 : 1) : 0);
    if (missing) for (let j = 0; j < cols; j++) if (rng.nextFloat() < 0.2) values[i * cols + j] = NaN;
  }
  return { X: { rows, cols, data: values }, y, classes };
}

/** Sum over trees of each row's leaf values, walking each tree from its root (rows × nValues). */
function walkForest(forest: PackedForest, X: Float64Matrix): Float64Array {
  const out = new Float64Array(X.rows * forest.nValues);
  for (let i = 0; i < X.rows; i++) {
    for (let t = 0; t < forest.nTrees; t++) {
      let node = forest.roots[t];
      while (forest.feature[node] !== -1) {
        const v = Math.fround(X.data[i * X.cols + forest.feature[node]]);
        node = v <= forest.threshold[node] ? node + 1 : forest.right[node];
      }
      const leaf = forest.right[node] * forest.nValues;
      for (let v = 0; v < forest.nValues; v++) out[i * forest.nValues + v] += forest.leafValue[leaf + v];
    }
  }
  return out;
}

/** Baseline plus each tree's leaf value, walking each tree from its root (rows × k). */
function walkBoosting(ensemble: TreeEnsemble, baseline: Float64Array, X: Float64Matrix): Float64Array {
  const k = baseline.length;
  const out = new Float64Array(X.rows * k);
  for (let i = 0; i < X.rows; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = baseline[c];
    for (let t = 0; t < ensemble.treeCount; t++) {
      let node = ensemble.treeStart[t];
      while (ensemble.feature[node] !== -1) {
        const v = X.data[i * X.cols + ensemble.feature[node]];
        const left = v <= ensemble.threshold[node] || (Number.isNaN(v) && ensemble.missingGoToLeft[node] === 1);
        node = left ? ensemble.left[node] : ensemble.right[node];
      }
      out[i * k + (t % k)] += ensemble.value[node];
    }
  }
  return out;
}

const head = (X: Float64Matrix, rows: number): Float64Matrix => ({
  rows,
  cols: X.cols,
  data: X.data.subarray(0, rows * X.cols),
});

/** Batch sizes around the 128-row block, and one row. */
// From 512 rows a batch is walked eight blocks at a time over the threads (the last round partial).
const BATCHES = [1, 7, 128, 129, 300, 511, 512, 1153, 2500];

describe('batch prediction of tree ensembles matches the row-by-row walk exactly', () => {
  it('random forest classifier (three classes)', async () => {
    const train = data(600, 6, 1);
    const model = await new RandomForestClassifier({ nEstimators: 25, maxDepth: 9, seed: 3 }).fit(
      train.X,
      train.classes,
    );
    const test = data(2500, 6, 2);
    const expected = walkForest(model.forest, test.X).map((v) => v / model.forest.nTrees);
    for (const rows of BATCHES) {
      expect(Array.from(model.predictProba(head(test.X, rows)).data)).toEqual(
        Array.from(expected.subarray(0, rows * 3)),
      );
    }
  });

  it('random forest regressor, with values that differ only after float32 rounding', async () => {
    const train = data(500, 4, 4);
    const model = await new RandomForestRegressor({ nEstimators: 15, seed: 5 }).fit(train.X, train.y);
    const test = data(2500, 4, 6);
    // Values one float64 step away from thresholds: rounding to float32 decides their side.
    const forest = model.forest;
    for (let i = 0; i < 100; i++) {
      const node = forest.roots[i % forest.nTrees];
      if (forest.feature[node] >= 0) test.X.data[i * 4 + forest.feature[node]] = forest.threshold[node] * (1 + 1e-12);
    }
    const expected = walkForest(forest, test.X).map((v) => v / forest.nTrees);
    for (const rows of BATCHES) {
      expect(Array.from(model.predict(head(test.X, rows)))).toEqual(Array.from(expected.subarray(0, rows)));
    }
  });

  it('gradient boosting, binary and multiclass, with missing values going the side each split learned', async () => {
    const train = data(800, 5, 7, true);
    const test = data(2500, 5, 8, true);
    const binary = await new HistGradientBoostingClassifier({ maxIter: 30, seed: 1 }).fit(
      train.X,
      train.classes.map((c) => (c === 0 ? 0 : 1)),
    );
    const multi = await new HistGradientBoostingClassifier({ maxIter: 20, seed: 1 }).fit(train.X, train.classes);
    for (const model of [binary, multi]) {
      expect(Array.from(model.trees.missingGoToLeft)).toContain(1);
      const expected = walkBoosting(model.trees, model.baseline, test.X);
      const k = model.baseline.length;
      for (const rows of BATCHES) {
        expect(Array.from(model.decisionFunction(head(test.X, rows)).data)).toEqual(
          Array.from(expected.subarray(0, rows * k)),
        );
      }
    }
  });

  it('gradient boosting trained with missing values, on rows with none in some rounds and some in others', async () => {
    const train = data(800, 5, 7, true);
    const model = await new HistGradientBoostingClassifier({ maxIter: 30, seed: 1 }).fit(
      train.X,
      train.classes.map((c) => (c === 0 ? 0 : 1)),
    );
    expect(Array.from(model.trees.missingGoToLeft)).toContain(1);
    // The first 1,300 rows hold no missing value (a round of 1,024 and part of the next); the rest do.
    const test = data(2500, 5, 8, false);
    const holes = data(2500, 5, 8, true);
    test.X.data.set(holes.X.data.subarray(1300 * 5), 1300 * 5);
    const expected = walkBoosting(model.trees, model.baseline, test.X);
    for (const rows of [...BATCHES, 1300]) {
      expect(Array.from(model.decisionFunction(head(test.X, rows)).data)).toEqual(
        Array.from(expected.subarray(0, rows)),
      );
    }
  });

  it('gradient boosting regressor', async () => {
    const train = data(700, 5, 9, true);
    const model = await new HistGradientBoostingRegressor({ maxIter: 40, seed: 2 }).fit(train.X, train.y);
    const test = data(2500, 5, 10, true);
    const expected = walkBoosting(model.trees, model.baseline, test.X);
    for (const rows of BATCHES) {
      expect(Array.from(model.predict(head(test.X, rows)))).toEqual(Array.from(expected.subarray(0, rows)));
    }
  });
});
