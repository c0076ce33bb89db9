import cluster, { type Worker } from 'node:cluster';

/**
 * `keel server --workers N`: the primary process forks N serving workers with Node's cluster
 * module. They share the listening socket (the primary hands connections out round-robin) and
 * the metadata store (SQLite in WAL mode or PostgreSQL), so each reads the traffic policies and
 * writes its prediction log there; nothing else is shared. The primary serves nothing itself: it
 * restarts a worker that dies and, on SIGTERM or SIGINT, asks every worker to drain (finish its
 * requests, flush its prediction log) and exits 0 once all of them exited cleanly.
 */

/** The one message a worker sends the primary: it is listening. */
interface ReadyMessage {
  readonly type: 'keel:ready';
  readonly url: string;
}

/** Environment variable telling a worker its slot (1…N); a replacement keeps the slot. */
const SLOT_VARIABLE = 'KEEL_WORKER_SLOT';

export interface ClusterOptions {
  readonly workers: number;
  /** Called once, when every worker is listening for the first time. */
  readonly onReady: (url: string) => void;
  readonly log: (line: string) => void;
  /** How long a draining worker may take before it is killed (ms). */
  readonly drainTimeoutMs?: number;
}

/** Restarts allowed in a minute before the primary gives up on a worker that keeps dying. */
const MAX_RESTARTS_PER_MINUTE = 10;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** This worker's name in the `x-keel-worker` header: `<slot>/<pid>`. */
export function workerId(): string {
  return `${process.env[SLOT_VARIABLE] ?? '?'}/${process.pid}`;
}

/** In a worker: tells the primary the server is listening. */
export function notifyReady(url: string): void {
  const message: ReadyMessage = { type: 'keel:ready', url };
  process.send?.(message);
}

/** In a worker, once it has drained: lets the process exit (the IPC channel would keep it alive). */
export function leaveCluster(): void {
  if (cluster.worker?.isConnected()) cluster.worker.disconnect();
}

/** Runs the primary until it is stopped; resolves with the process exit code. */
export function runPrimary(options: ClusterOptions): Promise<number> {
  const { log } = options;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const slots = new Map<Worker, number>();
  const ready = new Set<number>();
  const restarts: number[] = [];
  let announced = false;
  let stopping = false;
  let failed = false;

  return new Promise<number>((resolve) => {
    const finishIfDone = (): void => {
      if ((stopping || failed) && slots.size === 0) resolve(failed ? 1 : 0);
    };

    const stopAll = (reason: string): void => {
      if (stopping) return;
      stopping = true;
      log(`keel: ${reason}: draining ${slots.size} worker(s)…`);
      for (const worker of slots.keys()) worker.process.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const worker of slots.keys()) {
          log(
            `keel: worker ${slots.get(worker)} (pid ${worker.process.pid}) did not drain in ${drainTimeoutMs} ms; killing it`,
          );
          failed = true;
          worker.process.kill('SIGKILL');
        }
      }, drainTimeoutMs);
      timer.unref();
      finishIfDone();
    };

    const fork = (slot: number): void => {
      const worker = cluster.fork({ [SLOT_VARIABLE]: String(slot) });
      slots.set(worker, slot);
      worker.on('message', (message: unknown) => {
        if ((message as ReadyMessage | null)?.type !== 'keel:ready') return;
        ready.add(slot);
        if (!announced && ready.size === options.workers) {
          announced = true;
          options.onReady((message as ReadyMessage).url);
        }
      });
      worker.on('exit', (code, signal) => {
        slots.delete(worker);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (stopping) {
          if (code !== 0 || signal) {
            failed = true;
            log(`keel: worker ${slot} (pid ${worker.process.pid}) ${how} while draining`);
          }
          finishIfDone();
          return;
        }
        if (!ready.has(slot) && !announced) {
          // It never started (a port in use, a broken workspace): starting it again would fail the same way.
          failed = true;
          log(`keel: worker ${slot} ${how} before it was ready; stopping`);
          stopAll('a worker failed to start');
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && restarts[0] < now - 60_000) restarts.shift();
        if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
          failed = true;
          log(`keel: workers died ${restarts.length} times in a minute; stopping`);
          stopAll('workers keep dying');
          return;
        }
        log(`keel: worker ${slot} (pid ${worker.process.pid}) ${how}; starting a new one`);
        fork(slot);
      });
    };

    process.once('SIGTERM', () => stopAll('SIGTERM received'));
    process.once('SIGINT', () => stopAll('SIGINT received'));
    for (let slot = 1; slot <= options.workers; slot++) fork(slot);
  });
}
