import {
  control,
  f64,
  f64x2,
  float,
  i32,
  int,
  local,
  v128,
  assembleModule,
  type Code,
  type FunctionSpec,
  webAssembly,
  type WasmModule,
} from '../wasm/assembler.js';

/**
 * The brute-force k-nearest-neighbour search as WebAssembly SIMD, one module for both metrics.
 *
 * Layout in the shared memory (byte offsets passed as arguments):
 * - training rows packed in panels of PANEL rows: panel b holds feature j of its rows at
 *   b·p·32 + j·32, so one 16-byte load reads the same feature of two training rows;
 * - their squared norms (Euclidean only), PANEL per panel; padding rows have norm +∞ (and
 *   +∞ values for Manhattan) so they are never selected;
 * - queries row-major, a multiple of QUERY_TILE rows; their squared norms;
 * - one max-heap of k (distance, index) pairs per query, scikit-learn's `heap_push`: the
 *   root is the k-th smallest distance so far, and a candidate equal to it is refused, so
 *   among equal distances the lowest training index wins, as in scikit-learn.
 *
 * Each step multiplies a tile of 4 queries by a panel of 4 training rows over all features in
 * eight 2-lane accumulators (kept in registers), then compares the 16 distances with the 4
 * heap roots; only a distance below its root leaves SIMD to enter the heap. Queries and
 * training rows are walked in blocks that fit the L2 cache together, so the inner loop reads
 * both from cache whatever the number of features. Distances are scikit-learn's: the squared
 * Euclidean ‖x‖² − 2x·y + ‖y‖² (its GEMM trick) or the Manhattan Σ|x − y| summed in
 * feature order.
 */

export const PANEL = 4;
export const QUERY_TILE = 4;

/**
 * Bytes of training rows, and of queries, per cache block: two blocks sit well inside the
 * L2 cache (0.5–2 MB per core on current x86 and ARM cores).
 */
const BLOCK_BYTES = 128 * 1024;

export type Metric = 'euclidean' | 'manhattan';

/** The exported search: `search_euclidean` or `search_manhattan`, both with these arguments. */
export interface SearchArgs {
  readonly train: number;
  readonly norms: number;
  readonly panels: number;
  readonly features: number;
  readonly queries: number;
  readonly queryNorms: number;
  readonly queryStart: number;
  readonly queryEnd: number;
  readonly heapDistances: number;
  readonly heapIndices: number;
  readonly k: number;
}

export function searchArguments(a: SearchArgs): number[] {
  const rowBytes = a.features * 8;
  const panelsPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / (rowBytes * PANEL)));
  const queriesPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / (rowBytes * QUERY_TILE))) * QUERY_TILE;
  return [
    a.train,
    a.norms,
    a.panels,
    panelsPerBlock,
    queriesPerBlock,
    a.features,
    a.queries,
    a.queryNorms,
    a.queryStart,
    a.queryEnd,
    a.heapDistances,
    a.heapIndices,
    a.k,
  ];
}

const PUSH = 0;

/**
 * push(values, indices, size, value, index) → the heap's new root. scikit-learn's heap_push:
 * refuse a value ≥ the root; otherwise put it at the root and sift it down.
 */
function pushFunction(): FunctionSpec {
  const [values, indices, size, value, index] = [0, 1, 2, 3, 4];
  const [current, child, larger] = [5, 6, 7];
  const at = (base: number, i: number, shift: number): Code =>
    int.add(local.get(base), int.shl(local.get(i), int.const(shift)));
  const valueAt = (i: number): Code => float.load(at(values, i, 3));
  const body = cat(
    control.if(
      float.ge(local.get(value), float.load(local.get(values))),
      control.return(float.load(local.get(values))),
    ),
    local.set(current, int.const(0)),
    control.loop(
      local.set(child, int.add(int.shl(local.get(current), int.const(1)), int.const(1))),
      control.if(
        int.ltU(local.get(child), local.get(size)),
        local.set(larger, local.get(child)),
        // The right child replaces the left only when strictly larger, as in scikit-learn.
        control.if(
          int.ltU(int.add(local.get(child), int.const(1)), local.get(size)),
          control.if(
            float.gt(float.load(at(values, child, 3), 8), valueAt(child)),
            local.set(larger, int.add(local.get(child), int.const(1))),
          ),
        ),
        control.if(
          float.lt(local.get(value), valueAt(larger)),
          float.store(at(values, current, 3), valueAt(larger)),
          int.store(at(indices, current, 2), int.load(at(indices, larger, 2))),
          local.set(current, local.get(larger)),
          control.br(2), // continue the sift-down loop (out of two ifs)
        ),
      ),
    ),
    float.store(at(values, current, 3), local.get(value)),
    int.store(at(indices, current, 2), local.get(index)),
    float.load(local.get(values)),
  );
  return {
    name: 'push',
    params: [i32, i32, i32, f64, i32],
    results: [f64],
    locals: [i32, i32, i32],
    body,
    exported: false,
  };
}

