/**
 * A minimal WebAssembly binary writer, for Keel's numeric kernels (neighbour search, Gram
 * matrices).
 *
 * Why WebAssembly: these kernels are dense matrix products. Plain JavaScript runs them on
 * scalar doubles; WebAssembly's 128-bit SIMD (on by default in Node 20) does two doubles per
 * instruction with no bounds checks in the inner loop, which is what it takes to stay within
 * reach of scikit-learn's BLAS. Why a writer instead of a committed `.wasm` file: a kernel's
 * source stays readable TypeScript, reviewed and built like the rest, with no toolchain
 * beyond `tsc`.
 *
 * Instructions are written in WebAssembly's folded form: every helper returns the bytes of one
 * expression with its operands first, so `f64x2.add(get(a), get(b))` reads like the code it
 * emits. Only structured control flow with explicit branch depths is offered.
 */

export type Code = readonly number[];

/** A compiled module, opaque here. */
export type WasmModule = object;

/** A shared linear memory. */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/**
 * The part of the WebAssembly JavaScript API used here, typed locally: the package build's
 * `lib` has no DOM, where TypeScript declares WebAssembly, and @types/node 20 does not.
 */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => WasmInstance;
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const PAGE_BYTES = 65536;
/** The most pages a memory may have: 4 GiB, wasm32's limit. */
const MAX_PAGES = 65536;

/**
 * A shared memory of at least `bytes`, or null when that is more than wasm32 can address.
 * Its maximum equals its initial size: V8 reserves a shared memory's maximum up front.
 */
export function sharedMemory(bytes: number): WasmMemory | null {
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  if (pages > MAX_PAGES) return null;
  return new webAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

export const i32 = 0x7f;
export const f64 = 0x7c;
export const v128 = 0x7b;
export type ValueType = typeof i32 | typeof f64 | typeof v128;

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

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const cat = (...parts: Code[]): number[] => parts.flat();

/** A memory operand: alignment as a power of two and a constant byte offset. */
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)];

export const local = {
  get: (index: number): Code => [0x20, ...uleb(index)],
  set: (index: number, value: Code): Code => cat(value, [0x21, ...uleb(index)]),
};

export const int = {
  const: (value: number): Code => [0x41, ...sleb(value)],
  add: (a: Code, b: Code): Code => cat(a, b, [0x6a]),
  mul: (a: Code, b: Code): Code => cat(a, b, [0x6c]),
  and: (a: Code, b: Code): Code => cat(a, b, [0x71]),
  or: (a: Code, b: Code): Code => cat(a, b, [0x72]),
  shl: (a: Code, b: Code): Code => cat(a, b, [0x74]),
  ltU: (a: Code, b: Code): Code => cat(a, b, [0x49]),
  geU: (a: Code, b: Code): Code => cat(a, b, [0x4f]),
  load: (address: Code, offset = 0): Code => cat(address, [0x28], memarg(2, offset)),
  store: (address: Code, value: Code, offset = 0): Code => cat(address, value, [0x36], memarg(2, offset)),
};

export const float = {
  const: (value: number): Code => {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return [0x44, ...bytes];
  },
  add: (a: Code, b: Code): Code => cat(a, b, [0xa0]),
  sub: (a: Code, b: Code): Code => cat(a, b, [0xa1]),
  lt: (a: Code, b: Code): Code => cat(a, b, [0x63]),
  gt: (a: Code, b: Code): Code => cat(a, b, [0x64]),
  ge: (a: Code, b: Code): Code => cat(a, b, [0x66]),
  load: (address: Code, offset = 0): Code => cat(address, [0x2b], memarg(3, offset)),
  store: (address: Code, value: Code, offset = 0): Code => cat(address, value, [0x39], memarg(3, offset)),
};

/** Two doubles per value. */
export const f64x2 = {
  zero: (): Code => [...simd(0x0c), ...new Array<number>(16).fill(0)],
  load: (address: Code, offset = 0): Code => cat(address, simd(0x00), memarg(4, offset)),
  store: (address: Code, value: Code, offset = 0): Code => cat(address, value, simd(0x0b), memarg(4, offset)),
  /** Loads one double into both lanes. */
  loadSplat: (address: Code, offset = 0): Code => cat(address, simd(0x0a), memarg(3, offset)),
  splat: (value: Code): Code => cat(value, simd(0x14)),
  lane: (value: Code, lane: 0 | 1): Code => cat(value, simd(0x21), [lane]),
  lt: (a: Code, b: Code): Code => cat(a, b, simd(0x49)),
  abs: (a: Code): Code => cat(a, simd(0xec)),
  add: (a: Code, b: Code): Code => cat(a, b, simd(0xf0)),
  sub: (a: Code, b: Code): Code => cat(a, b, simd(0xf1)),
  mul: (a: Code, b: Code): Code => cat(a, b, simd(0xf2)),
  /** An i32 whose bit l is set when lane l of a comparison result is true. */
  bitmask: (a: Code): Code => cat(a, simd(0xc4)),
};

export const control = {
  block: (...body: Code[]): Code => cat([0x02, 0x40], ...body, [0x0b]),
  loop: (...body: Code[]): Code => cat([0x03, 0x40], ...body, [0x0b]),
  if: (condition: Code, ...body: Code[]): Code => cat(condition, [0x04, 0x40], ...body, [0x0b]),
  /** Branches to the enclosing construct `depth` levels out (0 = innermost). */
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number, condition: Code): Code => cat(condition, [0x0d, ...uleb(depth)]),
  call: (fn: number, ...args: Code[]): Code => cat(...args, [0x10, ...uleb(fn)]),
  return: (value: Code): Code => cat(value, [0x0f]),
  /**
   * `for (i = start; i < end; i += step) body`, unsigned. Inside `body`, branch depths count
   * from the loop: `br(0)` would skip the increment, so bodies use `if` instead.
   */
  for: (i: number, start: Code, end: Code, step: Code, ...body: Code[]): Code =>
    cat(
      local.set(i, start),
      control.block(
        control.loop(
          control.brIf(1, int.geU(local.get(i), end)),
          ...body,
          local.set(i, int.add(local.get(i), step)),
          control.br(0),
        ),
      ),
    ),
};

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  /** Types of the locals after the params (indices continue from the params). */
  readonly locals: readonly ValueType[];
  readonly body: Code;
  readonly exported: boolean;
}

/**
 * A module importing one memory as `env.memory` (shared, so worker threads can run the same
 * code on the same data) and defining `functions`, which call each other by position.
 */
export function assembleModule(functions: readonly FunctionSpec[]): Uint8Array {
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  // Limits flag 3: shared, with a maximum (shared memories must declare one).
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(MAX_PAGES)];
  const exports = functions.flatMap((f, index) => (f.exported ? [[...name(f.name), 0x00, ...uleb(index)]] : []));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const content = [...locals, ...f.body, 0x0b];
    return [...uleb(content.length), ...content];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, index) => uleb(index)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
