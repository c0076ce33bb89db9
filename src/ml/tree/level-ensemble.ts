import {
  assembleModule,
  control,
  f64,
  float,
  i32,
  int,
  local,
  sharedMemory,
  webAssembly,
  type Code,
  type FunctionSpec,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
} from '../wasm/assembler.js';
import { availableParallelism } from 'node:os';
import { kernelRunner, type KernelRunner } from '../wasm/threads.js';

/**
 * Tree ensembles laid out for fast batch prediction, built once from a fitted ensemble (never
 * serialised), and the WebAssembly kernel that walks them.
 *
 * Layout: each tree is renumbered breadth-first, so the two children of a split are adjacent,
 * and every leaf becomes a node that loops to itself. One step of descent is then the same for
 * every node: `node = child[node] + 1 − (x[feature[node]] ≤ threshold[node])` (with a missing
 * value going the side the node says), with no branch to mispredict. A leaf tests the block's
 * last column, which is always 0, against +∞, and its child is itself, so a row that reached a
 * leaf stays there. A node is one 16-byte record: feature (its top bit: a missing value goes
 * left), left child, threshold (float64); each leaf's values are copied beside the records.
 *
 * Traversal: a block of rows descends a tree level by level, every row one step at a time,
 * exactly as many steps as the tree is deep. The rows are independent, so the processor overlaps
 * their memory loads instead of waiting on one row's path at a time; WebAssembly runs the loop
 * with no bounds checks. Then each row adds the values of the leaf it reached, tree after tree,
 * so a row's sum adds the same values in the same order as a row-by-row walk: results are
 * identical.
 */

/** A fitted tree ensemble as node accessors, whatever its storage. */
export interface EnsembleSource {
  readonly treeCount: number;
  readonly nodeCount: number;
  readonly nFeatures: number;
  root(tree: number): number;
  /** −1 at a leaf. */
  feature(node: number): number;
  threshold(node: number): number;
  left(node: number): number;
  right(node: number): number;
  /** At a leaf, the row of its values in `leafValues`. */
  leafIndex(node: number): number;
  /** Values per leaf (class frequencies of a forest; 1 for a sum). */
  readonly nValues: number;
  /** Rows of nValues, one per leaf index. */
  readonly leafValues: Float64Array;
  /** Tree t adds to output group t % outputs (the classes of multiclass boosting; else 1). */
  readonly outputs: number;
  /** Where a missing value goes; null when it always goes right (`x ≤ t` is false for NaN). */
  readonly missingGoesLeft: ((node: number) => boolean) | null;
  /** Round X to float32 before comparing, as random forests and decision trees do. */
  readonly float32: boolean;
}

/** Rows descended together: their block of X and their nodes stay in the first-level cache. */
const BLOCK_ROWS = 128;
/**
 * Blocks with their own scratch (X, nodes, sums) in the memory: a large batch is walked several
 * blocks at a time, spread over the threads. One block is all a single-threaded call uses.
 */
const SCRATCH_BLOCKS = 8;
/**
 * Rows from which a batch is split over threads: below it, handing blocks to another thread and
 * waiting for it costs more than it saves (the hand-over is tens of µs; a row is 2–20 µs).
 */
const PARALLEL_MIN_ROWS = 512;
const RECORD_BYTES = 16;
const MISSING_LEFT_BIT = 0x80000000;

interface Layout {
  readonly roots: number;
  readonly depths: number;
  readonly values: number;
  /** The first block's scratch; block b's is at `+ b ×` the matching `…Bytes`. */
  readonly block: number;
  readonly nodes: number;
  readonly sums: number;
  readonly blockBytes: number;
  readonly nodesBytes: number;
  readonly sumsBytes: number;
}

/** The threads a large batch is spread over (the caller's included), shared by every ensemble. */
let runner: KernelRunner | null = null;

