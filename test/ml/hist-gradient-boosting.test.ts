import { describe, expect, it } from 'vitest';
import {
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  Rng,
  accuracy,
  estimatorFromJSON,
  r2,
  rocAuc,
  type HistGradientBoostingParams,
} from '../../src/ml/index.js';
import { fitBinMapper } from '../../src/ml/boosting/binning.js';
import { expectKeelError, expectProbabilities, fixture, maxAbsDiff, toMatrix } from './helpers.js';

interface BoostingFixture {
  datasets: Record<string, { X: number[][]; y: number[] }>;
  /** Datasets made from another by setting the cells at these flat indices to NaN. */
  missing: Record<string, { base: string; cells: number[] }>;
  cases: {
    name: string;
    dataset: string;
    kind: 'classifier' | 'regressor';
    params: Partial<HistGradientBoostingParams>;
    nIter: number;
    firstTree: { feature: number[]; threshold: number[]; missingGoToLeft: number[]; value: number[] };
    testAccuracy?: number;
    testRocAuc?: number;
    testR2?: number;
    /** decision_function (classifier) or predict (regressor) on the test rows. */
    testDecision: number[] | number[][];
    binThresholds?: number[][];
  }[];
}

const reference = fixture<BoostingFixture>('hist-gradient-boosting.json');

function dataset(name: string): { X: number[][]; y: number[] } {
  const missing = reference.missing[name];
  if (missing === undefined) return reference.datasets[name];
  const { X, y } = reference.datasets[missing.base];
  const copy = X.map((row) => [...row]);
  const cols = copy[0].length;
  for (const cell of missing.cells) copy[Math.floor(cell / cols)][cell % cols] = NaN;
  return { X: copy, y };
}

/** scikit-learn's split in the fixture: test rows are those whose index is a multiple of 4. */
function split<T>(values: T[]): { train: T[]; test: T[] } {
  return { train: values.filter((_, i) => i % 4 !== 0), test: values.filter((_, i) => i % 4 === 0) };
}

/** Rows with a signal in the first two columns, optional NaN, and label noise. */
function synthetic(n: number, p: number, seed: number, missing = 0): { X: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: p }, () => rng.nextNormal());
    const score = row[0] + 0.8 * Math.sin(2 * row[1]) + 0.6 * rng.nextNormal();
    for (let j = 0; j < p; j++) if (rng.nextFloat() < missing) row[j] = NaN;
    X.push(row);
    y.push(score > 0 ? 1 : 0);
  }
  return { X, y };
}

describe('histogram gradient boosting against scikit-learn', () => {
  describe.each(reference.cases)('$name', (expected) => {
    const { X, y } = dataset(expected.dataset);
    const rows = split(X);
    const labels = split(y);
    const fit = async (): Promise<HistGradientBoostingClassifier | HistGradientBoostingRegressor> =>
      expected.kind === 'classifier'
        ? new HistGradientBoostingClassifier(expected.params).fit(rows.train, labels.train)
        : new HistGradientBoostingRegressor(expected.params).fit(rows.train, labels.train);

    it('grows the same first tree: features, thresholds and missing-value sides exactly, leaf values', async () => {
      const { trees } = await fit();
      const nodes = trees.treeStart[1];
      const want = expected.firstTree;
      expect(nodes).toBe(want.feature.length);
      expect(Array.from(trees.feature.subarray(0, nodes))).toEqual(want.feature);
      expect(Array.from(trees.threshold.subarray(0, nodes))).toEqual(want.threshold);
      expect(Array.from(trees.missingGoToLeft.subarray(0, nodes))).toEqual(want.missingGoToLeft);
      expect(maxAbsDiff(trees.value.subarray(0, nodes), want.value)).toBeLessThan(1e-12);
    });

    it('predicts the test rows as scikit-learn does, with the same quality', async () => {
      const model = await fit();
      expect(model.nIter).toBe(expected.nIter);
      const decision =
        model instanceof HistGradientBoostingClassifier
          ? model.decisionFunction(rows.test).data
          : model.predict(rows.test);
      // Gradients and histograms are summed in scikit-learn's order, so only the last bits differ.
      expect(maxAbsDiff(decision, expected.testDecision.flat())).toBeLessThan(1e-8);
      if (model instanceof HistGradientBoostingClassifier) {
        const proba = model.predictProba(rows.test);
        expectProbabilities(proba);
        expect(Math.abs(accuracy(labels.test, model.predict(rows.test)) - expected.testAccuracy!)).toBeLessThan(0.02);
        if (expected.testRocAuc !== undefined) {
          const scores = Array.from({ length: proba.rows }, (_, i) => proba.data[2 * i + 1]);
          expect(Math.abs(rocAuc(labels.test, scores) - expected.testRocAuc)).toBeLessThan(0.003);
        }
      } else {
        expect(Math.abs(r2(labels.test, model.predict(rows.test)) - expected.testR2!)).toBeLessThan(0.01);
      }
    });

    if (expected.binThresholds) {
      it('bins features at the same quantile thresholds', () => {
        const matrix = toMatrix(rows.train);
        const mapper = fitBinMapper({ ...matrix, rows: null, count: matrix.rows }, 255, new Rng(0));
        expect(mapper.thresholds.map((t) => Array.from(t))).toEqual(expected.binThresholds);
      });
    }
  });
});

