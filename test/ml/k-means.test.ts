import { describe, expect, it } from 'vitest';
import { KMeans, estimatorFromJSON, type KMeansParams } from '../../src/ml/index.js';
import { expectKeelError, fixture, maxAbsDiff } from './helpers.js';

interface KMeansFixture {
  X: number[][];
  XTest: number[][];
  cases: { params: Partial<KMeansParams> & { nClusters: number }; inertias: number[] }[];
  reference: { centers: number[][]; predictions: number[]; transform: number[][]; score: number };
}

const data = fixture<KMeansFixture>('k-means.json');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

describe('KMeans against scikit-learn on blobs', () => {
  describe.each(data.cases)('$params', ({ params, inertias }) => {
    it('reaches an inertia within 1% of scikit-learn’s (medians over 10 seeds)', async () => {
      const ours: number[] = [];
      for (let seed = 0; seed < 10; seed++) ours.push((await new KMeans({ ...params, seed }).fit(data.X)).inertia);
      expect(Math.abs(median(ours) / median(inertias) - 1)).toBeLessThan(0.01);
      // With several seedings per fit no run is far off. (A single seeding lands in a poor
      // local minimum about one time in ten, on either side.)
      if (params.nInit !== 1) expect(Math.max(...ours)).toBeLessThan(1.01 * Math.max(...inertias));
    });
  });

  it('with scikit-learn’s centres, predicts, transforms and scores as scikit-learn', () => {
    const { centers, predictions, transform, score } = data.reference;
    const model = KMeans.fromJSON({
      algorithm: 'k_means',
      params: { nClusters: 6 },
      state: { nFeatures: 4, centers: centers.flat(), inertia: 0, nIter: 1 },
    }) as KMeans;
    expect(Array.from(model.predict(data.XTest))).toEqual(predictions);
    const distances = model.transform(data.XTest);
    expect([distances.rows, distances.cols]).toEqual([data.XTest.length, 6]);
    // scikit-learn computes distances by ‖x‖² − 2x·c + ‖c‖², Keel from the differences.
    expect(maxAbsDiff(distances.data, transform.flat())).toBeLessThan(1e-9);
    expect(Math.abs(model.score(data.XTest) / score - 1)).toBeLessThan(1e-12);
  });
});

describe('KMeans', () => {
  it('fits without y; the inertia is the sum of squared distances to the nearest centre', async () => {
    const model = await new KMeans({ nClusters: 6, seed: 3 }).fit(data.X);
    expect(model.clusterCenters.rows).toBe(6);
    expect(model.nIter).toBeGreaterThanOrEqual(1);
    expect(Math.abs(-model.score(data.X) / model.inertia - 1)).toBeLessThan(1e-12);
    const labels = model.predict(data.X);
    const distances = model.transform(data.X);
    labels.forEach((label, i) => {
      const row = Array.from(distances.data.subarray(i * 6, i * 6 + 6));
      expect(row[label]).toBe(Math.min(...row));
    });
  });

  it('is reproducible by seed and round-trips through JSON', async () => {
    const first = await new KMeans({ nClusters: 5, seed: 42 }).fit(data.X);
    const second = await new KMeans({ nClusters: 5, seed: 42 }).fit(data.X);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    const restored = estimatorFromJSON(JSON.parse(JSON.stringify(first))) as KMeans;
    expect(restored.predict(data.XTest)).toEqual(first.predict(data.XTest));
    expect(restored.inertia).toBe(first.inertia);
  });

  it('accepts nInit "auto" (one k-means++ seeding) and init "random"', async () => {
    const auto = await new KMeans({ nClusters: 6, nInit: 'auto' }).fit(data.X);
    const random = await new KMeans({ nClusters: 6, init: 'random' }).fit(data.X);
    const best = Math.min(...data.cases[0].inertias);
    expect(auto.inertia).toBeLessThan(1.05 * best);
    expect(random.inertia).toBeLessThan(1.01 * best);
  });

  it('relocates empty clusters instead of returning a centre with no rows', async () => {
    // Six rows in two tight groups and k = 4: some centres must move to far rows.
    const X = [
      [0, 0],
      [0, 0.1],
      [0.1, 0],
      [10, 10],
      [10, 10.1],
      [10.1, 10],
    ];
    const model = await new KMeans({ nClusters: 4, init: 'random', nInit: 5 }).fit(X);
    const used = new Set(model.predict(X));
    expect(used.size).toBe(4);
  });

  it('uses every row as a centre when nClusters equals the rows (inertia 0)', async () => {
    const X = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const model = await new KMeans({ nClusters: 3 }).fit(X);
    expect(model.inertia).toBe(0);
  });

  it('rejects fewer rows than clusters and bad params', async () => {
    await expectKeelError(() => new KMeans({ nClusters: 4 }).fit([[1], [2], [3]]), 'invalid_argument', {
      field: 'nClusters',
    });
    await expectKeelError(() => new KMeans({ nInit: 0 }), 'invalid_argument', { field: 'nInit' });
    await expectKeelError(() => new KMeans({ init: 'kmeans' as never }), 'invalid_argument', { field: 'init' });
    await expectKeelError(() => new KMeans({ tol: -1 }), 'invalid_argument', { field: 'tol' });
  });
});