function threadRunner(): KernelRunner {
  runner ??= kernelRunner(Math.min(availableParallelism(), SCRATCH_BLOCKS));
  return runner;
}

export class LevelEnsemble {
  private constructor(
    readonly nFeatures: number,
    private readonly source: Pick<EnsembleSource, 'treeCount' | 'nValues' | 'outputs' | 'float32'>,
    private readonly instance: WasmInstance,
    /** Whether some node sends missing values left (its feature word has MISSING_LEFT_BIT). */
    private readonly anyMissingLeft: boolean,
    private readonly memory: WasmMemory,
    private readonly layout: Layout,
    private readonly numbers: Float64Array,
  ) {}

  static build(source: EnsembleSource): LevelEnsemble {
    const { treeCount, nodeCount, nFeatures, nValues, outputs, leafValues } = source;
    const stride = nFeatures + 1;
    const width = outputs * nValues;
    const roots = nodeCount * RECORD_BYTES;
    const depths = roots + treeCount * 4;
    const values = align8(depths + treeCount * 4);
    const blockBytes = BLOCK_ROWS * stride * 8;
    const nodesBytes = BLOCK_ROWS * 4;
    const sumsBytes = BLOCK_ROWS * width * 8;
    const block = values + nodeCount * nValues * 8;
    const nodes = block + SCRATCH_BLOCKS * blockBytes;
    const sums = nodes + SCRATCH_BLOCKS * nodesBytes;
    const memory = sharedMemory(sums + SCRATCH_BLOCKS * sumsBytes);
    if (!memory) throw new Error(`a tree ensemble of ${nodeCount} nodes is too large to predict with`);
    const words = new Int32Array(memory.buffer);
    const numbers = new Float64Array(memory.buffer);

    // Breadth-first: a split's children take the next two free slots, so they are adjacent.
    const queue = new Int32Array(nodeCount);
    const level = new Int32Array(nodeCount);
    let next = 0;
    let anyMissingLeft = false;
    for (let t = 0; t < treeCount; t++) {
      words[roots / 4 + t] = next;
      queue[next] = source.root(t);
      level[next] = 0;
      let depth = 0;
      for (let slot = next++; slot < next; slot++) {
        const node = queue[slot];
        const record = (slot * RECORD_BYTES) / 4;
        depth = Math.max(depth, level[slot]);
        const f = source.feature(node);
        if (f < 0) {
          words[record] = nFeatures;
          words[record + 1] = slot;
          numbers[record / 2 + 1] = Infinity;
          const leaf = source.leafIndex(node) * nValues;
          for (let v = 0; v < nValues; v++) numbers[values / 8 + slot * nValues + v] = leafValues[leaf + v];
          continue;
        }
        const missingLeft = source.missingGoesLeft?.(node) ?? false;
        anyMissingLeft ||= missingLeft;
        words[record] = missingLeft ? f | MISSING_LEFT_BIT : f;
        words[record + 1] = next;
        numbers[record / 2 + 1] = source.threshold(node);
        queue[next] = source.left(node);
        queue[next + 1] = source.right(node);
        level[next] = level[next + 1] = level[slot] + 1;
        next += 2;
      }
      words[depths / 4 + t] = depth;
    }
    if (next !== nodeCount) throw new Error(`level ensemble: ${next} slots for ${nodeCount} nodes`);
    const instance = new webAssembly.Instance(levelModule(), { env: { memory } });
    return new LevelEnsemble(
      nFeatures,
      source,
      instance,
      anyMissingLeft,
      memory,
      { roots, depths, values, block, nodes, sums, blockBytes, nodesBytes, sumsBytes },
      numbers,
    );
  }