describe('missing values', () => {
  it('learns which side missing values go to, and predicts rows that are all missing', async () => {
    // The label is "x0 > 0", and x0 is missing exactly when the label is 1.
    const rng = new Rng(3);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 600; i++) {
      const x0 = rng.nextNormal();
      const label = x0 > 0 ? 1 : 0;
      X.push([label === 1 ? NaN : x0, rng.nextNormal()]);
      y.push(label);
    }
    const model = await new HistGradientBoostingClassifier({ maxIter: 20 }).fit(X, y);
    expect(accuracy(y, model.predict(X))).toBe(1);
    expect(model.predict([[NaN, 0.3]])).toEqual([1]);
    expect(model.predict([[-1, 0.3]])).toEqual([0]);
    const proba = model.predictProba([[NaN, NaN]]);
    expectProbabilities(proba);
  });

  it('sends missing values to the larger child when training had none in that feature', async () => {
    const { X, y } = synthetic(800, 3, 4);
    const model = await new HistGradientBoostingRegressor({ maxIter: 5 }).fit(X, y);
    const { trees } = model;
    // Every split node records a direction, and predicting NaN follows it to a finite value.
    const predicted = model.predict([[NaN, NaN, NaN]]);
    expect(Number.isFinite(predicted[0])).toBe(true);
    for (let node = 0; node < trees.feature.length; node++) {
      if (trees.feature[node] >= 0) expect([0, 1]).toContain(trees.missingGoToLeft[node]);
    }
  });

  it('trains and predicts with a fifth of all values missing', async () => {
    const { X, y } = synthetic(3000, 4, 5, 0.2);
    const { train, test } = split(X);
    const labels = split(y);
    const model = await new HistGradientBoostingClassifier({ maxIter: 50 }).fit(train, labels.train);
    expect(accuracy(labels.test, model.predict(test))).toBeGreaterThan(0.7);
  });
});

describe('early stopping', () => {
  const { X, y } = synthetic(12_000, 4, 6);

  it('is on by default above 10 000 rows and stops once the validation loss stalls', async () => {
    const model = await new HistGradientBoostingClassifier({ maxIter: 300, learningRate: 0.3 }).fit(X, y);
    expect(model.nIter).toBeLessThan(300);
    expect(model.nIter).toBeGreaterThan(10);
  });

  it('runs every iteration when turned off, and stops on the training loss with validationFraction null', async () => {
    const small = { X: X.slice(0, 3000), y: y.slice(0, 3000) };
    const off = await new HistGradientBoostingClassifier({ maxIter: 40, earlyStopping: 'auto' }).fit(small.X, small.y);
    expect(off.nIter).toBe(40);
    const onTraining = await new HistGradientBoostingClassifier({
      maxIter: 200,
      earlyStopping: true,
      validationFraction: null,
      tol: 1e-2,
      nIterNoChange: 3,
    }).fit(small.X, small.y);
    expect(onTraining.nIter).toBeLessThan(200);
    expect(onTraining.nIter).toBeGreaterThanOrEqual(4);
  });

  it('waits nIterNoChange iterations for an improvement', async () => {
    const small = { X: X.slice(0, 2000), y: y.slice(0, 2000) };
    const patient = await new HistGradientBoostingClassifier({
      maxIter: 500,
      earlyStopping: true,
      nIterNoChange: 25,
    }).fit(small.X, small.y);
    const impatient = await new HistGradientBoostingClassifier({
      maxIter: 500,
      earlyStopping: true,
      nIterNoChange: 2,
    }).fit(small.X, small.y);
    expect(impatient.nIter).toBeLessThan(patient.nIter);
    expect(patient.nIter).toBeGreaterThan(25);
  });
});

describe('determinism and threads', () => {
  it('gives the same model for the same seed, and the seed changes the validation split', async () => {
    const { X, y } = synthetic(2000, 4, 7);
    const params = { maxIter: 30, earlyStopping: true } as const;
    const first = await new HistGradientBoostingClassifier({ ...params, seed: 1 }).fit(X, y);
    const second = await new HistGradientBoostingClassifier({ ...params, seed: 1 }).fit(X, y);
    const other = await new HistGradientBoostingClassifier({ ...params, seed: 2 }).fit(X, y);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(first));
  });

  it('trains the identical model on 1 and 2 threads (worker threads run above 50 000 rows)', async () => {
    const { X, y } = synthetic(60_000, 5, 8, 0.05);
    const matrix = toMatrix(X);
    const params = { maxIter: 8, earlyStopping: false } as const;
    const single = await new HistGradientBoostingClassifier({ ...params, nJobs: 1 }).fit(matrix, y);
    const threaded = await new HistGradientBoostingClassifier({ ...params, nJobs: 2 }).fit(matrix, y);
    // The params differ (nJobs); the fitted state must not.
    expect(JSON.stringify(threaded.toJSON().state)).toBe(JSON.stringify(single.toJSON().state));
    const regressor = await new HistGradientBoostingRegressor({ ...params, nJobs: 2 }).fit(matrix, y);
    expect(r2(y, regressor.predict(matrix))).toBeGreaterThan(0.3);
  });
});

