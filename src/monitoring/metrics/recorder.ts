import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type {
  MetricSeriesKey,
  MetricTotal,
  MetricWindow,
  MetricWindowData,
  MonitoringStore,
} from '../../store/index.js';
import { LATENCY_BINS, latencyBin } from './latency.js';
import { COUNTERS, HISTOGRAMS, PROCESS_COUNTERS, STATUS_CLASSES } from './names.js';
import { HOUR_MS, MINUTE_MS, NO_ROUTE, PROCESS_SERIES, seriesKeyOf } from './series.js';
import { WindowSum } from './window-data.js';
import { compactWindows } from './windows.js';

/** One HTTP request to an endpoint, as the serving path reports it. */
export interface RequestObservation {
  readonly endpoint: string;
  /** The route that answered; absent when the request was refused before one was chosen. */
  readonly model?: string;
  readonly version?: number;
  readonly variant?: string;
  readonly status: number;
  readonly rows: number;
  readonly latencyMs: number;
  /** Keel's error code (or the status as text) of a failed request; null when it succeeded. */
  readonly errorCode: string | null;
  readonly requestBytes?: number;
  readonly responseBytes?: number;
}

/** What the recorder writes to: the windows and totals of the monitoring store. */
export type MetricsSink = Pick<MonitoringStore, 'putMetricWindows' | 'putMetricTotals' | 'compactMetricWindows'>;

export interface MetricsRecorderOptions {
  readonly store: MetricsSink;
  /** Unique per process lifetime; default `host:pid:random`. */
  readonly processId?: string;
  /** How often buffered windows are written (ms; default 5000). */
  readonly flushIntervalMs?: number;
  /** Minute buckets older than this are rolled into hourly ones (ms; default 7 days; false: never). */
  readonly retentionMs?: number | false;
  /** How often this process compacts (ms; default one hour). */
  readonly compactIntervalMs?: number;
  /** The clock (ms since the epoch), for tests. */
  readonly now?: () => number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Software metrics in memory, flushed to the store as one-minute windows.
 *
 * The hot path (`observeRequest`) is four Map lookups to find the series, a check that the
 * current minute bucket is still current, and increments of numbers and typed-array bins: no
 * allocation unless a new series or a new minute begins. Every few seconds `flush` writes each
 * bucket that changed with its full value so far, plus each series' lifetime total, in a batch:
 * a process owns its rows, so the write is an idempotent replace and a failed flush is simply
 * retried. Buckets whose minute is over are dropped once written.
 */
export class MetricsRecorder {
  readonly processId: string;
  readonly #store: MetricsSink;
  readonly #now: () => number;
  readonly #flushIntervalMs: number;
  readonly #retentionMs: number | false;
  readonly #compactIntervalMs: number;
  readonly #onError: (error: unknown) => void;
  /** endpoint → variant → model → version → series. */
  readonly #byEndpoint = new Map<string, Map<string, Map<string, Map<number, SeriesRecorder>>>>();
  readonly #series: SeriesRecorder[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #lastCompaction = 0;
  #eventLoop: IntervalHistogram | null = null;
  #cpu: NodeJS.CpuUsage | null = null;

  constructor(options: MetricsRecorderOptions) {
    this.#store = options.store;
    this.processId = options.processId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#now = options.now ?? Date.now;
    this.#flushIntervalMs = options.flushIntervalMs ?? 5_000;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * HOUR_MS;
    this.#compactIntervalMs = options.compactIntervalMs ?? HOUR_MS;
    this.#onError = options.onError ?? ((error) => console.error('keel: writing metrics failed, will retry:', error));
  }

