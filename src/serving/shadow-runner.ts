import type { PredictionRecord, Row, ShadowComparison, TrafficRoute } from '../core/index.js';
import type { Prediction } from '../registry/index.js';
import type { PredictionLog } from './prediction-log.js';

/** A copy of one answered request for the shadow route(s). */
export interface ShadowJob {
  readonly endpoint: string;
  readonly route: TrafficRoute;
  /** The rows as the client sent them (the shadow checks them against its own signature). */
  readonly rows: readonly Row[];
  /** The primary's logged predictions of the same rows, in order. */
  readonly answered: readonly PredictionRecord[];
}

/** Predicts a job's rows with the shadow's version: what the runtime supplies. */
export type ShadowPredictor = (job: ShadowJob) => Promise<{
  readonly version: { readonly name: string; readonly version: number };
  readonly predictions: readonly Prediction[];
}>;

export interface ShadowOptions {
  /** Shadow predictions running at once; default 2. */
  readonly concurrency?: number;
  /** Jobs waiting beyond this are dropped (and counted), so a slow shadow cannot hold memory; default 1000. */
  readonly maxQueue?: number;
  readonly newId: () => string;
}

export interface ShadowStats {
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly dropped: number;
}

/**
 * Runs shadow predictions off the response path. A job starts on a later turn of the event
 * loop (after the answer was handed to the socket), at most `concurrency` at a time from a
 * bounded queue; a full queue drops the copy rather than grow. A shadow that fails or is slow
 * never reaches the client: its failures are counted, and its predictions are logged with
 * variant `shadow` and their comparison with the primary's (`output.comparison`).
 */
export class ShadowRunner {
  private readonly queue: ShadowJob[] = [];
  private active = 0;
  private completed = 0;
  private failed = 0;
  private dropped = 0;
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private idle: Array<() => void> = [];

  constructor(
    private readonly predict: ShadowPredictor,
    private readonly log: PredictionLog,
    private readonly options: ShadowOptions,
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.maxQueue = options.maxQueue ?? 1000;
  }

  /** Queues a copy; false when the queue is full and the copy was dropped. */
  submit(job: ShadowJob): boolean {
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return false;
    }
    this.queue.push(job);
    setImmediate(() => this.pump());
    return true;
  }

  get stats(): ShadowStats {
    return {
      queued: this.queue.length,
      running: this.active,
      completed: this.completed,
      failed: this.failed,
      dropped: this.dropped,
    };
  }

  /** Waits until every queued copy ran, or `timeoutMs` passed (what is left is dropped). */
  async drain(timeoutMs = 5000): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), timeout]);
    clearTimeout(timer);
    this.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift() as ShadowJob;
      this.active++;
      void this.run(job).finally(() => {
        this.active--;
        if (this.queue.length > 0) setImmediate(() => this.pump());
        else if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async run(job: ShadowJob): Promise<void> {
    try {
      const started = performance.now();
      const { version, predictions } = await this.predict(job);
      const latencyMs = performance.now() - started;
      const at = new Date().toISOString();
      this.log.addPredictions(
        predictions.map((prediction, i) => {
          const primary = job.answered[i];
          return {
            id: this.options.newId(),
            endpoint: job.endpoint,
            model: version.name,
            version: version.version,
            variant: job.route.variant,
            inputs: primary?.inputs ?? job.rows[i],
            output: { ...outputOf(prediction), ...(primary ? { comparison: compare(primary, prediction) } : {}) },
            latencyMs,
            at,
          };
        }),
      );
      this.completed++;
    } catch {
      this.failed++;
    }
  }
}

/** How a shadow's prediction compares with the primary's logged answer to the same row. */
export function compare(primary: PredictionRecord, shadow: Prediction): ShadowComparison {
  const answer = primary.output as { label?: unknown; probabilities?: Record<string, number>; value?: unknown };
  if ('label' in shadow) {
    const probabilities = answer.probabilities ?? {};
    const classes = new Set([...Object.keys(probabilities), ...Object.keys(shadow.probabilities)]);
    let difference = 0;
    for (const c of classes) {
      difference = Math.max(difference, Math.abs((probabilities[c] ?? 0) - (shadow.probabilities[c] ?? 0)));
    }
    return { primaryId: primary.id, agrees: String(answer.label) === String(shadow.label), difference };
  }
  const value = typeof answer.value === 'number' ? answer.value : Number.NaN;
  return { primaryId: primary.id, agrees: null, difference: Math.abs(shadow.value - value) };
}

function outputOf(p: Prediction): Record<string, unknown> {
  return 'label' in p ? { label: p.label, probabilities: p.probabilities } : { value: p.value };
}
