import type { WasmMemory, WasmModule } from '../wasm/assembler.js';
import type { BoostingWasm } from './wasm-kernels.js';

/**
 * The parallel steps of histogram gradient boosting, run on the calling thread and on worker
 * threads alike. Worker threads get this code as source text (`kernelSource`), so everything
 * they run lives inside `boostingKernels` and uses only its arguments (the WebAssembly kernels
 * among them) and globals (Atomics, Math). That way workers start the same way from the
 * TypeScript sources under Vitest and from the compiled package, with no worker script to
 * build or locate.
 *
 * Work is split into chunks that depend only on the node's size, never on the thread count,
 * and per-chunk results are combined in chunk order: a model is bit-identical for any nJobs.
 *
 * The innermost loops are WebAssembly (wasm-kernels.ts); the multiclass and squared-error
 * gradients, leaf values and bookkeeping stay here. All buffers live in one shared
 * WebAssembly memory, as typed-array views for this code and byte addresses for WebAssembly.
 *
 * Data layout (see KernelBuffers), chosen by measurement on 1M × 20 rows:
 * - bin codes column-major, one byte per value (scikit-learn's layout): a deep node's rows are
 *   a sparse, increasing subset of 0…n−1, and looking their bins up in a 1 MB column beats
 *   fetching a cache line per row from a row-major matrix by several times (a "word column"
 *   layout, four features per 32-bit load, measured no faster);
 * - histograms are built four features per pass over a node's rows, four histograms (24 kB)
 *   staying in L1; a node's bins are first gathered in a tight loop, which keeps many cache
 *   misses in flight, and then summed;
 * - gradients and hessians interleaved, float32 as in scikit-learn. A split moves each row's
 *   pair along with the row, so a node's pairs are contiguous and never gathered;
 * - a split counts each chunk's left rows first, then moves every row straight to its final
 *   position in the other of two row sets: no copying back;
 * - histograms are Float64Arrays of 256 bins × (gradient sum, hessian sum, count) per feature.
 */

/** Everything the kernels read and write: views on one shared WebAssembly memory. */
export interface KernelBuffers {
  readonly memory: WasmMemory;
  readonly n: number;
  /** Trees per iteration: 1, or the number of classes for multiclass log loss. */
  readonly trees: number;
  readonly features: number;
  /** features × n bin codes, column-major. */
  readonly codes: Uint8Array;
  /**
   * The partition, in two sets that splits alternate between: a node's rows are contiguous in
   * its set (in increasing order), and its children's in the other set, at the same positions.
   */
  readonly rows: Uint32Array;
  readonly altRows: Uint32Array;
  /** trees × n pairs (gradient, hessian). */
  readonly gradients: Float32Array;
  /** n pairs: the current tree's gradients in partition order, in the same two sets as the rows. */
  readonly ordered: Float32Array;
  readonly altOrdered: Float32Array;
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
  /** For splits: 1 when a sample with this bin goes left. */
  readonly goLeft: Uint8Array;
  /** For SPLIT_COUNT: rows each chunk sends left. */
  readonly chunkLeft: Int32Array;
  /** For SPLIT_MOVE: where each chunk's left and right rows go (2 per chunk). */
  readonly chunkTargets: Int32Array;
  /** For ROOT_HISTOGRAM: each chunk's gradient and hessian sums, in row order. */
  readonly chunkSums: Float64Array;
  /** For ADD_LEAVES: partition start of each leaf (one more entry: n), its value and its set. */
  readonly leafStart: Int32Array;
  readonly leafValue: Float64Array;
  readonly leafSet: Uint8Array;
  readonly ctrl: Int32Array;
  readonly errorText: Uint8Array;
}

/** What a worker thread is started with. */
export interface WorkerData {
  readonly buffers: KernelBuffers;
  readonly module: WasmModule;
}

/** Views each thread derives once from the buffers, and its instance of the WebAssembly kernels. */
export interface KernelContext extends KernelBuffers {
  readonly wasm: BoostingWasm;
  readonly treeGradients: Float32Array[];
  readonly scratchHistograms: Float64Array[];
}

/**
 * Everything the threads run, in one closure: the worker's source is this function's text, so
 * the names inside stay consistent even if a bundler or minifier renames them.
 */
