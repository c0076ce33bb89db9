import type { PredictionRecord, RequestRecord } from '../core/index.js';
import type { PredictionStore } from '../store/index.js';

/** The part of the store the log writes to (the metadata store itself, or a writer thread: log-writer.ts). */
export type PredictionLogStore = Pick<PredictionStore, 'appendPredictions' | 'appendRequests'>;

export interface PredictionLogOptions {
  /** Flush when this many records are waiting. */
  readonly maxBatch?: number;
  /** Flush at least this often (ms). */
  readonly flushIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Logs predictions and requests without slowing serving: records are buffered and written in
 * batches (one transaction each) off the request path. A failed write keeps its records for the
 * next attempt; `close()` flushes everything, so a graceful shutdown loses nothing.
 */
export class PredictionLog {
  private predictions: PredictionRecord[] = [];
  private requests: RequestRecord[] = [];
  private flushing: Promise<void> | null = null;
  /** The write that starts when `flushing` ends, shared by every flush called meanwhile. */
  private queued: Promise<void> | null = null;
  /** Records taken by the write in progress. */
  private writing = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBatch: number;

  constructor(
    private readonly store: PredictionLogStore,
    private readonly options: PredictionLogOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2000;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 250);
    this.timer.unref();
  }

  addPredictions(records: readonly PredictionRecord[]): void {
    for (const r of records) this.predictions.push(r);
    if (this.predictions.length >= this.maxBatch) void this.flush();
  }

  addRequest(record: RequestRecord): void {
    this.requests.push(record);
    if (this.requests.length >= this.maxBatch) void this.flush();
  }

  /** Records not written yet: buffered, or in a write that has not finished. */
  get pending(): number {
    return this.predictions.length + this.requests.length + this.writing;
  }

  /**
   * Writes what is buffered. A write already in progress holds only the records taken when it
   * started, so a call made during it gets the one write queued behind it, which takes
   * everything buffered by then: however many calls arrive meanwhile (every record added past
   * `maxBatch` makes one), they share that promise rather than each waiting and waking on its own.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.queued ??= this.flushing.then(() => {
        this.queued = null;
        return this.flush();
      });
      return this.queued;
    }
    if (this.pending === 0) return Promise.resolve();
    this.flushing = this.writeOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // Records can arrive while a batch is being written: keep going until the buffer is empty.
    for (let attempt = 0; this.pending > 0 || this.flushing; attempt++) {
      await this.flush();
      if (attempt > 100) throw new Error(`prediction log: ${this.pending} records could not be written`);
    }
  }

  private async writeOnce(): Promise<void> {
    const predictions = this.predictions;
    const requests = this.requests;
    this.predictions = [];
    this.requests = [];
    this.writing = predictions.length + requests.length;
    try {
      try {
        if (predictions.length) await this.store.appendPredictions(predictions);
      } catch (error) {
        this.predictions = predictions.concat(this.predictions);
        this.requests = requests.concat(this.requests);
        this.options.onError?.(error);
        return;
      }
      try {
        if (requests.length) await this.store.appendRequests(requests);
      } catch (error) {
        this.requests = requests.concat(this.requests);
        this.options.onError?.(error);
      }
    } finally {
      this.writing = 0;
    }
  }
}