  /**
   * Adds to each row of `out` (rows × outputs × nValues, row-major) the values of the leaves
   * row i of the row-major matrix `x` (rows × nFeatures) reaches, tree after tree. Not
   * reentrant, which a synchronous call on one thread never is.
   */
  addLeafValues(x: ArrayLike<number>, rows: number, out: Float64Array): void {
    const threads = rows >= PARALLEL_MIN_ROWS ? threadRunner() : null;
    const perRound = threads && threads.threads > 1 ? SCRATCH_BLOCKS : 1;
    for (let start = 0; start < rows; start += perRound * BLOCK_ROWS) {
      const blocks: { first: number; count: number }[] = [];
      for (let first = start; blocks.length < perRound && first < rows; first += BLOCK_ROWS) {
        blocks.push({ first, count: Math.min(BLOCK_ROWS, rows - first) });
      }
      const filled = blocks.map(({ first, count }, b) => this.fillBlock(b, x, first, count, out));
      const calls = filled.map((f) => f.args);
      const missing = filled.some((f) => f.missing);
      const kernel = KERNELS[this.anyMissingLeft ? (missing ? 'missing' : 'masked') : 'plain'];
      if (calls.length === 1) (this.instance.exports[kernel] as (...args: number[]) => void)(...calls[0]);
      else threads!.run(levelModule(), this.memory, kernel, calls);
      blocks.forEach(({ first, count }, b) => this.drainBlock(b, first, count, out));
    }
  }

  /**
   * Copies rows [first, first + count) of x and their sums so far into scratch block b: the
   * kernel's arguments for it, and whether those rows hold a missing value (NaN).
   */
  private fillBlock(
    b: number,
    x: ArrayLike<number>,
    first: number,
    count: number,
    out: Float64Array,
  ): { args: number[]; missing: boolean } {
    const cols = this.nFeatures;
    const stride = cols + 1;
    const { treeCount, nValues, outputs, float32 } = this.source;
    const width = outputs * nValues;
    const { roots, depths, values } = this.layout;
    const blockAt = this.layout.block + b * this.layout.blockBytes;
    const sumsAt = this.layout.sums + b * this.layout.sumsBytes;
    const block = this.numbers.subarray(blockAt / 8, blockAt / 8 + count * stride);
    let missing = false;
    for (let i = 0; i < count; i++) {
      const from = (first + i) * cols;
      const to = i * stride;
      for (let j = 0; j < cols; j++) {
        const value = x[from + j];
        missing ||= value !== value;
        block[to + j] = float32 ? Math.fround(value) : value;
      }
      block[to + cols] = 0;
    }
    this.numbers.set(out.subarray(first * width, (first + count) * width), sumsAt / 8);
    const nodesAt = this.layout.nodes + b * this.layout.nodesBytes;
    return {
      args: [roots, depths, treeCount, blockAt, stride * 8, count, nodesAt, values, nValues, outputs, sumsAt],
      missing,
    };
  }

  /** Copies scratch block b's sums back to rows [first, first + count) of out. */
  private drainBlock(b: number, first: number, count: number, out: Float64Array): void {
    const width = this.source.outputs * this.source.nValues;
    const sumsAt = this.layout.sums / 8 + (b * this.layout.sumsBytes) / 8;
    out.set(this.numbers.subarray(sumsAt, sumsAt + count * width), first * width);
  }
}

function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

// Opcodes the shared assembler does not offer, in its folded style.
const cat = (...parts: Code[]): number[] => parts.flat();
const subtract = (a: Code, b: Code): Code => cat(a, b, [0x6b]);
const remainderUnsigned = (a: Code, b: Code): Code => cat(a, b, [0x70]);
const shiftRightUnsigned = (a: Code, b: Code): Code => cat(a, b, [0x76]);
const floatLe = (a: Code, b: Code): Code => cat(a, b, [0x65]);
const floatNe = (a: Code, b: Code): Code => cat(a, b, [0x62]);

/**
 * How a kernel reads a node's feature word: `plain` when no node has the missing-left bit;
 * `masked` when some do but the rows hold no missing value, so the NaN test can never succeed
 * and is left out (about a fifth of a step's instructions); `missing` otherwise.
 */
