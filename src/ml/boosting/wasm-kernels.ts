import {
  assembleModule,
  control,
  f64,
  float,
  i32,
  int,
  local,
  webAssembly,
  type Code,
  type FunctionSpec,
  type WasmModule,
} from '../wasm/assembler.js';

/**
 * The innermost loops of boosting as WebAssembly: histogram sums, the gathers before them, and
 * the partition of a node's rows. They run ~1.7× faster than the same loops in JavaScript,
 * mostly because WebAssembly needs no bounds check per typed-array access (measured on 1M × 20:
 * 0.9 against 1.5 ns per histogram update). All addresses are byte offsets into the shared
 * memory holding every KernelBuffers array, so worker threads run the same code on the same data.
 *
 * Histogram layout (see kernels.ts): per feature 256 bins × (gradient sum, hessian sum, count)
 * in float64, so a bin is 24 bytes and a feature 6144. Gradient pairs are float32 (gradient,
 * hessian), 8 bytes per row.
 */

/** The functions the module exports, with their parameters (all addresses in bytes). */
export interface BoostingWasm {
  /** Adds rows start…end−1 of four features (columns col, col + n, col + 2n, col + 3n) to hist. */
  hist4Root(col: number, n: number, start: number, end: number, pairs: number, hist: number): void;
  /** Adds rows start…end−1 of one feature (column col) to hist. */
  hist1Root(col: number, start: number, end: number, pairs: number, hist: number): void;
  /** packed[i] = the four bins of row rows[i] in columns col … col + 3n, for i in start…end−1. */
  gather4(col: number, n: number, rows: number, start: number, end: number, packed: number): void;
  /** Adds entries start…end−1 of `packed` (four bins each) with gradient pairs pairs[i] to hist. */
  hist4Packed(packed: number, start: number, end: number, pairs: number, hist: number): void;
  /** Adds the bins of rows rows[start…end−1] in column col, with pairs[i], to hist. */
  hist1Rows(col: number, rows: number, start: number, end: number, pairs: number, hist: number): void;
  /**
   * Stable partition of rows[start…end−1] and their pairs on goLeft[bin in column col]; see
   * kernels.ts. Returns the number of rows sent left.
   */
  partition(
    col: number,
    goLeft: number,
    rows: number,
    pairs: number,
    bins: number,
    leftRows: number,
    rightRows: number,
    leftPairs: number,
    rightPairs: number,
    start: number,
    end: number,
  ): number;
}

// Opcodes the shared assembler does not offer yet, in its folded style.
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}
const cat = (...parts: Code[]): number[] => parts.flat();
const loadByte = (address: Code, offset = 0): Code => cat(address, [0x2d, 0], uleb(offset));
const storeByte = (address: Code, value: Code): Code => cat(address, value, [0x3a, 0, 0]);
const loadFloat32 = (address: Code, offset = 0): Code => cat(address, [0x2a, 2], uleb(offset));
const promote = (value: Code): Code => cat(value, [0xbb]);
const shiftRight = (a: Code, b: Code): Code => cat(a, b, [0x76]);
const subtract = (a: Code, b: Code): Code => cat(a, b, [0x6b]);

const get = local.get;
const set = local.set;
const k = int.const;
const BIN_BYTES = 24;
const FEATURE_BYTES = 6144;

/** hist[bin] += (g, h, 1) where `at` holds the bin's address. */
function addToBin(at: number, g: number, h: number): Code {
  return cat(
    float.store(get(at), float.add(float.load(get(at)), get(g))),
    float.store(get(at), float.add(float.load(get(at), 8), get(h)), 8),
    float.store(get(at), float.add(float.load(get(at), 16), float.const(1)), 16),
  );
}

/** Loads row `i`'s gradient pair (as float64) into locals g and h. */
function loadPair(pairs: number, i: number, g: number, h: number): Code {
  const address = int.add(get(pairs), int.mul(get(i), k(8)));
  return cat(set(g, promote(loadFloat32(address))), set(h, promote(loadFloat32(address, 4))));
}

function hist4Root(): FunctionSpec {
  // Params: col 0, n 1, start 2, end 3, pairs 4, hist 5. Locals: r 6, g 7, h 8, at 9, c 10.
  const bin = (feature: number, column: Code): Code =>
    cat(
      set(9, int.add(int.add(get(5), k(feature * FEATURE_BYTES)), int.mul(loadByte(column), k(BIN_BYTES)))),
      addToBin(9, 7, 8),
    );
  const body = control.for(
    6,
    get(2),
    get(3),
    k(1),
    loadPair(4, 6, 7, 8),
    set(10, int.add(get(0), get(6))),
    bin(0, get(10)),
    bin(1, int.add(get(10), get(1))),
    bin(2, int.add(get(10), int.mul(get(1), k(2)))),
    bin(3, int.add(get(10), int.mul(get(1), k(3)))),
  );
  return { name: 'hist4Root', params: [i32, i32, i32, i32, i32, i32], results: [], locals: [i32, f64, f64, i32, i32], body, exported: true };
}

