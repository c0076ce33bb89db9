import { invalidArgument, KeelError } from '../core/index.js';

/** How requests to one model are coalesced into batches. */
export interface MicroBatchSettings {
  /** Most rows one model call takes. A single request larger than this runs alone, never split. */
  readonly maxBatchRows: number;
  /**
   * Longest a request waits for a batch while another batch of the same model is running (ms).
   * A request that finds the model idle never waits for a timer.
   */
  readonly maxWaitMs: number;
}

export const DEFAULT_MICRO_BATCH: MicroBatchSettings = { maxBatchRows: 64, maxWaitMs: 1 };

/** Runs a batch of items through the model: one output per item, in order. */
export type BatchRunner<In, Out> = (items: readonly In[]) => readonly Out[] | Promise<readonly Out[]>;

interface Submission<In, Out> {
  readonly items: readonly In[];
  readonly resolve: (outputs: Out[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Adaptive micro-batching for one model: the rows of concurrent requests go through the model
 * in one call (the feature pipeline over the batch, one estimator call) and the outputs are
 * split back per request.
 *
 * When to run a batch:
 * - a request that finds the model idle runs at the end of the current event-loop turn
 *   (`setImmediate`, no timer): alone at low load, so it adds no latency, and together with
 *   every request the server read in the same turn under load;
 * - requests that arrive while a batch is running wait for it to finish, for `maxWaitMs` after
 *   the first of them arrived, or until `maxBatchRows` rows are waiting, whichever comes first.
 *
 * Requests are never split across batches. A batch that fails is run again request by request,
 * so a request whose rows make the model fail fails alone; the others get their outputs.
 */
export class MicroBatcher<In, Out> {
  private queue: Submission<In, Out>[] = [];
  private queuedRows = 0;
  private running = 0;
  private turnEnd: NodeJS.Immediate | null = null;
  private waitTimer: NodeJS.Timeout | null = null;
  readonly settings: MicroBatchSettings;

  constructor(
    private readonly run: BatchRunner<In, Out>,
    settings: Partial<MicroBatchSettings> = {},
  ) {
    this.settings = checkSettings({ ...DEFAULT_MICRO_BATCH, ...settings });
  }

  /** Predicts `items` in some batch; resolves with their outputs, in order. */
  submit(items: readonly In[]): Promise<Out[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<Out[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queuedRows += items.length;
      if (this.queuedRows >= this.settings.maxBatchRows) this.dispatch();
      else if (this.running === 0) this.turnEnd ??= setImmediate(() => this.dispatch());
      else this.waitTimer ??= setTimeout(() => this.dispatch(), this.settings.maxWaitMs);
    });
  }

  /** Requests waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Starts batches until nothing is queued. */
  private dispatch(): void {
    if (this.turnEnd) clearImmediate(this.turnEnd);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.turnEnd = null;
    this.waitTimer = null;
    while (this.queue.length > 0) void this.runBatch(this.takeBatch());
  }

  /** Whole requests from the head of the queue, up to maxBatchRows rows (at least one request). */
  private takeBatch(): Submission<In, Out>[] {
    let rows = this.queue[0].items.length;
    let count = 1;
    while (count < this.queue.length && rows + this.queue[count].items.length <= this.settings.maxBatchRows) {
      rows += this.queue[count].items.length;
      count++;
    }
    const batch = this.queue.splice(0, count);
    this.queuedRows -= rows;
    return batch;
  }

  private async runBatch(batch: Submission<In, Out>[]): Promise<void> {
    this.running++;
    try {
      if (batch.length === 1) {
        await this.runAlone(batch[0]);
        return;
      }
      const items = batch.flatMap((s) => s.items);
      let outputs: readonly Out[];
      try {
        outputs = checkCount(await this.run(items), items.length);
      } catch {
        // One request's rows may be what failed: each request gets its own outcome.
        await Promise.all(batch.map((s) => this.runAlone(s)));
        return;
      }
      let offset = 0;
      for (const s of batch) {
        s.resolve(outputs.slice(offset, offset + s.items.length));
        offset += s.items.length;
      }
    } finally {
      this.running--;
      // Requests that queued behind this batch go now.
      if (this.running === 0 && this.queue.length > 0) this.dispatch();
    }
  }

  private async runAlone(s: Submission<In, Out>): Promise<void> {
    try {
      s.resolve(checkCount(await this.run(s.items), s.items.length).slice());
    } catch (error) {
      s.reject(error);
    }
  }
}

function checkCount<Out>(outputs: readonly Out[], rows: number): readonly Out[] {
  if (outputs.length !== rows) {
    throw new KeelError('internal', `the model returned ${outputs.length} outputs for ${rows} rows`);
  }
  return outputs;
}

function checkSettings(settings: MicroBatchSettings): MicroBatchSettings {
  const { maxBatchRows, maxWaitMs } = settings;
  if (!Number.isSafeInteger(maxBatchRows) || maxBatchRows < 1) {
    throw invalidArgument(`micro-batching: maxBatchRows must be an integer ≥ 1, not ${maxBatchRows}`, {
      field: 'maxBatchRows',
    });
  }
  if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) {
    throw invalidArgument(`micro-batching: maxWaitMs must be a number of milliseconds ≥ 0, not ${maxWaitMs}`, {
      field: 'maxWaitMs',
    });
  }
  return { maxBatchRows, maxWaitMs };
}
