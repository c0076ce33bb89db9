import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KeelError, type PredictionRecord, type RequestRecord } from '../core/index.js';
import type { MetricsSink } from '../monitoring/index.js';
import type { MetricCompaction, MetricTotal, MetricWindow } from '../store/index.js';
import type { PredictionLogStore } from './prediction-log.js';
import { encodeRecords, type EncodedRecords } from './record-codec.js';

/** What the serving thread sends the writer thread. */
export type LogWriteRequest = LogRecordsMessage | MetricsCallMessage | { readonly id: number; readonly kind: 'close' };

/** The metrics recorder's writes (its `MetricsSink`), which the writer thread makes too. */
export type MetricsCallMessage =
  | { readonly id: number; readonly kind: 'putMetricWindows'; readonly args: readonly MetricWindow[] }
  | { readonly id: number; readonly kind: 'putMetricTotals'; readonly args: readonly MetricTotal[] }
  | { readonly id: number; readonly kind: 'compactMetricWindows'; readonly args: MetricCompaction };

export interface LogRecordsMessage {
  readonly id: number;
  readonly kind: 'predictions' | 'requests';
  readonly records: EncodedRecords;
}

/** Its answer to each (id 0: the store is open); `value` is what the store call returned. */
export type LogWriteReply =
  | { readonly id: number; readonly ok: true; readonly value?: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code: string | null };

/**
 * Writes the prediction log from a worker thread with its own connection to the metadata store.
 * Inserting a batch (serialising the rows, the SQL, the commit) costs about as much CPU as
 * predicting it, and on SQLite it runs on the thread that calls it: on the serving thread it
 * stopped every request for tens of milliseconds per flush. Here the serving thread only copies
 * the records to the writer (flattened: record-codec.ts), and each append resolves once they are committed, so
 * `PredictionLog.close()` still loses nothing.
 *
 * The metrics recorder's writes (its windows every few seconds, hourly compaction) go the same
 * way: on the serving thread, SQLite's synchronous upsert of the windows held every request for
 * up to milliseconds each time.
 */
export class ThreadedLogWriter implements PredictionLogStore, MetricsSink {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: LogWriteReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new KeelError('internal', `prediction log write failed: ${reply.message}`));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`the prediction log writer thread exited with code ${code}`)));
  }

  /** Whether this build has the writer thread's script (the compiled package does). */
  static get available(): boolean {
    return writerAvailable;
  }

  /** Starts the writer on the store at `databaseUrl` (a file or a server: the thread opens its own connection). */
  static async start(databaseUrl: string): Promise<ThreadedLogWriter> {
    const worker = new Worker(writerScript, { workerData: { databaseUrl } });
    const writer = new ThreadedLogWriter(worker);
    await writer.call(0);
    return writer;
  }

  appendPredictions(records: readonly PredictionRecord[]): Promise<void> {
    return this.send({ id: this.nextId++, kind: 'predictions', records: encodeRecords(records) });
  }

  appendRequests(records: readonly RequestRecord[]): Promise<void> {
    return this.send({ id: this.nextId++, kind: 'requests', records: encodeRecords(records) });
  }

  putMetricWindows(windows: readonly MetricWindow[]): Promise<void> {
    return this.send({ id: this.nextId++, kind: 'putMetricWindows', args: windows });
  }

  putMetricTotals(totals: readonly MetricTotal[]): Promise<void> {
    return this.send({ id: this.nextId++, kind: 'putMetricTotals', args: totals });
  }

  compactMetricWindows(compaction: MetricCompaction): Promise<number> {
    return this.send<number>({ id: this.nextId++, kind: 'compactMetricWindows', args: compaction });
  }

  /** Closes the writer's connection and ends the thread, after the writes sent before. */
  close(): Promise<void> {
    this.closing ??= this.send({ id: this.nextId++, kind: 'close' }).then(async () => {
      await this.worker.terminate();
    });
    return this.closing;
  }

  /** Posts `message`; resolves with the value of the thread's answer to it. */
  private send<T = void>(message: LogWriteRequest): Promise<T> {
    const done = this.call(message.id);
    this.worker.postMessage(message);
    return done as Promise<T>;
  }

  private call(id: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/**
 * The writer thread's script: log-writer-thread.js beside this module when it is the compiled
 * JavaScript. Under the TypeScript sources (Vitest, tsx) there is none — a copy from dist/ could
 * be older than the store code the caller runs — so the log is written on the calling thread.
 */
const writerScript = new URL('./log-writer-thread.js', import.meta.url);
const writerAvailable = import.meta.url.endsWith('.js') && existsSync(fileURLToPath(writerScript));
