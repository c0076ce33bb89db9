/**
 * The hot loops of histogram gradient boosting, run on the calling thread and on worker
 * threads alike. Worker threads get this code as source text (`kernelSource`), so everything
 * they run lives inside `boostingKernels` and uses only its arguments and globals (Atomics,
 * Math). That way workers start the same way from the TypeScript sources under Vitest and from
 * the compiled package, without a separate worker script to build or locate.
 *
 * Work is split into chunks that depend only on the node's size, never on the thread count,
 * and per-chunk results are combined in chunk order: a model is bit-identical for any nJobs.
 *
 * Data layout (see KernelBuffers), chosen by measurement on 1M × 20 rows:
 * - bin codes in "word columns": the bins of features 4w…4w+3 for row r are the four bytes of
 *   32-bit word w·n + r. Deeper nodes are sparse, increasing subsets of the rows, and there
 *   random access is what costs: one 32-bit load fetches four features' bins, where byte
 *   columns (scikit-learn's layout) need four loads from four places and a row-major matrix
 *   fetches a cache line per row. At the root the words are read sequentially.
 * - histograms are built a word (four features) per pass over a node's rows, so four
 *   histograms (24 kB) stay in L1; a node's words are first gathered in a tight loop, which
 *   keeps many cache misses in flight, then summed;
 * - gradients and hessians interleaved in one Float32Array per tree of an iteration
 *   (scikit-learn keeps them in float32 too). Partitions move each row's pair along with the
 *   row (`ordered`), so a node's pairs are always contiguous and never gathered;
 * - histograms are Float64Arrays of 256 bins × (gradient sum, hessian sum, count) per feature,
 *   features padded to a multiple of 4.
 */

/** Everything the kernels read and write; on SharedArrayBuffers when workers take part. */
export interface KernelBuffers {
  readonly n: number;
  /** Trees per iteration: 1, or the number of classes for multiclass log loss. */
  readonly trees: number;
  /** Word columns: ⌈features / 4⌉. */
  readonly words: number;
  /** words × n × 4 bin codes (see the layout above). */
  readonly codes: Uint8Array;
  /** The partition: rows of each node are contiguous, in increasing order within a node. */
  readonly rows: Uint32Array;
  /** Where a split writes the left and right rows of each chunk before they are copied back. */
  readonly leftRows: Uint32Array;
  readonly rightRows: Uint32Array;
  /** trees × n pairs (gradient, hessian). */
  readonly gradients: Float32Array;
  /** n pairs: the current tree's gradients in partition order, moved along with the rows. */
  readonly ordered: Float32Array;
  /** Where a split writes the gradient pairs of the left and right rows, as leftRows/rightRows. */
  readonly leftOrdered: Float32Array;
  readonly rightOrdered: Float32Array;
  /** n values: a word of a node's rows gathered in partition order. */
  readonly packed: Uint32Array;
  /** n values: the split feature's bins of a node's rows gathered in partition order. */
  readonly bins: Uint8Array;
  /** trees × n raw predictions, tree-major. */
  readonly raw: Float64Array;
  /** Class codes (log loss) or targets (squared error). */
  readonly target: Float64Array;
  readonly loss: number;
  /** MAX_CHUNKS histograms of histogramLength values. */
  readonly scratch: Float64Array;
  readonly histogramLength: number;
  /** For SPLIT: 1 when a sample with this bin goes left. */
  readonly goLeft: Uint8Array;
  /** For SPLIT: rows each chunk sent left. */
  readonly chunkLeft: Int32Array;
  /** For ROOT_HISTOGRAM: each chunk's gradient and hessian sums, in row order. */
  readonly chunkSums: Float64Array;
  /** For ADD_LEAVES: partition start of each leaf (one more entry: n) and its value. */
  readonly leafStart: Int32Array;
  readonly leafValue: Float64Array;
  readonly ctrl: Int32Array;
  readonly errorText: Uint8Array;
}

