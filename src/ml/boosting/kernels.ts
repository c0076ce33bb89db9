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
 * Data layout (see KernelBuffers), chosen by measurement:
 * - bin codes column-major, one byte per value (scikit-learn's layout): a node's rows are a
 *   sparse, increasing subset of 0…n−1, and looking them up in a 1 MB column that stays in
 *   the core's cache is several times faster than fetching a cache line per row from a
 *   row-major matrix, which made sparse nodes memory-latency bound;
 * - histograms are built four features per pass over a node's rows, so each row index and
 *   gradient pair is read once per four features while four histograms (24 kB) stay in L1;
 * - gradients and hessians interleaved in one Float32Array per tree of an iteration
 *   (scikit-learn keeps them in float32 too); a node's pairs are first gathered into row order
 *   (`ordered`) so the histogram passes read them sequentially;
 * - histograms are Float64Arrays of 256 bins × (gradient sum, hessian sum, count) per feature.
 */

/** Everything the kernels read and write; on SharedArrayBuffers when workers take part. */
export interface KernelBuffers {
  readonly n: number;
  /** Trees per iteration: 1, or the number of classes for multiclass log loss. */
  readonly trees: number;
  readonly features: number;
  /** features × n bin codes, column-major. */
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
  /** n values: four features' bins of a node's rows gathered in partition order. */
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

/** Views each thread derives once from the buffers. */
export interface KernelContext extends KernelBuffers {
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
    /** The current operation's sequence number; workers wait for it to change. */
    SEQ: 0,
    /** The next chunk to claim, tagged with the sequence number: seq · 1024 + chunk. */
    CLAIM: 1,
    /** Chunks of the current operation finished. */
    COMPLETED: 2,
    OP: 3,
    CHUNKS: 4,
    /** Set when a chunk threw; its message is in errorText. */
    ERROR: 5,
    ERROR_LENGTH: 6,
    /** First integer argument; the operations use A0 … A0 + 3. */
    A0: 7,
    SIZE: 12,
  } as const;

  /** Sequence numbers wrap here, keeping CLAIM a positive 32-bit integer. */
  const SEQ_MASK = 0xfffff;

  /** Loss kinds for OP.GRADIENTS. */
  const LOSS = { BINARY: 0, MULTINOMIAL: 1, SQUARED: 2 } as const;

  /** Histogram layout constants: 3 doubles per bin, 256 bins per feature whatever maxBins is. */
  const BIN_WIDTH = 3;
  const FEATURE_WIDTH = 768;

  /**
   * Histogram chunks never exceed this many (bounding the scratch histograms and the cost of
   * summing them), nor fall below MIN_CHUNK_ROWS rows. Element-wise operations (gradients,
   * leaf values) use up to MAX_ELEMENT_CHUNKS chunks of ELEMENT_CHUNK_ROWS or more.
   */
  const MAX_CHUNKS = 4;
  const MIN_CHUNK_ROWS = 8192;
  const MAX_ELEMENT_CHUNKS = 32;
  const ELEMENT_CHUNK_ROWS = 32768;

  function kernelContext(buffers: KernelBuffers): KernelContext {
    const { gradients, scratch, n, trees, histogramLength } = buffers;
    const treeGradients: Float32Array[] = [];
    for (let k = 0; k < trees; k++) treeGradients.push(gradients.subarray(2 * n * k, 2 * n * (k + 1)));
    const scratchHistograms: Float64Array[] = [];
    for (let c = 0; c < MAX_CHUNKS; c++) {
      scratchHistograms.push(scratch.subarray(c * histogramLength, (c + 1) * histogramLength));
    }
    return { ...buffers, treeGradients, scratchHistograms };
  }

  /** Chunks for a node of `size` rows: a function of the size only, so results do not depend on threads. */
  function chunkCount(size: number): number {
    return Math.max(1, Math.min(MAX_CHUNKS, Math.floor(size / MIN_CHUNK_ROWS)));
  }

  /** Chunks for an element-wise operation over all n rows. */
  function elementChunkCount(n: number): number {
    return Math.max(1, Math.min(MAX_ELEMENT_CHUNKS, Math.floor(n / ELEMENT_CHUNK_ROWS)));
  }

  /** First row of chunk `chunk` of `chunks` over [start, end). */
  function chunkStart(start: number, end: number, chunk: number, chunks: number): number {
    return start + Math.floor(((end - start) * chunk) / chunks);
  }

  /**
   * Adds rows start…end−1 (in identity order, at the root) to `histogram`: features four at a
   * time, then one at a time for the rest. The three values of a bin sit side by side.
   */
  function rootHistogramKernel(
    codes: Uint8Array,
    n: number,
    features: number,
    start: number,
    end: number,
    gradients: Float32Array,
    histogram: Float64Array,
  ): void {
    let f = 0;
    for (; f + 4 <= features; f += 4) {
      const c0 = f * n;
      const c1 = c0 + n;
      const c2 = c1 + n;
      const c3 = c2 + n;
      const base = f * 768;
      for (let r = start; r < end; r++) {
        const g = gradients[2 * r];
        const h = gradients[2 * r + 1];
        let o = base + codes[c0 + r] * 3;
        histogram[o] += g;
        histogram[o + 1] += h;
        histogram[o + 2] += 1;
        o = base + 768 + codes[c1 + r] * 3;
        histogram[o] += g;
        histogram[o + 1] += h;
        histogram[o + 2] += 1;
        o = base + 1536 + codes[c2 + r] * 3;
        histogram[o] += g;
        histogram[o + 1] += h;
        histogram[o + 2] += 1;
        o = base + 2304 + codes[c3 + r] * 3;
        histogram[o] += g;
        histogram[o + 1] += h;
        histogram[o + 2] += 1;
      }
    }
    for (; f < features; f++) {
      const c = f * n;
      const base = f * 768;
      for (let r = start; r < end; r++) {
        const o = base + codes[c + r] * 3;
        histogram[o] += gradients[2 * r];
        histogram[o + 1] += gradients[2 * r + 1];
        histogram[o + 2] += 1;
      }
    }
  }

  /**
   * Adds the rows listed in rows[start…end−1] to `histogram`, their gradient pairs read from
   * ordered[2·start…] (gathered beforehand); same feature order as rootHistogramKernel.
   */
  function rowsHistogramKernel(
    codes: Uint8Array,
    n: number,
    features: number,
    rows: Uint32Array,
    start: number,
    end: number,
    ordered: Float32Array,
    packed: Uint32Array,
    histogram: Float64Array,
  ): void {
    let f = 0;
    for (; f + 4 <= features; f += 4) {
      const c0 = f * n;
      const c1 = c0 + n;
      const c2 = c1 + n;
      const c3 = c2 + n;
      for (let i = start; i < end; i++) {
        const r = rows[i];
        packed[i] = codes[c0 + r] | (codes[c1 + r] << 8) | (codes[c2 + r] << 16) | (codes[c3 + r] << 24);
      }
      const base = f * 768;
      for (let i = start; i < end; i++) {
        const v = packed[i];
        const g = ordered[2 * i];
        const h = ordered[2 * i + 1];
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
    }
    for (; f < features; f++) {
      const c = f * n;
      const base = f * 768;
      for (let i = start; i < end; i++) {
        const o = base + codes[c + rows[i]] * 3;
        histogram[o] += ordered[2 * i];
        histogram[o + 1] += ordered[2 * i + 1];
        histogram[o + 2] += 1;
      }
    }
  }

  /**
   * Stable partition of rows[start…end−1] and their gradient pairs on one feature's bin (its
   * column starts at `column`): rows going left are written to leftRows/leftOrdered from
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
    for (let i = start; i < end; i++) bins[i] = codes[column + rows[i]];
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

  /** Runs chunk `chunk` of the operation in ctx.ctrl. */
  function runChunk(ctx: KernelContext, chunk: number): void {
    const ctrl = ctx.ctrl;
    const a = CTRL.A0;
    const n = ctx.n;
    const chunks = ctrl[CTRL.CHUNKS];
    switch (ctrl[CTRL.OP]) {
      case OP.GRADIENTS: {
        const start = chunkStart(0, n, chunk, chunks);
        const end = chunkStart(0, n, chunk + 1, chunks);
        if (ctx.loss === LOSS.BINARY) binaryGradientsKernel(ctx.raw, ctx.target, ctx.gradients, start, end);
        else if (ctx.loss === LOSS.SQUARED) squaredGradientsKernel(ctx.raw, ctx.target, ctx.gradients, start, end);
        else multinomialGradientsKernel(ctx.raw, ctx.target, ctx.gradients, n, ctx.trees, start, end);
        return;
      }
      case OP.ROOT_HISTOGRAM: {
        const gradients = ctx.treeGradients[ctrl[a]];
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
        rootHistogramKernel(ctx.codes, n, ctx.features, start, end, gradients, histogram);
        return;
      }
      case OP.SPLIT: {
        const start = chunkStart(ctrl[a], ctrl[a + 1], chunk, chunks);
        const end = chunkStart(ctrl[a], ctrl[a + 1], chunk + 1, chunks);
        const left = partitionKernel(ctx.codes, ctrl[a + 2] * n, ctx.goLeft, ctx, start, end);
        ctx.chunkLeft[chunk] = left;
        // 0: no histogram; 1: the left child's; 2: the right child's.
        const side = ctrl[a + 3];
        if (side === 0) return;
        const histogram = ctx.scratchHistograms[chunk];
        histogram.fill(0);
        const list = side === 1 ? ctx.leftRows : ctx.rightRows;
        const pairs = side === 1 ? ctx.leftOrdered : ctx.rightOrdered;
        const count = side === 1 ? left : end - start - left;
        rowsHistogramKernel(ctx.codes, n, ctx.features, list, start, start + count, pairs, ctx.packed, histogram);
        return;
      }
      case OP.ADD_LEAVES: {
        const start = chunkStart(0, n, chunk, chunks);
        const end = chunkStart(0, n, chunk + 1, chunks);
        addLeavesKernel(ctx.rows, ctx.leafStart, ctx.leafValue, ctrl[a], ctx.raw, ctrl[a + 1] * n, start, end);
        return;
      }
      default:
        throw new Error(`unknown boosting kernel operation ${ctrl[CTRL.OP]}`);
    }
  }

  /**
   * Claims and runs chunks of operation `seq` until none is left. Chunks are claimed, not
   * assigned, so a thread the OS has not scheduled yet leaves its share to the others; a claim
   * carries the sequence number, so a late thread never takes a chunk of a later operation.
   */
  function runChunks(ctx: KernelContext, seq: number): void {
    const ctrl = ctx.ctrl;
    for (;;) {
      const claim = Atomics.load(ctrl, CTRL.CLAIM);
      if (claim >>> 10 !== seq || (claim & 1023) >= ctrl[CTRL.CHUNKS]) return;
      if (Atomics.compareExchange(ctrl, CTRL.CLAIM, claim, claim + 1) !== claim) continue;
      try {
        runChunk(ctx, claim & 1023);
      } catch (error) {
        const bytes = new TextEncoder().encode(String(error instanceof Error ? error.stack : error));
        const length = Math.min(bytes.length, ctx.errorText.length);
        ctx.errorText.set(bytes.subarray(0, length));
        Atomics.store(ctrl, CTRL.ERROR_LENGTH, length);
        Atomics.store(ctrl, CTRL.ERROR, 1);
      }
      Atomics.add(ctrl, CTRL.COMPLETED, 1);
      Atomics.notify(ctrl, CTRL.COMPLETED);
    }
  }

  /** A worker thread's loop: wait for an operation, help with its chunks, repeat. */
  function workerLoop(buffers: KernelBuffers): void {
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
      runChunks(ctx, seen);
    }
  }

  return {
    OP,
    CTRL,
    SEQ_MASK,
    LOSS,
    BIN_WIDTH,
    FEATURE_WIDTH,
    MAX_CHUNKS,
    kernelContext,
    chunkCount,
    elementChunkCount,
    chunkStart,
    runChunks,
    workerLoop,
  };
}

export const {
  OP,
  CTRL,
  SEQ_MASK,
  LOSS,
  BIN_WIDTH,
  FEATURE_WIDTH,
  MAX_CHUNKS,
  kernelContext,
  chunkCount,
  elementChunkCount,
  chunkStart,
  runChunks,
  workerLoop,
} = boostingKernels();

/** The source of a worker thread: runs `workerLoop` on its workerData. */
export function kernelSource(): string {
  return `"use strict";\n(${boostingKernels.toString()})().workerLoop(require("node:worker_threads").workerData);`;
}