describe('model JSON', () => {
  it('stores trees as base64 typed arrays and predicts identically after a round trip, missing values included', async () => {
    const { X, y } = synthetic(1500, 4, 9, 0.1);
    const labels = y.map((v, i) => (v === 1 ? 'yes' : i % 3 === 0 ? 'maybe' : 'no'));
    const model = await new HistGradientBoostingClassifier({ maxIter: 15 }).fit(X, labels);
    const json = JSON.parse(JSON.stringify(model)) as { state: { trees: Record<string, unknown> } };
    expect(typeof json.state.trees.threshold).toBe('string');
    const restored = estimatorFromJSON(json) as HistGradientBoostingClassifier;
    const probe = [...X.slice(0, 50), [NaN, NaN, NaN, NaN], [1e300, -1e300, 0, NaN]];
    expect(Array.from(restored.predictProba(probe).data)).toEqual(Array.from(model.predictProba(probe).data));
    expect(restored.predict(probe)).toEqual(model.predict(probe));
    expect(restored.nIter).toBe(15);
    expect(restored.classes).toEqual(['maybe', 'no', 'yes']);
  });

  it('rejects damaged trees, naming the field', async () => {
    const { X, y } = synthetic(400, 3, 10);
    const json = JSON.parse(JSON.stringify(await new HistGradientBoostingRegressor({ maxIter: 3 }).fit(X, y))) as {
      state: { trees: Record<string, unknown>; nIter: number };
    };
    const damaged = (trees: Record<string, unknown>, state: Record<string, unknown> = {}): unknown => ({
      ...json,
      state: { ...json.state, ...state, trees: { ...json.state.trees, ...trees } },
    });
    const left = Buffer.from(json.state.trees.left as string, 'base64');
    const cycle = new Int32Array(left.buffer.slice(left.byteOffset, left.byteOffset + left.length));
    cycle[0] = 0; // the root as its own child
    await expectKeelError(
      () => HistGradientBoostingRegressor.fromJSON(damaged({ left: Buffer.from(cycle.buffer).toString('base64') })),
      'invalid_data',
      { field: 'model.state.trees.left[0]' },
    );
    await expectKeelError(
      () => HistGradientBoostingRegressor.fromJSON(damaged({ feature: 'not base64!' })),
      'invalid_data',
      { field: 'model.state.trees.feature' },
    );
    await expectKeelError(() => HistGradientBoostingRegressor.fromJSON(damaged({}, { nIter: 4 })), 'invalid_data', {
      field: 'model.state.trees.treeCount',
    });
  });
});

describe('bad input', () => {
  it('rejects a single class, infinite values and invalid params with the field named', async () => {
    await expectKeelError(
      () => new HistGradientBoostingClassifier().fit([[1], [2], [3]], ['a', 'a', 'a']),
      'invalid_argument',
      { field: 'y' },
      /only one class/,
    );
    await expectKeelError(
      () => new HistGradientBoostingRegressor().fit([[1], [Infinity]], [1, 2]),
      'invalid_argument',
      { field: 'X', row: 1, column: 0 },
    );
    await expectKeelError(() => new HistGradientBoostingClassifier({ maxBins: 256 }), 'invalid_argument', {
      field: 'maxBins',
    });
    await expectKeelError(() => new HistGradientBoostingClassifier({ learningRate: 0 }), 'invalid_argument', {
      field: 'learningRate',
    });
    await expectKeelError(
      () => new HistGradientBoostingClassifier({ earlyStopping: 'yes' as never }),
      'invalid_argument',
      { field: 'earlyStopping' },
    );
    await expectKeelError(() => new HistGradientBoostingRegressor({ validationFraction: 1 }), 'invalid_argument', {
      field: 'validationFraction',
    });
    await expectKeelError(() => new HistGradientBoostingRegressor({ nJobs: 0 }), 'invalid_argument', {
      field: 'nJobs',
    });
  });

  it('keeps the sklearn defaults', () => {
    expect(new HistGradientBoostingClassifier().getParams()).toEqual({
      learningRate: 0.1,
      maxIter: 100,
      maxLeafNodes: 31,
      maxDepth: null,
      minSamplesLeaf: 20,
      l2Regularization: 0,
      maxBins: 255,
      earlyStopping: 'auto',
      validationFraction: 0.1,
      nIterNoChange: 10,
      tol: 1e-7,
      seed: 0,
      nJobs: -1,
    });
  });
});
