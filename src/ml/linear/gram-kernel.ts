import {
  assembleModule,
  control,
  f64,
  f64x2,
  float,
  i32,
  int,
  local,
  sharedMemory,
  v128,
  webAssembly,
  type Code,
  type FunctionSpec,
  type ValueType,
  type WasmModule,
} from '../wasm/assembler.js';
import type { KernelRunner } from '../wasm/threads.js';

/**
 * The centred moments least squares needs — column means, XcᵀXc and Xcᵀyc — in one pass over
 * X, as WebAssembly SIMD on several threads.
 *
 * One pass: the kernel accumulates moments about a provisional centre s, the mean of the first
 * m = 1024 rows, and they are moved to the true mean at the end: Σ(x−μ)(x−μ)ᵀ =
 * Σ(x−s)(x−s)ᵀ − n·ddᵀ with d = μ − s. The correction cancels digits in proportion to d²/σ²,
 * and d²/σ² ≤ n/m because the first rows' own spread is part of the variance: a relative error
 * of about 1e-13 at a million rows, 1e-11 at a hundred million, without a second pass.
 *
 * X is copied region by region into a shared memory (a memcpy per region) and the rows of a
 * region are split into slices for the threads, each with its own accumulators. Rows go
 * four at a time: centred into a small buffer, then every two-lane update of the p × p
 * accumulator adds four rows' products (a quarter of its loads and stores), two accumulator
 * rows at a time so that each load of the buffer serves both.
 */

export interface CentredMoments {
  readonly xMean: Float64Array;
  readonly yMean: number;
  /** XcᵀXc, p × p, full. */
  readonly gram: Float64Array;
  readonly xty: Float64Array;
}

/** Rows of X per region copied into the shared memory. */
const REGION_BYTES = 32 * 1024 * 1024;
/** Rows used for the provisional centre. */
const SHIFT_ROWS = 1024;
/**
 * Rows are split into this many slices, each with its own accumulators, summed in order at the
 * end; threads take whole slices. A fixed count rather than one per thread, so that the sums
 * (and the fitted coefficients) are the same to the last bit on any number of cores.
 */
const SLICES = 8;
/** Below this many multiply-adds (n·p²/2) one slice is enough: the threads would cost more. */
const PARALLEL_MIN_WORK = 2 ** 24;

/** Kernel parameters, in order. */
const P = {
  rows: 0,
  y: 1,
  rowStart: 2,
  rowEnd: 3,
  features: 4,
  stride: 5,
  shift: 6,
  yShift: 7,
  gram: 8,
  xty: 9,
  sums: 10,
  ySum: 11,
  buffer: 12,
} as const;
const PARAMS: ValueType[] = [i32, i32, i32, i32, i32, i32, i32, f64, i32, i32, i32, i32, i32];

/**
 * moments(rows, y, rowStart, rowEnd, p, q, shift, yShift, gram, xty, sums, ySum, buffer):
 * adds the moments of rows [rowStart, rowEnd) (a multiple of 4 rows) about (shift, yShift) to
 * gram (q × q, upper triangle), xty (q), sums (q) and ySum. q is p rounded up to even;
 * `buffer` holds 4 × q doubles whose padding column is kept 0.
 */
