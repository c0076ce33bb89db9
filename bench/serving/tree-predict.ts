import * as ort from 'onnxruntime-node';
import type { Table } from '../../src/core/index.js';
import { FeaturePipeline } from '../../src/features/index.js';
import { createEstimator, type Classifier, type Float64Matrix } from '../../src/ml/index.js';
import { createPackage, exportOnnx } from '../../src/registry/index.js';
// bench/ml is the ML suite's folder, not src/ml: the module-boundary rule is about src/.
// eslint-disable-next-line no-restricted-imports
import { syntheticClassification } from '../ml/data.js';

/**
 * SPEC.md §5's tree-ensemble row: µs per row of Keel's predictor against onnxruntime-node
 * running Keel's own ONNX export of the same fitted model, at batch 1 and batch 1024.
 *
 * The model is fitted on the bench's synthetic classification data (20 numeric features)
 * behind a feature pipeline that passes the columns through unchanged, so the exported graph
 * and Keel's estimator see the same numbers, and packaged and exported with `exportOnnx` as
 * `keel models export` does. What each side includes:
 * - Keel: `predictProba` of the fitted estimator on the already-built float64 feature matrix
 *   (a view of the batch's rows; it rounds them to float32 as trees compare, walks the trees,
 *   averages or applies the sigmoid).
 * - ONNX Runtime: one `session.run` of the whole exported graph on feeds built beforehand (one
 *   [N, 1] float64 tensor per column): Concat, the float32 casts, TreeEnsembleClassifier, the
 *   probability post-processing and the label (ArgMax + Gather), with its default threads.
 * Both are timed on the same rows, interleaved, best round of `repeats`.
 */

export interface TreeModelCase {
  readonly id: 'random_forest' | 'hist_gradient_boosting';
  readonly title: string;
  readonly params: Record<string, number | boolean>;
}

export const TREE_CASES: readonly TreeModelCase[] = [
  {
    id: 'random_forest',
    title: 'random forest, 100 trees, depth 12',
    params: { nEstimators: 100, maxDepth: 12, nJobs: 2, seed: 0 },
  },
  {
    id: 'hist_gradient_boosting',
    title: 'hist gradient boosting, 100 iters, 31 leaves',
    params: { maxIter: 100, maxLeafNodes: 31, earlyStopping: false, nJobs: 2, seed: 0 },
  },
];

export interface TreePredictResult {
  readonly id: string;
  readonly title: string;
  readonly batch: number;
  readonly keelUsPerRow: number;
  readonly onnxUsPerRow: number;
  /** Keel ÷ ONNX Runtime; lower is better. */
  readonly ratio: number;
  readonly target: number;
  readonly meetsTarget: boolean;
  /** Largest |Keel − ONNX Runtime| over the probabilities of the timed rows. */
  readonly maxAbsDiff: number;
}

export interface TreePredictOptions {
  readonly trainRows: number;
  readonly batches: readonly number[];
  /** Each side is timed for at least this long per round (ms). */
  readonly minTimeMs: number;
  readonly repeats: number;
  readonly log: (line: string) => void;
}

const COLS = 20;
/** Distinct rows the timed batches are drawn from, so batch 1 does not predict one row from cache. */
const POOL_ROWS = 4096;

