import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { KeelError } from '../../core/index.js';
import { webAssembly } from '../wasm/assembler.js';
import {
  CTRL,
  OP,
  SEQ_MASK,
  kernelContext,
  kernelSource,
  runChunks,
  type KernelBuffers,
  type KernelContext,
  type WorkerData,
} from './kernels.js';
import { boostingModule, type BoostingWasm } from './wasm-kernels.js';

/**
 * Runs boosting kernels on the calling thread plus `threads − 1` workers, synchronously: the
 * caller writes an operation into the shared control array, wakes the workers, claims chunks
 * itself until none is left and waits (Atomics.wait) for the chunks others claimed. A tree
 * makes about two such calls per split, of a millisecond or so each, so this is a barrier in
 * shared memory rather than the message-passing WorkerPool of ../parallel, whose round trip
 * through the event loop per call would cost as much as the work. (../wasm's KernelRunner
 * posts a message per call too, and assigns calls to threads where this lets a thread that
 * is running claim the chunks of one the OS has not scheduled.) Workers live for one fit.
 */
export class KernelThreads {
  private seq = 0;

  private constructor(
    readonly context: KernelContext,
    private readonly workers: readonly Worker[],
  ) {}

  /** Starts `threads − 1` workers on `buffers`. */
  static async start(buffers: KernelBuffers, threads: number): Promise<KernelThreads> {
    const module = boostingModule();
    const workers: Worker[] = [];
    if (threads > 1) {
      const source = kernelSource();
      const workerData: WorkerData = { buffers, module };
      for (let thread = 1; thread < threads; thread++) workers.push(new Worker(source, { eval: true, workerData }));
      await Promise.all(workers.map((worker) => once(worker, 'online')));
    }
    const instance = new webAssembly.Instance(module, { env: { memory: buffers.memory } });
    return new KernelThreads(kernelContext(buffers, instance.exports as unknown as BoostingWasm), workers);
  }

  /** Runs `op` over `chunks` chunks with integer arguments `args`; returns when every chunk is done. */
  run(op: number, chunks: number, ...args: number[]): void {
    const ctrl = this.context.ctrl;
    this.seq = (this.seq + 1) & SEQ_MASK;
    ctrl[CTRL.OP] = op;
    ctrl[CTRL.CHUNKS] = chunks;
    for (let i = 0; i < args.length; i++) ctrl[CTRL.A0 + i] = args[i];
    Atomics.store(ctrl, CTRL.COMPLETED, 0);
    Atomics.store(ctrl, CTRL.CLAIM, this.seq << 10);
    if (this.workers.length > 0) {
      Atomics.store(ctrl, CTRL.SEQ, this.seq);
      Atomics.notify(ctrl, CTRL.SEQ);
    }
    runChunks(this.context, this.seq);
    for (let done = Atomics.load(ctrl, CTRL.COMPLETED); done < chunks; done = Atomics.load(ctrl, CTRL.COMPLETED)) {
      Atomics.wait(ctrl, CTRL.COMPLETED, done);
    }
    if (Atomics.load(ctrl, CTRL.ERROR) !== 0) {
      const text = new TextDecoder().decode(this.context.errorText.slice(0, ctrl[CTRL.ERROR_LENGTH]));
      throw new KeelError('internal', `a gradient boosting kernel failed: ${text}`);
    }
  }

  async close(): Promise<void> {
    if (this.workers.length === 0) return;
    const exited = this.workers.map((worker) => once(worker, 'exit'));
    const ctrl = this.context.ctrl;
    ctrl[CTRL.OP] = OP.EXIT;
    Atomics.store(ctrl, CTRL.SEQ, (this.seq + 1) & SEQ_MASK);
    Atomics.notify(ctrl, CTRL.SEQ);
    await Promise.all(exited);
  }
}