type KernelMode = 'plain' | 'masked' | 'missing';

const KERNELS: Readonly<Record<KernelMode, string>> = {
  plain: 'addTrees',
  masked: 'addTreesMasked',
  missing: 'addTreesWithMissing',
};

/**
 * addTrees(roots, depths, trees, block, strideBytes, rows, nodes, values, nValues, outputs,
 * sums): for each tree t in order, walks the block's rows down to their leaves (into nodes[i])
 * and adds each leaf's nValues values to sums[i][t % outputs][…] (all addresses in bytes).
 */
function addTrees(name: string, mode: KernelMode): FunctionSpec {
  const masked = mode !== 'plain';
  const missing = mode === 'missing';
  // Params: roots 0, depths 1, trees 2, block 3, stride 4, rows 5, nodes 6, values 7, nValues 8,
  // outputs 9, sums 10. Locals: t 11, d 12, i 13, row 14, record 15, word 16, depth 17, v 18,
  // at 19, x 20 (f64), from 21, to 22, rowBytes 23, column 24 (byte offset of tree t's outputs in a row).
  const get = local.get;
  const set = local.set;
  const k = int.const;
  // One step of row i: at = &nodes[i], row = its block row.
  const step = cat(
    set(19, int.add(get(6), int.shl(get(13), k(2)))),
    set(15, int.shl(int.load(get(19)), k(4))),
    set(16, int.load(get(15))),
    set(20, float.load(int.add(get(14), int.shl(masked ? int.and(get(16), k(0x7fffffff)) : get(16), k(3))))),
    int.store(
      get(19),
      subtract(
        int.add(int.load(get(15), 4), k(1)),
        missing
          ? int.or(
              floatLe(get(20), float.load(get(15), 8)),
              int.and(floatNe(get(20), get(20)), shiftRightUnsigned(get(16), k(31))),
            )
          : floatLe(get(20), float.load(get(15), 8)),
      ),
    ),
    set(14, int.add(get(14), get(4))),
  );
  // Row i adds its leaf's values: from = &values[leaf][0], to = &sums[i][t % outputs][0].
  const add = cat(
    set(21, int.add(get(7), int.shl(int.mul(int.load(int.add(get(6), int.shl(get(13), k(2)))), get(8)), k(3)))),
    set(22, int.add(int.add(get(10), int.mul(get(13), get(23))), get(24))),
    control.for(
      18,
      k(0),
      get(8),
      k(1),
      float.store(
        int.add(get(22), int.shl(get(18), k(3))),
        float.add(
          float.load(int.add(get(22), int.shl(get(18), k(3)))),
          float.load(int.add(get(21), int.shl(get(18), k(3)))),
        ),
      ),
    ),
  );
  const body = cat(
    set(23, int.shl(int.mul(get(9), get(8)), k(3))),
    control.for(
      11,
      k(0),
      get(2),
      k(1),
      set(17, int.load(int.add(get(1), int.shl(get(11), k(2))))),
      control.for(
        13,
        k(0),
        get(5),
        k(1),
        int.store(int.add(get(6), int.shl(get(13), k(2))), int.load(int.add(get(0), int.shl(get(11), k(2))))),
      ),
      control.for(12, k(0), get(17), k(1), set(14, get(3)), control.for(13, k(0), get(5), k(1), step)),
      set(24, int.shl(int.mul(remainderUnsigned(get(11), get(9)), get(8)), k(3))),
      control.for(13, k(0), get(5), k(1), add),
    ),
  );
  return {
    name,
    params: [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, i32, i32, i32, i32, i32, i32, f64, i32, i32, i32, i32],
    body,
    exported: true,
  };
}

let compiled: WasmModule | null = null;

function levelModule(): WasmModule {
  compiled ??= new webAssembly.Module(
    assembleModule((Object.keys(KERNELS) as KernelMode[]).map((mode) => addTrees(KERNELS[mode], mode))),
  );
  return compiled;
}
