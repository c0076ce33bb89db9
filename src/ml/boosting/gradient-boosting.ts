import { KeelError, type DenseMatrix } from '../../core/index.js';
import { trainTestSplit } from '../model-selection/train-test-split.js';
import { resolveJobs } from '../parallel/pool.js';
import { Rng } from '../random.js';
import { sharedMemory } from '../wasm/assembler.js';
import { binRows, fitBinMapper, type RowSource } from './binning.js';
import { TreeGrower } from './grower.js';
import { CTRL, FEATURE_WIDTH, LOSS, MAX_CHUNKS, OP, elementChunkCount, type KernelBuffers } from './kernels.js';
import { baselinePrediction, meanLoss, type LossKind } from './losses.js';
import { EnsembleBuilder, type TreeEnsemble } from './predictor.js';
import { KernelThreads } from './threads.js';

/**
 * The boosting loop shared by the classifier and the regressor (scikit-learn's
 * BaseHistGradientBoosting.fit): bin X, start from the baseline prediction, and each iteration
 * fit one tree per class to the gradients and hessians of the loss, stopping early when the
 * validation loss stops improving.
 */

export interface BoostingParams {
  readonly learningRate: number;
  readonly maxIter: number;
  readonly maxLeafNodes: number | null;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2Regularization: number;
  readonly maxBins: number;
  readonly earlyStopping: 'auto' | boolean;
  readonly validationFraction: number | null;
  readonly nIterNoChange: number;
  readonly tol: number;
  readonly seed: number;
  readonly nJobs: number;
}

export interface BoostingProblem {
  readonly loss: LossKind;
  /** Trees per iteration: 1, or the class count for multiclass log loss. */
  readonly trees: number;
  /** Class codes (log loss) or target values (squared error). */
  readonly target: Float64Array;
}

export interface BoostedModel {
  /** The raw prediction before any tree, one per tree of an iteration. */
  readonly baseline: Float64Array;
  readonly ensemble: TreeEnsemble;
  /** Iterations run (fewer than maxIter when early stopping ended the fit). */
  readonly nIter: number;
}

/** Below this many training rows, starting worker threads costs more than they save. */
const PARALLEL_MIN_ROWS = 50_000;

/** scikit-learn's early_stopping='auto': on for more than 10 000 samples. */
const AUTO_EARLY_STOPPING_ROWS = 10_000;

export async function fitBoosting(
  matrix: DenseMatrix,
  problem: BoostingProblem,
  params: BoostingParams,
): Promise<BoostedModel> {
  const { rows: n, cols, data } = matrix;
  const { loss, trees } = problem;
  const earlyStopping = params.earlyStopping === 'auto' ? n > AUTO_EARLY_STOPPING_ROWS : params.earlyStopping;
  const validate = earlyStopping && params.validationFraction !== null;

  // Train/validation rows (stratified for classification, as scikit-learn does).
  let trainRows: Uint32Array | null = null;
  let validation: { data: Float64Array; target: Float64Array; raw: Float64Array } | null = null;
  if (validate) {
    const classification = loss !== LOSS.SQUARED;
    const split = trainTestSplit(classification ? problem.target : n, {
      testSize: params.validationFraction as number,
      seed: params.seed,
      stratify: classification,
    });
    trainRows = split.train;
    validation = {
      data: gatherRows(data, cols, split.test),
      target: gather(problem.target, split.test),
      raw: new Float64Array(split.test.length * trees),
    };
  }
  const count = trainRows === null ? n : trainRows.length;
  const source: RowSource = { data, cols, rows: trainRows, count };
  const target = trainRows === null ? problem.target : gather(problem.target, trainRows);

  const buffers = allocateBuffers(count, cols, trees, loss, params);
  // Workers boot while this thread bins the data.
  const threadCount = count >= PARALLEL_MIN_ROWS ? Math.max(1, resolveJobs(params.nJobs)) : 1;
  const starting = KernelThreads.start(buffers, threadCount);
  try {
    const mapper = fitBinMapper(source, params.maxBins, new Rng(params.seed));
    const hasMissing = binRows(source, mapper, buffers.codes);
    buffers.target.set(target);
    const baseline = baselinePrediction(loss, target, trees);
    for (let k = 0; k < trees; k++) buffers.raw.fill(baseline[k], k * count, (k + 1) * count);
    if (validation !== null) {
      const m = validation.target.length;
      for (let k = 0; k < trees; k++) validation.raw.fill(baseline[k], k * m, (k + 1) * m);
    }

    const threads = await starting;
    const grower = new TreeGrower(
      threads,
      mapper,
      {
        nFeatures: cols,
        nonMissingBins: mapper.nonMissingBins,
        hasMissing,
        minSamplesLeaf: params.minSamplesLeaf,
        l2Regularization: params.l2Regularization,
      },
      params,
    );
    const builder = new EnsembleBuilder();
    // Scores are negative losses, higher is better (scikit-learn's validation_score_).
    const scores: number[] = [];
    const score = (): number =>
      validation === null
        ? -meanLoss(loss, buffers.raw, target, trees)
        : -meanLoss(loss, validation.raw, validation.target, trees);
    if (earlyStopping) scores.push(score());
    let nIter = 0;
    while (nIter < params.maxIter) {
      threads.run(OP.GRADIENTS, elementChunkCount(count));
      for (let k = 0; k < trees; k++) {
        grower.grow(k, builder);
        if (validation !== null) {
          const m = validation.target.length;
          builder.addTreePrediction(nIter * trees + k, validation.data, m, cols, validation.raw, k * m);
        }
      }
      nIter++;
      if (earlyStopping) {
        scores.push(score());
        if (shouldStop(scores, params.nIterNoChange, params.tol)) break;
      }
    }
    return { baseline, ensemble: builder.finish(), nIter };
  } finally {
    // Also when binning failed: workers left waiting would keep the process alive.
    await (await starting).close();
  }
}