export async function measureTreePredict(options: TreePredictOptions): Promise<TreePredictResult[]> {
  const data = syntheticClassification(options.trainRows + POOL_ROWS, COLS, options.trainRows, 20261201);
  const names = Array.from({ length: COLS }, (_, j) => `x${j}`);
  const table = tableOf(data.X, names, 0, options.trainRows);
  const pool = { rows: POOL_ROWS, cols: COLS, data: data.X.data.subarray(options.trainRows * COLS) };
  const y = Array.from(data.y.subarray(0, options.trainRows));
  const results: TreePredictResult[] = [];
  for (const model of TREE_CASES) {
    options.log(`trees: fitting ${model.title} on ${options.trainRows} rows`);
    const pipeline = await new FeaturePipeline({ steps: [{ columns: names, transforms: [] }] }).fit(table);
    const estimator = createEstimator(model.id, model.params) as Classifier;
    await estimator.fit(pipeline.transform(table), y);
    const pkg = createPackage({
      algorithm: model.id,
      signature: { inputs: pipeline.inputColumns(), task: 'binary_classification', classes: ['0', '1'] },
      features: pipeline.toJSON(),
      estimator: estimator.toJSON(),
      metrics: {},
      reference: { rows: 0, features: [] },
      lineage: { runId: null, datasetVersionId: null, pipelineRunId: null },
    });
    const session = await ort.InferenceSession.create(exportOnnx(pkg));
    try {
      for (const batch of options.batches) {
        results.push(await compare(model, batch, estimator, session, pool, names, options));
        const last = results[results.length - 1];
        options.log(
          `trees: ${model.id} batch ${batch}: Keel ${last.keelUsPerRow.toFixed(2)} µs/row, ONNX Runtime ${last.onnxUsPerRow.toFixed(2)} µs/row`,
        );
      }
    } finally {
      await session.release();
    }
  }
  return results;
}

async function compare(
  model: TreeModelCase,
  batch: number,
  estimator: Classifier,
  session: ort.InferenceSession,
  pool: Float64Matrix,
  names: readonly string[],
  options: TreePredictOptions,
): Promise<TreePredictResult> {
  const starts = Array.from({ length: Math.max(1, Math.floor(pool.rows / batch)) }, (_, k) => k * batch);
  const matrices = starts.map((s) => ({
    rows: batch,
    cols: pool.cols,
    data: pool.data.subarray(s * pool.cols, (s + batch) * pool.cols),
  }));
  const feeds = matrices.map((m) => feedsOf(m, names));

  // Same numbers on both sides: the check that makes a fast wrong predictor fail.
  let maxAbsDiff = 0;
  for (let k = 0; k < Math.min(matrices.length, 4); k++) {
    const keel = estimator.predictProba(matrices[k]).data;
    const onnx = (await session.run(feeds[k], ['probabilities'])).probabilities.data as Float64Array;
    for (let i = 0; i < keel.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(keel[i] - onnx[i]));
  }

  let keelBest = Infinity;
  let onnxBest = Infinity;
  for (let round = 0; round < options.repeats; round++) {
    keelBest = Math.min(
      keelBest,
      await timePerRow(batch, options.minTimeMs, (k) => void estimator.predictProba(matrices[k % matrices.length])),
    );
    onnxBest = Math.min(
      onnxBest,
      await timePerRow(batch, options.minTimeMs, (k) =>
        session.run(feeds[k % feeds.length], ['label', 'probabilities']),
      ),
    );
  }
  const ratio = keelBest / onnxBest;
  return {
    id: model.id,
    title: model.title,
    batch,
    keelUsPerRow: keelBest,
    onnxUsPerRow: onnxBest,
    ratio,
    target: 1,
    meetsTarget: ratio <= 1,
    maxAbsDiff,
  };
}

/** µs per row of `call` (one batch of `batch` rows per call), run for at least `minTimeMs` after a warm-up. */
async function timePerRow(batch: number, minTimeMs: number, call: (k: number) => unknown): Promise<number> {
  for (let k = 0; k < 20; k++) await call(k);
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minTimeMs) {
    for (let k = 0; k < 16; k++) await call(calls++);
    elapsed = performance.now() - started;
  }
  return (elapsed * 1000) / (calls * batch);
}

function feedsOf(matrix: Float64Matrix, names: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  names.forEach((name, j) => {
    const column = new Float64Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i++) column[i] = matrix.data[i * matrix.cols + j];
    feeds[name] = new ort.Tensor('float64', column, [matrix.rows, 1]);
  });
  return feeds;
}

function tableOf(X: Float64Matrix, names: readonly string[], start: number, rows: number): Table {
  return {
    rows,
    columns: names.map((name, j) => {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = X.data[(start + i) * X.cols + j];
      return { name, kind: 'number' as const, values };
    }),
  };
}