function hist1Root(): FunctionSpec {
  // Params: col 0, start 1, end 2, pairs 3, hist 4. Locals: r 5, g 6, h 7, at 8.
  const body = control.for(
    5,
    get(1),
    get(2),
    k(1),
    loadPair(3, 5, 6, 7),
    set(8, int.add(get(4), int.mul(loadByte(int.add(get(0), get(5))), k(BIN_BYTES)))),
    addToBin(8, 6, 7),
  );
  return { name: 'hist1Root', params: [i32, i32, i32, i32, i32], results: [], locals: [i32, f64, f64, i32], body, exported: true };
}

function gather4(): FunctionSpec {
  // Params: col 0, n 1, rows 2, start 3, end 4, packed 5. Locals: i 6, c 7.
  const byte = (lane: number): Code => loadByte(int.add(get(7), lane === 0 ? k(0) : int.mul(get(1), k(lane))));
  const body = control.for(
    6,
    get(3),
    get(4),
    k(1),
    set(7, int.add(get(0), int.load(int.add(get(2), int.mul(get(6), k(4)))))),
    int.store(
      int.add(get(5), int.mul(get(6), k(4))),
      int.or(
        int.or(byte(0), int.shl(byte(1), k(8))),
        int.or(int.shl(byte(2), k(16)), int.shl(byte(3), k(24))),
      ),
    ),
  );
  return { name: 'gather4', params: [i32, i32, i32, i32, i32, i32], results: [], locals: [i32, i32], body, exported: true };
}

function hist4Packed(): FunctionSpec {
  // Params: packed 0, start 1, end 2, pairs 3, hist 4. Locals: i 5, g 6, h 7, at 8, v 9.
  const bin = (feature: number): Code =>
    cat(
      set(
        8,
        int.add(
          int.add(get(4), k(feature * FEATURE_BYTES)),
          int.mul(int.and(shiftRight(get(9), k(8 * feature)), k(255)), k(BIN_BYTES)),
        ),
      ),
      addToBin(8, 6, 7),
    );
  const body = control.for(
    5,
    get(1),
    get(2),
    k(1),
    set(9, int.load(int.add(get(0), int.mul(get(5), k(4))))),
    loadPair(3, 5, 6, 7),
    bin(0),
    bin(1),
    bin(2),
    bin(3),
  );
  return { name: 'hist4Packed', params: [i32, i32, i32, i32, i32], results: [], locals: [i32, f64, f64, i32, i32], body, exported: true };
}

function hist1Rows(): FunctionSpec {
  // Params: col 0, rows 1, start 2, end 3, pairs 4, hist 5. Locals: i 6, g 7, h 8, at 9.
  const row = int.load(int.add(get(1), int.mul(get(6), k(4))));
  const body = control.for(
    6,
    get(2),
    get(3),
    k(1),
    loadPair(4, 6, 7, 8),
    set(9, int.add(get(5), int.mul(loadByte(int.add(get(0), row)), k(BIN_BYTES)))),
    addToBin(9, 7, 8),
  );
  return { name: 'hist1Rows', params: [i32, i32, i32, i32, i32, i32], results: [], locals: [i32, f64, f64, i32], body, exported: true };
}

function partition(): FunctionSpec {
  // Params: col 0, goLeft 1, rows 2, pairs 3, bins 4, leftRows 5, rightRows 6, leftPairs 7,
  // rightPairs 8, start 9, end 10. Locals: i 11, left 12, right 13, row 14, side 15, pair 16 (f64).
  const at4 = (base: number, index: number): Code => int.add(get(base), int.mul(get(index), k(4)));
  const at8 = (base: number, index: number): Code => int.add(get(base), int.mul(get(index), k(8)));
  // The bins first, in a tight loop that keeps many cache misses in flight.
  const gather = control.for(
    11,
    get(9),
    get(10),
    k(1),
    storeByte(int.add(get(4), get(11)), loadByte(int.add(get(0), int.load(at4(2, 11))))),
  );
  // Then both outputs are written and only the cursor of the row's side advances: no branch
  // for the predictor to miss on. A pair moves as one 8-byte value (loads and stores keep bits).
  const split = control.for(
    11,
    get(9),
    get(10),
    k(1),
    set(14, int.load(at4(2, 11))),
    set(16, float.load(at8(3, 11))),
    set(15, loadByte(int.add(get(1), loadByte(int.add(get(4), get(11)))))),
    int.store(at4(5, 12), get(14)),
    int.store(at4(6, 13), get(14)),
    float.store(at8(7, 12), get(16)),
    float.store(at8(8, 13), get(16)),
    set(12, int.add(get(12), get(15))),
    set(13, int.add(get(13), subtract(k(1), get(15)))),
  );
  const body = cat(gather, set(12, get(9)), set(13, get(9)), split, control.return(subtract(get(12), get(9))));
  return {
    name: 'partition',
    params: [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32],
    results: [i32],
    locals: [i32, i32, i32, i32, i32, f64],
    body,
    exported: true,
  };
}

let compiled: WasmModule | undefined;

/** The compiled module (compiled once per process; instances are per thread and memory). */
export function boostingModule(): WasmModule {
  compiled ??= new webAssembly.Module(
    assembleModule([hist4Root(), hist1Root(), gather4(), hist4Packed(), hist1Rows(), partition()]),
  );
  return compiled;
}
