import { Worker } from 'node:worker_threads';
import { KeelError } from '../../core/index.js';
import { webAssembly, type WasmInstance, type WasmMemory, type WasmModule } from './assembler.js';

/**
 * Runs WebAssembly kernel calls on several threads at once and blocks the caller until all
 * are done, so that `predict` stays synchronous as the estimator contract wants.
 *
 * This is deliberately not the shared WorkerPool in `../parallel/`: that pool runs named tasks
 * asynchronously and returns promises. A kernel call only needs a compiled module, a shared
 * memory and a few integers, and the caller waits with `Atomics.wait`, which Node allows on
 * the main thread. The workers run a few lines of plain JavaScript given as source, so they
 * start the same way from the TypeScript sources (tests) and from the compiled package.
 */
export interface KernelRunner {
  /** Threads used, the caller's included. */
  readonly threads: number;
  /**
   * Calls `exports[name](...args)` of an instance of `module` over `memory` once per entry of
   * `calls`, spread over the threads (call i on thread i mod threads); returns when all are
   * done. Calls must write disjoint parts of the memory.
   */
  run(module: WasmModule, memory: WasmMemory, name: string, calls: readonly (readonly number[])[]): void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ module, memory, name, calls, status, slot }) => {
  let outcome = 1;
  try {
    const run = new WebAssembly.Instance(module, { env: { memory } }).exports[name];
    for (const args of calls) run(...args);
  } catch (error) {
    outcome = 2;
    console.error(error);
  }
  Atomics.store(status, slot, outcome);
  Atomics.notify(status, slot);
});
`;

/** Workers live for the process (unref'd, so they never keep it alive) and are shared by all models. */
const workers: Worker[] = [];

function worker(index: number): Worker {
  while (workers.length <= index) {
    const created = new Worker(WORKER_SOURCE, { eval: true });
    created.unref();
    workers.push(created);
  }
  return workers[index];
}

/** Instances for the calling thread by module and memory (an instance is bound to both). */
const localInstances = new WeakMap<WasmModule, WeakMap<WasmMemory, WasmInstance>>();

function localInstance(module: WasmModule, memory: WasmMemory): WasmInstance {
  let byMemory = localInstances.get(module);
  if (byMemory === undefined) {
    byMemory = new WeakMap();
    localInstances.set(module, byMemory);
  }
  let instance = byMemory.get(memory);
  if (instance === undefined) {
    instance = new webAssembly.Instance(module, { env: { memory } });
    byMemory.set(memory, instance);
  }
  return instance;
}

export function kernelRunner(threads: number): KernelRunner {
  return {
    threads,
    run(module, memory, name, calls) {
      const used = Math.min(threads, calls.length);
      const share = (thread: number): (readonly number[])[] => calls.filter((_, i) => i % used === thread);
      const others = used - 1;
      // status[slot]: 0 while running, 1 done, 2 failed.
      const status = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, others)));
      for (let slot = 0; slot < others; slot++) {
        worker(slot).postMessage({ module, memory, name, calls: share(slot + 1), status, slot });
      }
      // The calling thread takes the first share instead of idling.
      if (used > 0) {
        const run = localInstance(module, memory).exports[name] as (...args: number[]) => void;
        for (const args of share(0)) run(...args);
      }
      let failed = false;
      for (let slot = 0; slot < others; slot++) {
        while (Atomics.load(status, slot) === 0) Atomics.wait(status, slot, 0);
        failed ||= Atomics.load(status, slot) === 2;
      }
      if (failed) throw new KeelError('internal', `a worker thread failed while running the ${name} kernel`);
    },
  };
}