function cat(...parts: Code[]): number[] {
  return parts.flat();
}

/** Parameters of the tile function, in order. */
const P = {
  train: 0,
  norms: 1,
  panelStart: 2,
  panelEnd: 3,
  features: 4,
  queries: 5,
  queryNorms: 6,
  queryStart: 7,
  queryEnd: 8,
  heapDistances: 9,
  heapIndices: 10,
  k: 11,
} as const;
const TILE_PARAMS = [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32] as const;

/**
 * tile(...): every query tile in [queryStart, queryEnd) against the panels [panelStart,
 * panelEnd).
 */
function tileFunction(metric: Metric): FunctionSpec {
  const locals: (typeof i32 | typeof f64 | typeof v128)[] = [];
  let next = TILE_PARAMS.length;
  const declare = (type: typeof i32 | typeof f64 | typeof v128): number => {
    locals.push(type);
    return next++;
  };
  const q = declare(i32);
  const b = declare(i32);
  const jb = declare(i32);
  const tp = declare(i32);
  const rowBytes = declare(i32);
  const panelBytes = declare(i32);
  const heapRowBytes = declare(i32);
  const indexRowBytes = declare(i32);
  const mask = declare(i32);
  const qa = [declare(i32), declare(i32), declare(i32), declare(i32)];
  const hd = [declare(i32), declare(i32), declare(i32), declare(i32)];
  const hi = [declare(i32), declare(i32), declare(i32), declare(i32)];
  const threshold = [declare(f64), declare(f64), declare(f64), declare(f64)];
  const queryNorm = [declare(v128), declare(v128), declare(v128), declare(v128)];
  // acc[2r + h]: query r against training rows 2h and 2h + 1 of the panel.
  const acc = Array.from({ length: 8 }, () => declare(v128));
  const t = [declare(v128), declare(v128)];
  const x = declare(v128);
  const trainNorm = [declare(v128), declare(v128)];
  const d = [declare(v128), declare(v128)];
  const minusTwo = declare(v128);
  const euclidean = metric === 'euclidean';

  const get = local.get;
  const param = (p: number): Code => get(p);

  // One feature's contribution for query r: acc += x·t (Euclidean) or |t − x| (Manhattan).
  const accumulate = (r: number): Code =>
    cat(
      local.set(x, f64x2.loadSplat(int.add(get(qa[r]), get(jb)))),
      ...[0, 1].map((h) =>
        local.set(
          acc[2 * r + h],
          f64x2.add(
            get(acc[2 * r + h]),
            euclidean ? f64x2.mul(get(x), get(t[h])) : f64x2.abs(f64x2.sub(get(t[h]), get(x))),
          ),
        ),
      ),
    );

  // One feature per iteration: unrolling two measured 20% slower (V8 then spills registers).
  const featureLoop = control.for(
    jb,
    int.const(0),
    get(rowBytes),
    int.const(8),
    local.set(t[0], f64x2.load(get(tp))),
    local.set(t[1], f64x2.load(get(tp), 16)),
    accumulate(0),
    accumulate(1),
    accumulate(2),
    accumulate(3),
    local.set(tp, int.add(get(tp), int.const(8 * PANEL))),
  );

  // Distances of query r to the panel's 4 rows, compared with the heap root; each one below
  // it is pushed, in training-row order (push re-checks against the updated root).
  const select = (r: number): Code => {
    const distance = (h: number): Code =>
      euclidean
        ? f64x2.add(f64x2.add(get(queryNorm[r]), f64x2.mul(get(acc[2 * r + h]), get(minusTwo))), get(trainNorm[h]))
        : get(acc[2 * r + h]);
    const below = (h: number): Code => f64x2.bitmask(f64x2.lt(get(d[h]), f64x2.splat(get(threshold[r]))));
    const push = (lane: number): Code =>
      control.if(
        int.and(get(mask), int.const(1 << lane)),
        local.set(
          threshold[r],
          control.call(
            PUSH,
            get(hd[r]),
            get(hi[r]),
            param(P.k),
            f64x2.lane(get(d[lane >> 1]), (lane & 1) as 0 | 1),
            int.add(int.shl(get(b), int.const(2)), int.const(lane)),
          ),
        ),
      );
    return cat(
      local.set(d[0], distance(0)),
      local.set(d[1], distance(1)),
      local.set(mask, int.or(below(0), int.shl(below(1), int.const(2)))),
      control.if(get(mask), push(0), push(1), push(2), push(3)),
    );
  };

  const panelLoop = control.for(
    b,
    param(P.panelStart),
    param(P.panelEnd),
    int.const(1),
    local.set(tp, int.add(param(P.train), int.mul(get(b), get(panelBytes)))),
    ...acc.map((a) => local.set(a, f64x2.zero())),
    featureLoop,
    euclidean
      ? cat(
          local.set(trainNorm[0], f64x2.load(int.add(param(P.norms), int.shl(get(b), int.const(5))))),
          local.set(trainNorm[1], f64x2.load(int.add(param(P.norms), int.shl(get(b), int.const(5))), 16)),
        )
      : [],
    select(0),
    select(1),
    select(2),
    select(3),
  );

  const queryLoop = control.for(
    q,
    param(P.queryStart),
    param(P.queryEnd),
    int.const(QUERY_TILE),
    ...[0, 1, 2, 3].flatMap((r) => [
      local.set(qa[r], int.add(param(P.queries), int.mul(int.add(get(q), int.const(r)), get(rowBytes)))),
      local.set(hd[r], int.add(param(P.heapDistances), int.mul(int.add(get(q), int.const(r)), get(heapRowBytes)))),
      local.set(hi[r], int.add(param(P.heapIndices), int.mul(int.add(get(q), int.const(r)), get(indexRowBytes)))),
      local.set(threshold[r], float.load(get(hd[r]))),
      euclidean
        ? local.set(
            queryNorm[r],
            f64x2.loadSplat(int.add(param(P.queryNorms), int.shl(int.add(get(q), int.const(r)), int.const(3)))),
          )
        : [],
    ]),
    panelLoop,
  );

  const body = cat(
    local.set(rowBytes, int.shl(param(P.features), int.const(3))),
    local.set(panelBytes, int.shl(param(P.features), int.const(5))),
    local.set(heapRowBytes, int.shl(param(P.k), int.const(3))),
    local.set(indexRowBytes, int.shl(param(P.k), int.const(2))),
    local.set(minusTwo, f64x2.splat(float.const(-2))),
    queryLoop,
  );
  return { name: `tile_${metric}`, params: TILE_PARAMS, results: [], locals, body, exported: false };
}