/** What a worker thread is started with. */
export interface WorkerData {
  readonly buffers: KernelBuffers;
  readonly thread: number;
  readonly threads: number;
}

/** Views each thread derives once from the buffers. */
export interface KernelContext extends KernelBuffers {
  readonly codeWords: Uint32Array;
  readonly treeGradients: Float32Array[];
  readonly scratchHistograms: Float64Array[];
}

/**
 * Everything the threads run, in one closure: the worker's source is this function's text, so
 * the names inside stay consistent even if a bundler or minifier renames them.
 */
function boostingKernels() {
  /** Operations a thread can be asked to run (its share of them). */
  const OP = {
    /** Gradients and hessians of every tree of the iteration from the raw predictions. */
    GRADIENTS: 1,
    /** The root histogram of class A0's tree over all rows, chunk by chunk; resets rows to 0…n−1. */
    ROOT_HISTOGRAM: 2,
    /** Partitions a node's rows (A0…A1) on the goLeft table and builds one child's histogram. */
    SPLIT: 3,
    /** Adds leaf values (segments of the partition) to the raw predictions of class A1. */
    ADD_LEAVES: 4,
    /** Ends a worker's loop. */
    EXIT: 5,
  } as const;

  /** Slots of the control array shared with the workers. */
  const CTRL = {
    /** Incremented by the caller for each operation; workers wait for it to change. */
    SEQ: 0,
    /** Workers that finished the current operation. */
    DONE: 1,
    OP: 2,
    /** Set when a worker threw; its message is in errorText. */
    ERROR: 3,
    ERROR_LENGTH: 4,
    /** First integer argument; the operations use A0 … A0 + 5. */
    A0: 5,
    SIZE: 12,
  } as const;

  /** Loss kinds for OP.GRADIENTS. */
  const LOSS = { BINARY: 0, MULTINOMIAL: 1, SQUARED: 2 } as const;

  /** Histogram layout constants: 3 doubles per bin, 256 bins per feature whatever maxBins is. */
  const BIN_WIDTH = 3;
  const FEATURE_WIDTH = 768;

  /** Chunks never exceed this many (bounding the scratch histograms), nor fall below MIN_CHUNK_ROWS rows. */
  const MAX_CHUNKS = 4;
  const MIN_CHUNK_ROWS = 8192;

  function kernelContext(buffers: KernelBuffers): KernelContext {
    const { codes, gradients, scratch, n, trees, histogramLength } = buffers;
    const treeGradients: Float32Array[] = [];
    for (let k = 0; k < trees; k++) treeGradients.push(gradients.subarray(2 * n * k, 2 * n * (k + 1)));
    const scratchHistograms: Float64Array[] = [];
    for (let c = 0; c < MAX_CHUNKS; c++) {
      scratchHistograms.push(scratch.subarray(c * histogramLength, (c + 1) * histogramLength));
    }
    const codeWords = new Uint32Array(codes.buffer, codes.byteOffset, codes.length >>> 2);
    return { ...buffers, codeWords, treeGradients, scratchHistograms };
  }

  /** Chunks for a node of `size` rows: a function of the size only, so results do not depend on threads. */
  function chunkCount(size: number): number {
    return Math.max(1, Math.min(MAX_CHUNKS, Math.floor(size / MIN_CHUNK_ROWS)));
  }

  /** First row of chunk `chunk` of `chunks` over [start, end). */
  function chunkStart(start: number, end: number, chunk: number, chunks: number): number {
    return start + Math.floor(((end - start) * chunk) / chunks);
  }

  /** Adds the four histograms of word `v` at `base` (feature 4w's histogram). */
  function addWord(histogram: Float64Array, base: number, v: number, g: number, h: number): void {
    let o = base + (v & 255) * 3;
    histogram[o] += g;
    histogram[o + 1] += h;
    histogram[o + 2] += 1;
    o = base + 768 + ((v >>> 8) & 255) * 3;
    histogram[o] += g;
    histogram[o + 1] += h;
    histogram[o + 2] += 1;
    o = base + 1536 + ((v >>> 16) & 255) * 3;
    histogram[o] += g;
    histogram[o + 1] += h;
    histogram[o + 2] += 1;
    o = base + 2304 + (v >>> 24) * 3;
    histogram[o] += g;
    histogram[o + 1] += h;
    histogram[o + 2] += 1;
  }

  /** Adds rows start…end−1 (in identity order, at the root) to `histogram`, a word at a time. */
  function rootHistogramKernel(
    codeWords: Uint32Array,
    n: number,
    words: number,
    start: number,
    end: number,
    gradients: Float32Array,
    histogram: Float64Array,
  ): void {
    for (let w = 0; w < words; w++) {
      const column = w * n;
      const base = w * 3072;
      for (let r = start; r < end; r++)
        addWord(histogram, base, codeWords[column + r], gradients[2 * r], gradients[2 * r + 1]);
    }
  }

  /**
   * Adds the rows listed in rows[start…end−1] to `histogram`, their gradient pairs at
   * pairs[2·start…]. Each word is gathered into `packed` first, then summed sequentially.
   */
  function rowsHistogramKernel(
    codeWords: Uint32Array,
    n: number,
    words: number,
    rows: Uint32Array,
    start: number,
    end: number,
    pairs: Float32Array,
    packed: Uint32Array,
    histogram: Float64Array,
  ): void {
    for (let w = 0; w < words; w++) {
      const column = w * n;
      for (let i = start; i < end; i++) packed[i] = codeWords[column + rows[i]];
      const base = w * 3072;
      for (let i = start; i < end; i++) addWord(histogram, base, packed[i], pairs[2 * i], pairs[2 * i + 1]);
    }
  }

  /**
   * Stable partition of rows[start…end−1] and their gradient pairs on one feature's bin (the
   * bin of row r is codes[column + 4r]): rows going left are written to leftRows/leftOrdered from
   * `start` on, the others to rightRows/rightOrdered from `start` on. The bins are gathered
   * first in a tight loop, which keeps many cache misses in flight; the partition itself is
   * then branch-free (both outputs are written), since the side is a coin flip for the branch
   * predictor. Returns the number of rows sent left.
   */
  function partitionKernel(
    codes: Uint8Array,
    column: number,
    goLeft: Uint8Array,
    ctx: KernelContext,
    start: number,
    end: number,
  ): number {
    const { rows, ordered, bins, leftRows, rightRows, leftOrdered, rightOrdered } = ctx;
    for (let i = start; i < end; i++) bins[i] = codes[column + 4 * rows[i]];
    let left = start;
    let right = start;
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const g = ordered[2 * i];
      const h = ordered[2 * i + 1];
      const side = goLeft[bins[i]];
      leftRows[left] = r;
      rightRows[right] = r;
      leftOrdered[2 * left] = g;
      leftOrdered[2 * left + 1] = h;
      rightOrdered[2 * right] = g;
      rightOrdered[2 * right + 1] = h;
      left += side;
      right += 1 - side;
    }
    return left - start;
  }

  /** Half binomial log loss (scikit-learn's HalfBinomialLoss), numerically stable for any raw value. */
  function binaryGradientsKernel(
    raw: Float64Array,
    target: Float64Array,
    gradients: Float32Array,
    start: number,
    end: number,
  ): void {
    for (let i = start; i < end; i++) {
      const z = raw[i];
      const y = target[i];
      if (z > -37) {
        const e = Math.exp(-z);
        const d = 1 + e;
        gradients[2 * i] = (1 - y - y * e) / d;
        gradients[2 * i + 1] = e / (d * d);
      } else {
        const e = Math.exp(z);
        gradients[2 * i] = e - y;
        gradients[2 * i + 1] = e;
      }
    }
  }

  /** Half multinomial log loss: softmax probabilities p, gradient p − 1{y = k}, hessian p(1 − p). */
  function multinomialGradientsKernel(
    raw: Float64Array,
    target: Float64Array,
    gradients: Float32Array,
    n: number,
    trees: number,
    start: number,
    end: number,
  ): void {
    for (let i = start; i < end; i++) {
      let max = -Infinity;
      for (let k = 0; k < trees; k++) max = Math.max(max, raw[k * n + i]);
      let sum = 0;
      for (let k = 0; k < trees; k++) sum += Math.exp(raw[k * n + i] - max);
      const y = target[i];
      for (let k = 0; k < trees; k++) {
        const p = Math.exp(raw[k * n + i] - max) / sum;
        gradients[2 * (k * n + i)] = p - (y === k ? 1 : 0);
        gradients[2 * (k * n + i) + 1] = p * (1 - p);
      }
    }
  }

  /** Half squared error: gradient raw − y, hessian 1 (constant, as scikit-learn's count-based sums). */
  function squaredGradientsKernel(
    raw: Float64Array,
    target: Float64Array,
    gradients: Float32Array,
    start: number,
    end: number,
  ): void {
    for (let i = start; i < end; i++) {
      gradients[2 * i] = raw[i] - target[i];
      gradients[2 * i + 1] = 1;
    }
  }

  /** Adds each leaf's value to the raw predictions of its rows, for partition positions start…end−1. */
  function addLeavesKernel(
    rows: Uint32Array,
    leafStart: Int32Array,
    leafValue: Float64Array,
    leaves: number,
    raw: Float64Array,
    offset: number,
    start: number,
    end: number,
  ): void {
    // The leaf holding position `start`: the last leaf starting at or before it.
    let lo = 0;
    let hi = leaves - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (leafStart[mid] <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let leaf = lo, i = start; i < end; leaf++) {
      const stop = Math.min(end, leafStart[leaf + 1]);
      const value = leafValue[leaf];
      for (; i < stop; i++) raw[offset + rows[i]] += value;
    }
  }

  /** Runs thread `thread`'s share (of `threads`) of the operation in ctx.ctrl. */
  function runShare(ctx: KernelContext, thread: number, threads: number): void {
    const ctrl = ctx.ctrl;
    const a = CTRL.A0;
    const n = ctx.n;
    const shareStart = Math.floor((n * thread) / threads);
    const shareEnd = Math.floor((n * (thread + 1)) / threads);
    switch (ctrl[CTRL.OP]) {
      case OP.GRADIENTS:
        if (ctx.loss === LOSS.BINARY) {
          binaryGradientsKernel(ctx.raw, ctx.target, ctx.gradients, shareStart, shareEnd);
        } else if (ctx.loss === LOSS.MULTINOMIAL) {
          multinomialGradientsKernel(ctx.raw, ctx.target, ctx.gradients, n, ctx.trees, shareStart, shareEnd);
        } else {
          squaredGradientsKernel(ctx.raw, ctx.target, ctx.gradients, shareStart, shareEnd);
        }
        return;
      case OP.ROOT_HISTOGRAM: {
        const gradients = ctx.treeGradients[ctrl[a]];
        const chunks = ctrl[a + 1];
        for (let chunk = thread; chunk < chunks; chunk += threads) {
          const start = chunkStart(0, n, chunk, chunks);
          const end = chunkStart(0, n, chunk + 1, chunks);
          // Sums in row order, as scikit-learn's sum_parallel on one thread.
          let g = 0;
          let h = 0;
          for (let i = start; i < end; i++) {
            ctx.rows[i] = i;
            g += gradients[2 * i];
            h += gradients[2 * i + 1];
          }
          ctx.ordered.set(gradients.subarray(2 * start, 2 * end), 2 * start);
          ctx.chunkSums[2 * chunk] = g;
          ctx.chunkSums[2 * chunk + 1] = h;
          const histogram = ctx.scratchHistograms[chunk];
          histogram.fill(0);
          rootHistogramKernel(ctx.codeWords, n, ctx.words, start, end, gradients, histogram);
        }
        return;
      }
      case OP.SPLIT: {
        const nodeStart = ctrl[a];
        const nodeEnd = ctrl[a + 1];
        const feature = ctrl[a + 2];
        // 0: no histogram; 1: the left child's; 2: the right child's.
        const side = ctrl[a + 3];
        const chunks = ctrl[a + 4];
        for (let chunk = thread; chunk < chunks; chunk += threads) {
          const start = chunkStart(nodeStart, nodeEnd, chunk, chunks);
          const end = chunkStart(nodeStart, nodeEnd, chunk + 1, chunks);
          const column = 4 * (feature >>> 2) * n + (feature & 3);
          const left = partitionKernel(ctx.codes, column, ctx.goLeft, ctx, start, end);
          ctx.chunkLeft[chunk] = left;
          if (side === 0) continue;
          const histogram = ctx.scratchHistograms[chunk];
          histogram.fill(0);
          const list = side === 1 ? ctx.leftRows : ctx.rightRows;
          const pairs = side === 1 ? ctx.leftOrdered : ctx.rightOrdered;
          const count = side === 1 ? left : end - start - left;
          rowsHistogramKernel(ctx.codeWords, n, ctx.words, list, start, start + count, pairs, ctx.packed, histogram);
        }
        return;
      }
      case OP.ADD_LEAVES:
        addLeavesKernel(
          ctx.rows,
          ctx.leafStart,
          ctx.leafValue,
          ctrl[a],
          ctx.raw,
          ctrl[a + 1] * n,
          shareStart,
          shareEnd,
        );
        return;
      default:
        throw new Error(`unknown boosting kernel operation ${ctrl[CTRL.OP]}`);
    }
  }

  /** A worker thread's loop: wait for an operation, run this thread's share, report, repeat. */
  function workerLoop({ buffers, thread, threads }: WorkerData): void {
    const ctx = kernelContext(buffers);
    const ctrl = ctx.ctrl;
    let seen = 0;
    for (;;) {
      // A short spin first: the next operation usually follows within microseconds, and
      // waking from Atomics.wait costs more than that.
      for (let spin = 0; spin < 20000 && Atomics.load(ctrl, CTRL.SEQ) === seen; spin++);
      Atomics.wait(ctrl, CTRL.SEQ, seen);
      seen = Atomics.load(ctrl, CTRL.SEQ);
      if (ctrl[CTRL.OP] === OP.EXIT) return;
      try {
        runShare(ctx, thread, threads);
      } catch (error) {
        const bytes = new TextEncoder().encode(String(error instanceof Error ? error.stack : error));
        const length = Math.min(bytes.length, ctx.errorText.length);
        ctx.errorText.set(bytes.subarray(0, length));
        Atomics.store(ctrl, CTRL.ERROR_LENGTH, length);
        Atomics.store(ctrl, CTRL.ERROR, 1);
      }
      Atomics.add(ctrl, CTRL.DONE, 1);
      Atomics.notify(ctrl, CTRL.DONE);
    }
  }

  return {
    OP,
    CTRL,
    LOSS,
    BIN_WIDTH,
    FEATURE_WIDTH,
    MAX_CHUNKS,
    kernelContext,
    chunkCount,
    chunkStart,
    runShare,
    workerLoop,
  };
}

export const {
  OP,
  CTRL,
  LOSS,
  BIN_WIDTH,
  FEATURE_WIDTH,
  MAX_CHUNKS,
  kernelContext,
  chunkCount,
  chunkStart,
  runShare,
  workerLoop,
} = boostingKernels();

/** The source of a worker thread: runs `workerLoop` on its workerData. */
export function kernelSource(): string {
  return `"use strict";\n(${boostingKernels.toString()})().workerLoop(require("node:worker_threads").workerData);`;
}