/**
 * scikit-learn's _should_stop: stop when none of the last nIterNoChange scores beats the score
 * before them by more than tol.
 */
function shouldStop(scores: readonly number[], nIterNoChange: number, tol: number): boolean {
  const reference = nIterNoChange + 1;
  if (scores.length < reference) return false;
  const bar = scores[scores.length - reference] + tol;
  for (let i = scores.length - reference + 1; i < scores.length; i++) if (scores[i] > bar) return false;
  return true;
}

function allocateBuffers(
  n: number,
  cols: number,
  trees: number,
  loss: LossKind,
  params: BoostingParams,
): KernelBuffers {
  const histogramLength = cols * FEATURE_WIDTH;
  // Every leaf keeps at least minSamplesLeaf rows, which bounds the leaf count.
  const maxLeaves = Math.min(params.maxLeafNodes ?? Infinity, Math.max(1, Math.floor(n / params.minSamplesLeaf)));
  // One shared WebAssembly memory holds every array, each at an 8-byte aligned offset.
  const sizes = {
    codes: n * cols,
    rows: n * 4,
    altRows: n * 4,
    gradients: trees * n * 8,
    ordered: n * 8,
    altOrdered: n * 8,
    packed: n * 4,
    bins: n,
    raw: trees * n * 8,
    target: n * 8,
    scratch: MAX_CHUNKS * histogramLength * 8,
    goLeft: 256,
    chunkLeft: MAX_CHUNKS * 4,
    chunkTargets: MAX_CHUNKS * 8,
    chunkSums: MAX_CHUNKS * 16,
    leafStart: (maxLeaves + 1) * 4,
    leafValue: maxLeaves * 8,
    leafSet: maxLeaves,
    ctrl: CTRL.SIZE * 4,
    errorText: 1024,
  };
  const offsets: Record<string, number> = {};
  let total = 0;
  for (const [name, bytes] of Object.entries(sizes)) {
    offsets[name] = total;
    total += Math.ceil(bytes / 8) * 8;
  }
  const memory = sharedMemory(total);
  if (memory === null) {
    throw new KeelError(
      'invalid_argument',
      `X (${n} rows × ${cols} columns) is too large for one gradient boosting fit, which keeps its working data under 4 GiB (about 40 million rows × 20 columns)`,
      { field: 'X' },
    );
  }
  const view = <A>(
    Type: new (buffer: ArrayBufferLike, offset: number, length: number) => A,
    name: keyof typeof sizes,
    size: number,
  ): A => new Type(memory.buffer, offsets[name], sizes[name] / size);
  return {
    memory,
    n,
    trees,
    features: cols,
    loss,
    histogramLength,
    codes: view(Uint8Array, 'codes', 1),
    rows: view(Uint32Array, 'rows', 4),
    altRows: view(Uint32Array, 'altRows', 4),
    gradients: view(Float32Array, 'gradients', 4),
    ordered: view(Float32Array, 'ordered', 4),
    altOrdered: view(Float32Array, 'altOrdered', 4),
    packed: view(Uint32Array, 'packed', 4),
    bins: view(Uint8Array, 'bins', 1),
    raw: view(Float64Array, 'raw', 8),
    target: view(Float64Array, 'target', 8),
    scratch: view(Float64Array, 'scratch', 8),
    goLeft: view(Uint8Array, 'goLeft', 1),
    chunkLeft: view(Int32Array, 'chunkLeft', 4),
    chunkTargets: view(Int32Array, 'chunkTargets', 4),
    chunkSums: view(Float64Array, 'chunkSums', 8),
    leafStart: view(Int32Array, 'leafStart', 4),
    leafValue: view(Float64Array, 'leafValue', 8),
    leafSet: view(Uint8Array, 'leafSet', 1),
    ctrl: view(Int32Array, 'ctrl', 4),
    errorText: view(Uint8Array, 'errorText', 1),
  };
}

function gather(values: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

function gatherRows(data: Float64Array | Float32Array, cols: number, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = data[rows[i] * cols + j];
  }
  return out;
}