function boostingKernels() {
  /** Operations the threads run together, chunk by chunk. */
  const OP = {
    /** Gradients and hessians of every tree of the iteration from the raw predictions. */
    GRADIENTS: 1,
    /** The root histogram of class A0's tree over all rows, chunk by chunk; resets rows to 0…n−1. */
    ROOT_HISTOGRAM: 2,
    /** Bins and left counts of a node's rows (A0…A1, set A3) on feature A2, chunk by chunk. */
    SPLIT_COUNT: 3,
    /** Moves a node's rows (A0…A1) from set A2 to the other set and builds one child's histogram (A3). */
    SPLIT_MOVE: 4,
    /** Adds leaf values (segments of the partition) to the raw predictions of class A1. */
    ADD_LEAVES: 5,
    /** Ends a worker's loop. */
    EXIT: 6,
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

  /** Histogram layout: 3 doubles per bin, 256 bins per feature whatever maxBins is. */
  const BIN_WIDTH = 3;
  const FEATURE_WIDTH = 768;
  const FEATURE_BYTES = FEATURE_WIDTH * 8;

  /**
   * Histogram chunks never exceed this many (bounding the scratch histograms and the cost of
   * summing them; the grower sums up to four), nor fall below MIN_CHUNK_ROWS rows. Element-wise operations (gradients,
   * leaf values) use up to MAX_ELEMENT_CHUNKS chunks of ELEMENT_CHUNK_ROWS or more.
   */
  const MAX_CHUNKS = 4;
  const MIN_CHUNK_ROWS = 8192;
  const MAX_ELEMENT_CHUNKS = 32;
  const ELEMENT_CHUNK_ROWS = 32768;

  function kernelContext(buffers: KernelBuffers, wasm: BoostingWasm): KernelContext {
    const { gradients, scratch, n, trees, histogramLength } = buffers;
    const treeGradients: Float32Array[] = [];
    for (let k = 0; k < trees; k++) treeGradients.push(gradients.subarray(2 * n * k, 2 * n * (k + 1)));
    const scratchHistograms: Float64Array[] = [];
    for (let c = 0; c < MAX_CHUNKS; c++) {
      scratchHistograms.push(scratch.subarray(c * histogramLength, (c + 1) * histogramLength));
    }
    return { ...buffers, wasm, treeGradients, scratchHistograms };
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

  /** Adds rows start…end−1 (in identity order, at the root) of every feature to `histogram`. */
  function rootHistogram(ctx: KernelContext, start: number, end: number, pairs: number, histogram: number): void {
    const { wasm, n, features } = ctx;
    const codes = ctx.codes.byteOffset;
    let f = 0;
    for (; f + 4 <= features; f += 4)
      wasm.hist4Root(codes + f * n, n, start, end, pairs, histogram + f * FEATURE_BYTES);
    for (; f < features; f++) wasm.hist1Root(codes + f * n, start, end, pairs, histogram + f * FEATURE_BYTES);
  }

  /** Adds the rows listed in rows[start…end−1], with their pairs at the same positions, to `histogram`. */
  function rowsHistogram(
    ctx: KernelContext,
    rows: number,
    start: number,
    end: number,
    pairs: number,
    histogram: number,
  ): void {
    const { wasm, n, features } = ctx;
    const codes = ctx.codes.byteOffset;
    const packed = ctx.packed.byteOffset;
    let f = 0;
    for (; f + 4 <= features; f += 4) {
      wasm.gather4(codes + f * n, n, rows, start, end, packed);
      wasm.hist4Packed(packed, start, end, pairs, histogram + f * FEATURE_BYTES);
    }
    for (; f < features; f++) wasm.hist1Rows(codes + f * n, rows, start, end, pairs, histogram + f * FEATURE_BYTES);
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
  function addLeavesKernel(ctx: KernelContext, leaves: number, offset: number, start: number, end: number): void {
    const { leafStart, leafValue, leafSet, raw } = ctx;
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
      const rows = leafSet[leaf] === 0 ? ctx.rows : ctx.altRows;
      for (; i < stop; i++) raw[offset + rows[i]] += value;
    }
  }

  /**
   * Puts rows start…end−1 in identity order with their gradient pairs, and records the
   * chunk's gradient and hessian sums in row order (scikit-learn's sum_parallel on one thread).
   */
  function startRoot(ctx: KernelContext, gradients: Float32Array, chunk: number, start: number, end: number): void {
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
        if (ctx.loss === LOSS.BINARY) {
          ctx.wasm.binaryGradients(ctx.raw.byteOffset, ctx.target.byteOffset, ctx.gradients.byteOffset, start, end);
        } else if (ctx.loss === LOSS.SQUARED) squaredGradientsKernel(ctx.raw, ctx.target, ctx.gradients, start, end);
        else multinomialGradientsKernel(ctx.raw, ctx.target, ctx.gradients, n, ctx.trees, start, end);
        return;
      }
      case OP.ROOT_HISTOGRAM: {
        const gradients = ctx.treeGradients[ctrl[a]];
        const start = chunkStart(0, n, chunk, chunks);
        const end = chunkStart(0, n, chunk + 1, chunks);
        startRoot(ctx, gradients, chunk, start, end);
        const histogram = ctx.scratchHistograms[chunk];
        histogram.fill(0);
        rootHistogram(ctx, start, end, gradients.byteOffset, histogram.byteOffset);
        return;
      }
      case OP.SPLIT_COUNT: {
        const start = chunkStart(ctrl[a], ctrl[a + 1], chunk, chunks);
        const end = chunkStart(ctrl[a], ctrl[a + 1], chunk + 1, chunks);
        const rows = ctrl[a + 3] === 0 ? ctx.rows : ctx.altRows;
        ctx.chunkLeft[chunk] = ctx.wasm.splitCount(
          ctx.codes.byteOffset + ctrl[a + 2] * n,
          ctx.goLeft.byteOffset,
          rows.byteOffset,
          ctx.bins.byteOffset,
          start,
          end,
        );
        return;
      }
      case OP.SPLIT_MOVE: {
        const start = chunkStart(ctrl[a], ctrl[a + 1], chunk, chunks);
        const end = chunkStart(ctrl[a], ctrl[a + 1], chunk + 1, chunks);
        const fromSet0 = ctrl[a + 2] === 0;
        const toRows = fromSet0 ? ctx.altRows : ctx.rows;
        const toPairs = fromSet0 ? ctx.altOrdered : ctx.ordered;
        const left = ctx.chunkTargets[2 * chunk];
        const right = ctx.chunkTargets[2 * chunk + 1];
        ctx.wasm.splitMove(
          ctx.goLeft.byteOffset,
          ctx.bins.byteOffset,
          (fromSet0 ? ctx.rows : ctx.altRows).byteOffset,
          (fromSet0 ? ctx.ordered : ctx.altOrdered).byteOffset,
          toRows.byteOffset,
          toPairs.byteOffset,
          start,
          end,
          left,
          right,
        );
        // 0: no histogram; 1: the left child's; 2: the right child's (this chunk's part of it).
        const side = ctrl[a + 3];
        if (side === 0) return;
        const histogram = ctx.scratchHistograms[chunk];
        histogram.fill(0);
        const nLeft = ctx.chunkLeft[chunk];
        const from = side === 1 ? left : right;
        const count = side === 1 ? nLeft : end - start - nLeft;
        rowsHistogram(ctx, toRows.byteOffset, from, from + count, toPairs.byteOffset, histogram.byteOffset);
        return;
      }
      case OP.ADD_LEAVES: {
        const start = chunkStart(0, n, chunk, chunks);
        const end = chunkStart(0, n, chunk + 1, chunks);
        addLeavesKernel(ctx, ctrl[a], ctrl[a + 1] * n, start, end);
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
  function workerLoop(buffers: KernelBuffers, wasm: BoostingWasm): void {
    const ctx = kernelContext(buffers, wasm);
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
} = boostingKernels();

/**
 * The source of a worker thread: instantiates the WebAssembly kernels on the shared memory and
 * runs `workerLoop` (the WebAssembly global is standard; the package's TypeScript lib omits it).
 */
export function kernelSource(): string {
  return [
    '"use strict";',
    'const { workerData } = require("node:worker_threads");',
    'const { exports } = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.buffers.memory } });',
    `(${boostingKernels.toString()})().workerLoop(workerData.buffers, exports);`,
  ].join('\n');
}
