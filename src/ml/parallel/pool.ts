import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KeelError, packageRoot } from '../../core/index.js';
import { deserializeError, type TaskReply, type TaskRequest } from './messages.js';
import type { TaskInput, TaskName, TaskOutput } from './tasks.js';

/**
 * A pool of worker threads for CPU-bound work: forest trees now, search trials and boosting
 * later. Workers start lazily, on the first task that finds none idle, up to `maxWorkers`,
 * and then stay for the next tasks (starting one costs tens of milliseconds). A task is a
 * name from the registry in tasks.ts plus a structured-cloneable input; put large read-only
 * inputs (X) in SharedArrayBuffers so every worker reads the same memory instead of a copy.
 *
 * Idle workers are unref'd, so an idle pool never keeps a process alive; a worker with a task
 * in flight is ref'd, so a script awaiting a result does not exit under it. `close()`
 * terminates the workers.
 */

export interface WorkerPoolOptions {
  /** Most workers running at once; more tasks wait in a queue. */
  readonly maxWorkers: number;
  /** The worker script; by default worker.js beside this module or in dist/ (see resolveWorkerScript). */
  readonly script?: URL;
}

export interface RunOptions {
  /** ArrayBuffers of the input to move to the worker rather than copy (they become unusable here). */
  readonly transfer?: readonly ArrayBuffer[];
}

interface Job {
  readonly request: TaskRequest;
  readonly transfer: readonly ArrayBuffer[];
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | null;
  /** An uncaught error that is about to end the worker. */
  crash: Error | null;
}

export class WorkerPool {
  private max: number;
  private script: URL | null;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions) {
    this.max = checkWorkers(options.maxWorkers);
    this.script = options.script ?? null;
  }

  get maxWorkers(): number {
    return this.max;
  }

  /** Workers currently started. */
  get size(): number {
    return this.slots.size;
  }

  /** Raises maxWorkers to at least `workers` (never lowers it, so running work is unaffected). */
  growTo(workers: number): this {
    this.max = Math.max(this.max, checkWorkers(workers));
    this.dispatch();
    return this;
  }

  /**
   * Starts workers, up to `workers` and maxWorkers, before any task needs them, so their
   * startup (loading modules, tens to hundreds of ms) overlaps the caller's own preparation.
   */
  warm(workers: number): this {
    while (this.slots.size < Math.min(workers, this.max) && !this.closed) this.start();
    return this;
  }

  /** Runs `task` on a worker; rejects with the worker's error (a KeelError keeps its code and details). */
  run<N extends TaskName>(task: N, input: TaskInput<N>, options: RunOptions = {}): Promise<TaskOutput<N>> {
    if (this.closed) {
      return Promise.reject(new KeelError('failed_precondition', 'the worker pool is closed', { task }));
    }
    return new Promise<TaskOutput<N>>((resolve, reject) => {
      this.queue.push({
        request: { id: this.nextId++, task, input },
        transfer: options.transfer ?? [],
        resolve: resolve as (output: unknown) => void,
        reject,
      });
      this.dispatch();
    });
  }

  /** Terminates every worker; queued and running tasks reject. */
  async close(): Promise<void> {
    this.closed = true;
    const closedError = (): KeelError => new KeelError('failed_precondition', 'the worker pool was closed');
    for (const job of this.queue.splice(0)) job.reject(closedError());
    const slots = [...this.slots];
    this.slots.clear();
    for (const slot of slots) {
      slot.job?.reject(closedError());
      slot.job = null;
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = [...this.slots].find((s) => s.job === null);
      if (slot === undefined) {
        if (this.slots.size >= this.max) return;
        try {
          slot = this.start();
        } catch (error) {
          for (const job of this.queue.splice(0)) job.reject(error as Error);
          return;
        }
      }
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      try {
        slot.worker.postMessage(job.request, [...job.transfer]);
      } catch (error) {
        // The input could not be cloned (a function, say): the worker never saw it.
        slot.job = null;
        slot.worker.unref();
        job.reject(error as Error);
      }
    }
  }

  private start(): Slot {
    this.script ??= resolveWorkerScript();
    const worker = new Worker(this.script);
    worker.unref();
    const slot: Slot = { worker, job: null, crash: null };
    worker.on('message', (reply: TaskReply) => {
      const job = slot.job;
      if (job === null || job.request.id !== reply.id) return;
      slot.job = null;
      worker.unref();
      if ('error' in reply) job.reject(deserializeError(reply.error));
      else job.resolve(reply.output);
      this.dispatch();
    });
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => {
      if (!this.slots.delete(slot)) return; // closed on purpose
      const job = slot.job;
      slot.job = null;
      if (job !== null) {
        const { task } = job.request;
        job.reject(
          slot.crash ??
            new KeelError('internal', `a worker thread exited (code ${code}) while running task "${task}"`, { task }),
        );
      }
      this.dispatch();
    });
    this.slots.add(slot);
    return slot;
  }
}

function checkWorkers(workers: number): number {
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new KeelError('invalid_argument', `a worker pool needs at least 1 worker, got ${workers}`, {
      field: 'maxWorkers',
    });
  }
  return workers;
}

/**
 * worker.js beside this module when it is the compiled JavaScript; otherwise (the TypeScript
 * sources run by Vitest or tsx, which a worker thread cannot load) the copy `npm run build:lib`
 * writes to dist/.
 */
export function resolveWorkerScript(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (import.meta.url.endsWith('.js') && existsSync(beside)) return beside;
  const built = join(packageRoot, 'dist', 'src', 'ml', 'parallel', 'worker.js');
  if (existsSync(built)) return pathToFileURL(built);
  throw new KeelError(
    'failed_precondition',
    `Keel's worker thread script is missing (looked for ${fileURLToPath(beside)} and ${built}): run "npm run build:lib"`,
    { field: 'nJobs' },
  );
}

/** Threads for an `nJobs` param: -1 means one per available core (scikit-learn's n_jobs=-1). */
export function resolveJobs(nJobs: number): number {
  return nJobs === -1 ? availableParallelism() : nJobs;
}

let sharedPool: WorkerPool | null = null;

/** The process-wide pool every estimator shares, grown to at least `workers` workers. */
export function sharedWorkerPool(workers: number): WorkerPool {
  sharedPool ??= new WorkerPool({ maxWorkers: workers });
  return sharedPool.growTo(workers);
}

/** Terminates the shared pool's workers; the next sharedWorkerPool() call starts a new pool. */
export async function closeSharedWorkerPool(): Promise<void> {
  const pool = sharedPool;
  sharedPool = null;
  await pool?.close();
}
