import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { KeelError } from '../../core/index.js';
import {
  CTRL,
  OP,
  kernelContext,
  kernelSource,
  runShare,
  type KernelBuffers,
  type KernelContext,
  type WorkerData,
} from './kernels.js';

/**
 * Runs boosting kernels on the calling thread plus `threads − 1` workers, synchronously: the
 * caller writes an operation into the shared control array, wakes the workers, runs its own
 * share and waits for theirs with Atomics.wait. A tree makes ~35 such calls per iteration, each
 * a few milliseconds of work, so this is a barrier in shared memory rather than the message-
 * passing WorkerPool of ../parallel (whose per-task round trip through the event loop would
 * cost as much as the work). Workers live for one fit.
 */
export class KernelThreads {
  private constructor(
    readonly context: KernelContext,
    readonly threads: number,
    private readonly workers: readonly Worker[],
  ) {}

  /** Starts `threads − 1` workers on `buffers` (which must then be shared memory). */
  static async start(buffers: KernelBuffers, threads: number): Promise<KernelThreads> {
    const workers: Worker[] = [];
    if (threads > 1) {
      const source = kernelSource();
      for (let thread = 1; thread < threads; thread++) {
        const workerData: WorkerData = { buffers, thread, threads };
        workers.push(new Worker(source, { eval: true, workerData }));
      }
      await Promise.all(workers.map((worker) => once(worker, 'online')));
    }
    return new KernelThreads(kernelContext(buffers), threads, workers);
  }

  /** Runs `op` with integer arguments `args` on every thread; returns when all are done. */
  run(op: number, ...args: number[]): void {
    const ctrl = this.context.ctrl;
    ctrl[CTRL.OP] = op;
    for (let i = 0; i < args.length; i++) ctrl[CTRL.A0 + i] = args[i];
    const others = this.threads - 1;
    if (others > 0) {
      Atomics.store(ctrl, CTRL.DONE, 0);
      Atomics.add(ctrl, CTRL.SEQ, 1);
      Atomics.notify(ctrl, CTRL.SEQ);
    }
    runShare(this.context, 0, this.threads);
    for (let done = Atomics.load(ctrl, CTRL.DONE); done < others; done = Atomics.load(ctrl, CTRL.DONE)) {
      Atomics.wait(ctrl, CTRL.DONE, done);
    }
    if (Atomics.load(ctrl, CTRL.ERROR) !== 0) {
      const text = new TextDecoder().decode(this.context.errorText.slice(0, ctrl[CTRL.ERROR_LENGTH]));
      throw new KeelError('internal', `a gradient boosting worker thread failed: ${text}`);
    }
  }

  async close(): Promise<void> {
    if (this.workers.length === 0) return;
    const exited = this.workers.map((worker) => once(worker, 'exit'));
    const ctrl = this.context.ctrl;
    ctrl[CTRL.OP] = OP.EXIT;
    Atomics.add(ctrl, CTRL.SEQ, 1);
    Atomics.notify(ctrl, CTRL.SEQ);
    await Promise.all(exited);
  }
}