function momentsFunction(): FunctionSpec {
  const locals: ValueType[] = [];
  let next = PARAMS.length;
  const declare = (type: ValueType): number => {
    locals.push(type);
    return next++;
  };
  const r = declare(i32);
  const jb = declare(i32);
  const a = declare(i32);
  const bb = declare(i32);
  const rowBytes = declare(i32);
  const qBytes = declare(i32);
  const gramRow = declare(i32);
  const z = [declare(i32), declare(i32), declare(i32), declare(i32)]; // the buffer's 4 rows
  const src = declare(i32);
  const ySum = declare(f64);
  const zy = [declare(f64), declare(f64), declare(f64), declare(f64)];
  const zyv = [declare(v128), declare(v128), declare(v128), declare(v128)];
  const za = [declare(v128), declare(v128), declare(v128), declare(v128)];
  const zv = [declare(v128), declare(v128), declare(v128), declare(v128)];
  const zb = [declare(v128), declare(v128), declare(v128), declare(v128)];
  const get = local.get;
  const sum4 = (terms: Code[]): Code => f64x2.add(f64x2.add(terms[0], terms[1]), f64x2.add(terms[2], terms[3]));

  // Centre row t of the block into the buffer, two values at a time; its y into zy[t]. With p
  // odd the last pair reads one value past the row and writes the padding column, reset to 0.
  const centre = (t: number): Code =>
    cat(
      local.set(src, int.add(get(P.rows), int.mul(int.add(get(r), int.const(t)), get(rowBytes)))),
      control.for(
        jb,
        int.const(0),
        get(rowBytes),
        int.const(16),
        f64x2.store(
          int.add(get(z[t]), get(jb)),
          f64x2.sub(f64x2.load(int.add(get(src), get(jb))), f64x2.load(int.add(get(P.shift), get(jb)))),
        ),
      ),
      control.if(
        int.and(get(P.features), int.const(1)),
        float.store(int.add(get(z[t]), get(rowBytes)), float.const(0)),
      ),
      local.set(
        zy[t],
        float.sub(float.load(int.add(get(P.y), int.shl(int.add(get(r), int.const(t)), int.const(3)))), get(P.yShift)),
      ),
      local.set(ySum, float.add(get(ySum), get(zy[t]))),
      local.set(zyv[t], f64x2.splat(get(zy[t]))),
    );

  // Column sums and Xᵀy, two columns at a time.
  const sumsAndXty = control.for(
    jb,
    int.const(0),
    get(qBytes),
    int.const(16),
    ...[0, 1, 2, 3].map((t) => local.set(zv[t], f64x2.load(int.add(get(z[t]), get(jb))))),
    f64x2.store(
      int.add(get(P.sums), get(jb)),
      f64x2.add(f64x2.load(int.add(get(P.sums), get(jb))), sum4(zv.map((v) => get(v)))),
    ),
    f64x2.store(
      int.add(get(P.xty), get(jb)),
      f64x2.add(
        f64x2.load(int.add(get(P.xty), get(jb))),
        sum4([0, 1, 2, 3].map((t) => f64x2.mul(get(zv[t]), get(zyv[t])))),
      ),
    ),
  );

  // gram[a][b] and gram[a+1][b] += Σ_t z_t[a]·z_t[b], z_t[a+1]·z_t[b] for b ≥ a (a even): two
  // rows share each load of z. With p odd the last pair's second row is the padding row.
  const gramLoop = control.for(
    a,
    int.const(0),
    get(P.features),
    int.const(2),
    ...[0, 1, 2, 3].map((t) => local.set(za[t], f64x2.loadSplat(int.add(get(z[t]), int.shl(get(a), int.const(3)))))),
    ...[0, 1, 2, 3].map((t) => local.set(zb[t], f64x2.loadSplat(int.add(get(z[t]), int.shl(get(a), int.const(3))), 8))),
    local.set(gramRow, int.add(get(P.gram), int.mul(get(a), get(qBytes)))),
    control.for(
      bb,
      int.shl(get(a), int.const(3)),
      get(qBytes),
      int.const(16),
      ...[0, 1, 2, 3].map((t) => local.set(zv[t], f64x2.load(int.add(get(z[t]), get(bb))))),
      f64x2.store(
        int.add(get(gramRow), get(bb)),
        f64x2.add(
          f64x2.load(int.add(get(gramRow), get(bb))),
          sum4([0, 1, 2, 3].map((t) => f64x2.mul(get(za[t]), get(zv[t])))),
        ),
      ),
      f64x2.store(
        int.add(int.add(get(gramRow), get(qBytes)), get(bb)),
        f64x2.add(
          f64x2.load(int.add(int.add(get(gramRow), get(qBytes)), get(bb))),
          sum4([0, 1, 2, 3].map((t) => f64x2.mul(get(zb[t]), get(zv[t])))),
        ),
      ),
    ),
  );

  const body = cat(
    local.set(rowBytes, int.shl(get(P.features), int.const(3))),
    local.set(qBytes, int.shl(get(P.stride), int.const(3))),
    ...[0, 1, 2, 3].map((t) => local.set(z[t], int.add(get(P.buffer), int.mul(int.const(t), get(qBytes))))),
    local.set(ySum, float.load(get(P.ySum))),
    control.for(
      r,
      get(P.rowStart),
      get(P.rowEnd),
      int.const(4),
      centre(0),
      centre(1),
      centre(2),
      centre(3),
      sumsAndXty,
      gramLoop,
    ),
    float.store(get(P.ySum), get(ySum)),
  );
  return { name: 'moments', params: PARAMS, results: [], locals, body, exported: true };
}

function cat(...parts: Code[]): number[] {
  return parts.flat();
}

