import { KeelError } from '../../core/index.js';
import { PANEL, QUERY_TILE, kernelModule, searchArguments, type Metric } from './distance-kernel.js';
import type { KernelRunner } from '../wasm/threads.js';
import { sharedMemory, type WasmMemory } from '../wasm/assembler.js';

/** The k nearest training rows of each query, nearest first. */
export interface Neighbors {
  readonly rows: number;
  readonly k: number;
  /** rows × k distances, ascending along each row (Euclidean or Manhattan, not squared). */
  readonly distances: Float64Array;
  /** rows × k training row indices; equal distances are ordered by index. */
  readonly indices: Int32Array;
}

/** Bytes for one batch of queries and their heaps; larger query sets run in batches. */
const QUERY_REGION_BYTES = 16 * 1024 * 1024;
/** Below this many multiply-adds a search runs on the calling thread: waking workers costs more. */
const PARALLEL_MIN_WORK = 2 ** 25;

/**
 * Exact brute-force neighbour search over a fixed training matrix. The training rows are
 * packed once, on first use, into a shared WebAssembly memory laid out for the kernel in
 * distance-kernel.ts; each search copies its queries in after them, runs the kernel over
 * query ranges on `runner`'s threads and reads the heaps back.
 */
export class BruteForceIndex {
  private memory: WasmMemory | null = null;
  private queryRegionBytes = 0;
  private readonly panels: number;

  constructor(
    private readonly train: Float64Array,
    readonly rows: number,
    readonly cols: number,
    readonly metric: Metric,
  ) {
    this.panels = Math.ceil(rows / PANEL);
  }

  private get trainBytes(): number {
    return this.panels * PANEL * this.cols * 8;
  }

  private get normsOffset(): number {
    return this.trainBytes;
  }

  private get queryOffset(): number {
    return this.normsOffset + this.panels * PANEL * 8;
  }

  /**
   * The memory with the packed training rows and room after them for a batch of `queries`
   * queries (at most QUERY_REGION_BYTES' worth, at least one tile). A larger batch than the
   * memory holds gets a new memory; a one-row prediction keeps a small one.
   */
  private prepare(perQueryBytes: number, queries: number): WasmMemory {
    const tiles = Math.ceil(queries / QUERY_TILE);
    const needed = Math.max(
      QUERY_TILE * perQueryBytes,
      Math.min(QUERY_REGION_BYTES, tiles * QUERY_TILE * perQueryBytes),
    );
    if (this.memory !== null && this.queryRegionBytes >= needed) return this.memory;
    const memory = sharedMemory(this.queryOffset + needed);
    if (memory === null) {
      throw new KeelError(
        'invalid_argument',
        `the training data (${this.rows} × ${this.cols}) is too large for brute-force neighbour search in 4 GiB`,
        { field: 'X' },
      );
    }
    this.pack(new Float64Array(memory.buffer, 0, this.queryOffset / 8));
    this.memory = memory;
    this.queryRegionBytes = memory.buffer.byteLength - this.queryOffset;
    return memory;
  }

  /** Writes the panels and the squared norms (padding rows: never nearer than a real row). */
  private pack(out: Float64Array): void {
    const { train, rows, cols } = this;
    const euclidean = this.metric === 'euclidean';
    const normsAt = this.normsOffset / 8;
    for (let i = 0; i < this.panels * PANEL; i++) {
      const base = Math.floor(i / PANEL) * PANEL * cols + (i % PANEL);
      let norm = 0;
      for (let j = 0; j < cols; j++) {
        const v = i < rows ? train[i * cols + j] : euclidean ? 0 : Infinity;
        out[base + j * PANEL] = v;
        norm += v * v;
      }
      out[normsAt + i] = i < rows ? norm : Infinity;
    }
  }

  /** The k nearest training rows of each row of `queries` (row-major, `cols` columns). */
  search(queries: ArrayLike<number>, k: number, runner: KernelRunner): Neighbors {
    const { cols } = this;
    const m = queries.length / cols;
    const perQuery = cols * 8 + 8 + k * 12;
    const memory = this.prepare(perQuery, m);
    const batch = Math.max(QUERY_TILE, Math.floor(this.queryRegionBytes / perQuery / QUERY_TILE) * QUERY_TILE);
    const distances = new Float64Array(m * k);
    const indices = new Int32Array(m * k);
    for (let start = 0; start < m; start += batch) {
      const rows = Math.min(batch, m - start);
      this.searchBatch(memory, queries, start, rows, k, runner, distances, indices);
    }
    return { rows: m, k, distances, indices };
  }