  /** Counts one request in its series' current minute. The serving path calls it for every request. */
  observeRequest(o: RequestObservation): void {
    const series =
      o.model === undefined || o.version === undefined || o.variant === undefined
        ? this.#seriesOf(o.endpoint, NO_ROUTE.model, NO_ROUTE.version, NO_ROUTE.variant)
        : this.#seriesOf(o.endpoint, o.model, o.version, o.variant);
    series.bucket(this.#now()).request(o);
  }

  /**
   * The handle through which any module adds its own named counters and histograms to a series'
   * windows (e.g. drift bins as `feature:MonthlyCharges`). They are flushed, merged, compacted
   * and queried like the software metrics.
   */
  series(key: MetricSeriesKey): SeriesHandle {
    const series = this.#seriesOf(key.endpoint, key.model, key.version, key.variant);
    // Made once per series: serving asks for it on every request.
    return (series.handle ??= {
      key: series.key,
      count: (name, value = 1) => series.bucket(this.#now()).extra().count(name, value),
      addBins: (name, counts) => series.bucket(this.#now()).extra().addBins(name, counts),
      addToBin: (name, bin, value = 1) => series.bucket(this.#now()).extra().addToBin(name, bin, value),
      addToBins: (names, bins) => {
        const extra = series.bucket(this.#now()).extra();
        for (let i = 0; i < names.length; i++) extra.addToBin(names[i], bins[i], 1);
      },
    });
  }

  /** Starts the flush timer and the process sampler. Idempotent. */
  start(): this {
    if (this.#timer) return this;
    this.#eventLoop = monitorEventLoopDelay({ resolution: 10 });
    this.#eventLoop.enable();
    this.#cpu = process.cpuUsage();
    this.#timer = setInterval(() => void this.flush().catch(() => {}), this.#flushIntervalMs);
    this.#timer.unref();
    return this;
  }

  /** Stops the timer and writes what is buffered (graceful shutdown). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
    this.#eventLoop?.disable();
    this.#eventLoop = null;
    this.#cpu = null;
  }

  /**
   * Samples the process, writes every changed bucket and total (one batch), and compacts when it
   * is due. Concurrent calls run one after another; errors go to `onError` and are rethrown.
   */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushOnce());
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #flushOnce(): Promise<void> {
    const now = this.#now();
    this.#sampleProcess();
    const windows: MetricWindow[] = [];
    const totals: MetricTotal[] = [];
    const written: Array<[Bucket, number]> = [];
    const updatedAt = new Date(now).toISOString();
    for (const series of this.#series) {
      let changed = false;
      for (const bucket of series.buckets.values()) {
        if (bucket.writes === bucket.flushedWrites) continue;
        changed = true;
        written.push([bucket, bucket.writes]);
        windows.push({
          ...series.key,
          processId: this.processId,
          bucketStart: new Date(bucket.start).toISOString(),
          bucketMs: MINUTE_MS,
          data: bucket.toData(),
        });
      }
      if (changed) totals.push({ ...series.key, processId: this.processId, data: series.total(), updatedAt });
    }
    try {
      if (windows.length > 0) {
        await this.#store.putMetricWindows(windows);
        await this.#store.putMetricTotals(totals);
      }
      for (const [bucket, writes] of written) bucket.flushedWrites = writes;
      for (const series of this.#series) series.retire(now);
      await this.#compactIfDue(now);
    } catch (error) {
      this.#onError(error);
      throw error;
    }
  }

  async #compactIfDue(now: number): Promise<void> {
    if (this.#retentionMs === false || now - this.#lastCompaction < this.#compactIntervalMs) return;
    this.#lastCompaction = now;
    await compactWindows(this.#store, { now, retentionMs: this.#retentionMs });
  }

  /** Memory, CPU since the last sample and event-loop delay, into the process series. */
  #sampleProcess(): void {
    if (!this.#cpu) return; // not started: no sampler

    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.#cpu);
    this.#cpu = process.cpuUsage();
    const sum = this.series(PROCESS_SERIES);
    sum.count(PROCESS_COUNTERS.samples);
    sum.count(PROCESS_COUNTERS.rssBytesSum, memory.rss);
    sum.count(PROCESS_COUNTERS.heapUsedBytesSum, memory.heapUsed);
    sum.count(PROCESS_COUNTERS.heapTotalBytesSum, memory.heapTotal);
    sum.count(PROCESS_COUNTERS.cpuUserUs, cpu.user);
    sum.count(PROCESS_COUNTERS.cpuSystemUs, cpu.system);
    const loop = this.#eventLoop;
    if (loop && loop.count > 0) {
      sum.count(PROCESS_COUNTERS.eventLoopLagMeanMsSum, loop.mean / 1e6);
      sum.count(PROCESS_COUNTERS.eventLoopLagP99MsSum, loop.percentile(99) / 1e6);
      sum.count(PROCESS_COUNTERS.eventLoopLagMaxMsSum, loop.max / 1e6);
      loop.reset();
    }
  }

  #seriesOf(endpoint: string, model: string, version: number, variant: string): SeriesRecorder {
    let byVariant = this.#byEndpoint.get(endpoint);
    if (!byVariant) this.#byEndpoint.set(endpoint, (byVariant = new Map()));
    let byModel = byVariant.get(variant);
    if (!byModel) byVariant.set(variant, (byModel = new Map()));
    let byVersion = byModel.get(model);
    if (!byVersion) byModel.set(model, (byVersion = new Map()));
    let series = byVersion.get(version);
    if (!series) {
      series = new SeriesRecorder(seriesKeyOf({ endpoint, model, version, variant }));
      byVersion.set(version, series);
      this.#series.push(series);
    }
    return series;
  }
}

/** How another module adds to a series (see `MetricsRecorder.series`). */
export interface SeriesHandle {
  readonly key: MetricSeriesKey;
  /** Adds `value` (default 1) to the counter `name` of the current minute. */
  count(name: string, value?: number): void;
  /** Adds `counts` bin by bin to the histogram `name` of the current minute. */
  addBins(name: string, counts: ArrayLike<number>): void;
  /** Adds `value` (default 1) to one bin of the histogram `name`. */
  addToBin(name: string, bin: number, value?: number): void;
  /** Adds 1 to bin `bins[i]` of histogram `names[i]`, for every i: one row's bins, in one call. */
  addToBins(names: readonly string[], bins: ArrayLike<number>): void;
}

/** One series' open minute buckets and the sum of the ones already written and dropped. */
class SeriesRecorder {
  readonly buckets = new Map<number, Bucket>();
  /** The handle other modules add through (`MetricsRecorder.series`). */
  handle: SeriesHandle | null = null;
  readonly #retired = new WindowSum();
  #current: Bucket | null = null;

  constructor(readonly key: MetricSeriesKey) {}

  bucket(now: number): Bucket {
    const current = this.#current;
    if (current !== null && now >= current.start && now < current.start + MINUTE_MS) return current;
    const start = now - (now % MINUTE_MS);
    let bucket = this.buckets.get(start);
    if (!bucket) this.buckets.set(start, (bucket = new Bucket(start)));
    this.#current = bucket;
    return bucket;
  }

  /** The lifetime total: retired buckets plus open ones. */
  total(): MetricWindowData {
    const sum = new WindowSum().add(this.#retired.toData());
    for (const bucket of this.buckets.values()) sum.add(bucket.toData());
    return sum.toData();
  }

  /** Drops buckets whose minute is over and whose final value is written. */
  retire(now: number): void {
    for (const [start, bucket] of this.buckets) {
      if (start + MINUTE_MS <= now && bucket.writes === bucket.flushedWrites) {
        this.#retired.add(bucket.toData());
        this.buckets.delete(start);
        if (this.#current === bucket) this.#current = null;
      }
    }
  }
}

/** One minute of one series: request statistics in fixed fields, anything else in `extra`. */
class Bucket {
  /** Incremented by every change; the flush remembers the count it wrote. */
  writes = 0;
  flushedWrites = 0;
  requests = 0;
  rows = 0;
  errors = 0;
  latencySumMs = 0;
  requestBytes = 0;
  responseBytes = 0;
  readonly statusClasses = new Float64Array(STATUS_CLASSES.length);
  readonly latency = new Float64Array(LATENCY_BINS);
  readonly errorCodes = new Map<string, number>();
  #extra: ExtraSum | null = null;

  constructor(readonly start: number) {}

  request(o: RequestObservation): void {
    this.writes++;
    this.requests++;
    this.rows += o.rows;
    this.latencySumMs += o.latencyMs;
    this.latency[latencyBin(o.latencyMs)]++;
    const statusClass = Math.floor(o.status / 100) - 1;
    if (statusClass >= 0 && statusClass < STATUS_CLASSES.length) this.statusClasses[statusClass]++;
    if (o.status >= 400) {
      this.errors++;
      const code = o.errorCode ?? String(o.status);
      this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
    }
    if (o.requestBytes !== undefined) this.requestBytes += o.requestBytes;
    if (o.responseBytes !== undefined) this.responseBytes += o.responseBytes;
  }

  extra(): ExtraSum {
    this.writes++;
    return (this.#extra ??= new ExtraSum());
  }

  toData(): MetricWindowData {
    const sum = new WindowSum();
    if (this.requests > 0) {
      sum.count(COUNTERS.requests, this.requests);
      sum.count(COUNTERS.rows, this.rows);
      sum.count(COUNTERS.errors, this.errors);
      sum.count(COUNTERS.latencySumMs, this.latencySumMs);
      sum.count(COUNTERS.requestBytes, this.requestBytes);
      sum.count(COUNTERS.responseBytes, this.responseBytes);
      STATUS_CLASSES.forEach((name, i) => {
        if (this.statusClasses[i] > 0) sum.count(COUNTERS.statusClassPrefix + name, this.statusClasses[i]);
      });
      for (const [code, count] of this.errorCodes) sum.count(COUNTERS.errorCodePrefix + code, count);
      sum.addBins(HISTOGRAMS.latencyMs, this.latency);
    }
    if (this.#extra) sum.add(this.#extra.toData());
    return sum.toData();
  }
}

/** `WindowSum` plus single-bin increments, for other modules' histograms. */
class ExtraSum extends WindowSum {
  addToBin(name: string, bin: number, value: number): void {
    if (!Number.isInteger(bin) || bin < 0) throw new RangeError(`histogram "${name}": bin ${bin} is not an index`);
    const bins = (this.histograms[name] ??= []);
    for (let i = bins.length; i < bin; i++) bins[i] = 0;
    bins[bin] = (bins[bin] ?? 0) + value;
  }
}