let compiled: WasmModule | undefined;

function momentsModule(): WasmModule {
  compiled ??= new webAssembly.Module(assembleModule([momentsFunction()]));
  return compiled;
}

/** Byte offsets of one slice's accumulators. */
interface Accumulators {
  readonly gram: number;
  readonly xty: number;
  readonly sums: number;
  readonly ySum: number;
  readonly buffer: number;
}

/** Column means, XcᵀXc and Xcᵀyc of row-major `x` (n × p) and y. */
export function centredMoments(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  runner: KernelRunner,
): CentredMoments {
  const shiftRows = Math.min(n, SHIFT_ROWS);
  const shift = new Float64Array(p);
  let yShift = 0;
  for (let i = 0; i < shiftRows; i++) {
    for (let j = 0; j < p; j++) shift[j] += x[i * p + j];
    yShift += y[i];
  }
  for (let j = 0; j < p; j++) shift[j] /= shiftRows;
  yShift /= shiftRows;
  return momentsAbout(x, n, p, y, shift, yShift, runner);
}

function momentsAbout(
  x: Float64Array,
  n: number,
  p: number,
  y: Float64Array,
  shift: Float64Array,
  yShift: number,
  runner: KernelRunner,
): CentredMoments {
  const q = p + (p & 1);
  const rowBytes = p * 8;
  // Per slice: gram q·q, xty q, sums q, ySum 2 (keeps 16-byte alignment), buffer 4·q.
  const perSlice = (q * q + 2 * q + 2 + 4 * q) * 8;
  const slices = (n * p * p) / 2 < PARALLEL_MIN_WORK ? 1 : SLICES;
  const regionRows = Math.max(4, Math.floor(Math.min(n + 3, REGION_BYTES / (rowBytes + 8)) / 4) * 4);
  const shiftAt = 0;
  const accumulatorsAt = q * 8;
  const rowsAt = accumulatorsAt + slices * perSlice;
  const yAt = rowsAt + regionRows * rowBytes + 16; // the last row's last pair may read 8 bytes past it
  const memory = sharedMemory(yAt + regionRows * 8);
  if (memory === null) throw new RangeError('moments region does not fit in 4 GiB'); // regions are 32 MB
  const f64 = new Float64Array(memory.buffer);
  f64.set(shift, shiftAt / 8);
  const accumulators: Accumulators[] = Array.from({ length: slices }, (_, t) => {
    const base = accumulatorsAt + t * perSlice;
    const gram = base;
    const xty = gram + q * q * 8;
    const sums = xty + q * 8;
    const ySum = sums + q * 8;
    return { gram, xty, sums, ySum, buffer: ySum + 16 };
  });

  for (let start = 0; start < n; start += regionRows) {
    const rows = Math.min(regionRows, n - start);
    const padded = Math.ceil(rows / 4) * 4;
    f64.set(x.subarray(start * p, (start + rows) * p), rowsAt / 8);
    f64.set(y.subarray(start, start + rows), yAt / 8);
    // Padding rows equal the centre, so they add nothing.
    for (let i = rows; i < padded; i++) {
      f64.set(shift, rowsAt / 8 + i * p);
      f64[yAt / 8 + i] = yShift;
    }
    const tiles = padded / 4;
    const calls = accumulators.map((acc, t) => [
      rowsAt,
      yAt,
      Math.round((t * tiles) / slices) * 4,
      Math.round(((t + 1) * tiles) / slices) * 4,
      p,
      q,
      shiftAt,
      yShift,
      acc.gram,
      acc.xty,
      acc.sums,
      acc.ySum,
      acc.buffer,
    ]);
    runner.run(momentsModule(), memory, 'moments', calls);
  }

  // Sum the slices' accumulators; move the moments from the centre to the mean.
  const shifted = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const sums = new Float64Array(p);
  let ySum = 0;
  for (const acc of accumulators) {
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) shifted[a * p + b] += f64[acc.gram / 8 + a * q + b];
      xty[a] += f64[acc.xty / 8 + a];
      sums[a] += f64[acc.sums / 8 + a];
    }
    ySum += f64[acc.ySum / 8];
  }
  const gram = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) gram[a * p + b] = gram[b * p + a] = shifted[a * p + b] - (sums[a] * sums[b]) / n;
    xty[a] -= (sums[a] * ySum) / n;
  }
  const xMean = Float64Array.from(shift, (s, j) => s + sums[j] / n);
  return { xMean, yMean: yShift + ySum / n, gram, xty };
}