  private searchBatch(
    memory: WasmMemory,
    queries: ArrayLike<number>,
    start: number,
    rows: number,
    k: number,
    runner: KernelRunner,
    distances: Float64Array,
    indices: Int32Array,
  ): void {
    const { cols } = this;
    const padded = Math.ceil(rows / QUERY_TILE) * QUERY_TILE;
    const queryAt = this.queryOffset;
    const normAt = queryAt + padded * cols * 8;
    const heapDistanceAt = normAt + padded * 8;
    const heapIndexAt = heapDistanceAt + padded * k * 8;

    const f64 = new Float64Array(memory.buffer);
    const queryValues = f64.subarray(queryAt / 8, normAt / 8);
    const norms = f64.subarray(normAt / 8, heapDistanceAt / 8);
    for (let i = 0; i < padded; i++) {
      let norm = 0;
      for (let j = 0; j < cols; j++) {
        const v = i < rows ? queries[(start + i) * cols + j] : 0;
        queryValues[i * cols + j] = v;
        norm += v * v;
      }
      norms[i] = norm;
    }
    const heapDistances = f64.subarray(heapDistanceAt / 8, heapDistanceAt / 8 + padded * k);
    const heapIndices = new Int32Array(memory.buffer, heapIndexAt, padded * k);
    heapDistances.fill(Infinity);
    heapIndices.fill(-1);

    const work = padded * this.panels * PANEL * cols;
    const threads = work < PARALLEL_MIN_WORK ? 1 : Math.min(runner.threads, padded / QUERY_TILE);
    const tiles = padded / QUERY_TILE;
    const calls: number[][] = [];
    for (let t = 0; t < threads; t++) {
      const queryStart = Math.round((t * tiles) / threads) * QUERY_TILE;
      const queryEnd = Math.round(((t + 1) * tiles) / threads) * QUERY_TILE;
      calls.push(
        searchArguments({
          train: 0,
          norms: this.normsOffset,
          panels: this.panels,
          features: cols,
          queries: queryAt,
          queryNorms: normAt,
          queryStart,
          queryEnd,
          heapDistances: heapDistanceAt,
          heapIndices: heapIndexAt,
          k,
        }),
      );
    }
    runner.run(kernelModule(), memory, `search_${this.metric}`, calls);

    for (let i = 0; i < rows; i++) {
      const out = (start + i) * k;
      sortHeap(heapDistances, heapIndices, i * k, k, distances, indices, out);
      // An unfilled heap slot keeps index −1: only possible when distances are not finite.
      if (indices.subarray(out, out + k).includes(-1)) {
        throw new KeelError(
          'invalid_argument',
          `distances from X row ${start + i} overflow to infinity: scale the features down`,
          { field: 'X', row: start + i },
        );
      }
      if (this.metric === 'euclidean') {
        // The kernel ranks by squared distance; rounding can take it a hair below 0 for a duplicate.
        for (let c = out; c < out + k; c++) distances[c] = Math.sqrt(Math.max(distances[c], 0));
      }
    }
  }
}

/** Copies one heap to `distances`/`indices` at `out`, sorted by distance, then index. */
function sortHeap(
  heapDistances: Float64Array,
  heapIndices: Int32Array,
  at: number,
  k: number,
  distances: Float64Array,
  indices: Int32Array,
  out: number,
): void {
  if (k > 32) {
    const order = Array.from({ length: k }, (_, c) => at + c);
    order.sort((a, b) => heapDistances[a] - heapDistances[b] || heapIndices[a] - heapIndices[b]);
    order.forEach((from, c) => {
      distances[out + c] = heapDistances[from];
      indices[out + c] = heapIndices[from];
    });
    return;
  }
  // Insertion sort: the usual k is a handful.
  for (let c = 0; c < k; c++) {
    const d = heapDistances[at + c];
    const index = heapIndices[at + c];
    let position = out + c;
    while (position > out) {
      const previousD = distances[position - 1];
      if (previousD < d || (previousD === d && indices[position - 1] < index)) break;
      distances[position] = previousD;
      indices[position] = indices[position - 1];
      position--;
    }
    distances[position] = d;
    indices[position] = index;
  }
}