/**
 * search_<metric>(train, norms, panels, panelsPerBlock, queriesPerBlock, features, queries,
 * queryNorms, queryStart, queryEnd, heapDistances, heapIndices, k): the query range against
 * every training row, blocked on both sides so that a block of queries and a block of
 * training rows stay in the L2 cache while the tile function crosses them. (Each query still
 * meets the training rows in order, which the tie rule needs.) The loops call the tile
 * function so that V8, which tiers a WebAssembly function up only between calls, runs
 * optimised code after the first few blocks.
 */
function searchFunction(metric: Metric, tileIndex: number): FunctionSpec {
  const [train, norms, panels, panelsPerBlock, queriesPerBlock, features, queries, queryNorms] = [
    0, 1, 2, 3, 4, 5, 6, 7,
  ];
  const [queryStart, queryEnd, hd, hi, k] = [8, 9, 10, 11, 12];
  const [start, end, blockStart, blockEnd] = [13, 14, 15, 16];
  const get = local.get;
  const body = control.for(
    blockStart,
    get(queryStart),
    get(queryEnd),
    get(queriesPerBlock),
    local.set(blockEnd, int.add(get(blockStart), get(queriesPerBlock))),
    control.if(int.geU(get(blockEnd), get(queryEnd)), local.set(blockEnd, get(queryEnd))),
    control.for(
      start,
      int.const(0),
      get(panels),
      get(panelsPerBlock),
      local.set(end, int.add(get(start), get(panelsPerBlock))),
      control.if(int.geU(get(end), get(panels)), local.set(end, get(panels))),
      control.call(
        tileIndex,
        get(train),
        get(norms),
        get(start),
        get(end),
        get(features),
        get(queries),
        get(queryNorms),
        get(blockStart),
        get(blockEnd),
        get(hd),
        get(hi),
        get(k),
      ),
    ),
  );
  return {
    name: `search_${metric}`,
    params: [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, i32],
    body,
    exported: true,
  };
}

let compiled: WasmModule | undefined;

/** The compiled kernel module (compiled once per process). */
export function kernelModule(): WasmModule {
  compiled ??= new webAssembly.Module(
    assembleModule([
      pushFunction(),
      tileFunction('euclidean'),
      tileFunction('manhattan'),
      searchFunction('euclidean', 1),
      searchFunction('manhattan', 2),
    ]),
  );
  return compiled;
}
