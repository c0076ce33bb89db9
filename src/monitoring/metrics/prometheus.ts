import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricType } from 'prom-client';
import type { MetricSeriesKey, MetricTotal, MetricWindowData, MonitoringStore } from '../../store/index.js';
import { LATENCY_BOUNDS_MS } from './latency.js';
import { COUNTERS, HISTOGRAMS, PROCESS_COUNTERS } from './names.js';
import type { MetricsRecorder } from './recorder.js';
import { MINUTE_MS, PROCESS_SERIES, seriesId, seriesKeyOf } from './series.js';
import { WindowSum } from './window-data.js';

/** One value of a gauge another module exposes on `/metrics` (e.g. drift score per feature). */
export interface GaugeSample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A gauge whose values are read at every scrape. The drift and quality monitors register theirs
 * (`keel_drift_score{endpoint,feature}`, `keel_live_accuracy{endpoint}` …) with `registerGaugeSource`.
 */
export interface GaugeSource {
  /** A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, by convention starting `keel_`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  collect(): Promise<readonly GaugeSample[]> | readonly GaugeSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The gauge sources `/metrics` reads; `gaugeSources` is the process-wide one. */
export class GaugeSourceRegistry {
  readonly #sources = new Map<string, GaugeSource>();

  /** Adds a source (replacing one of the same name); returns the function that removes it. */
  register(source: GaugeSource): () => void {
    if (!METRIC_NAME.test(source.name)) {
      throw new RangeError(`gauge source name "${source.name}" is not a Prometheus metric name`);
    }
    this.#sources.set(source.name, source);
    return () => {
      if (this.#sources.get(source.name) === source) this.#sources.delete(source.name);
    };
  }

  list(): GaugeSource[] {
    return [...this.#sources.values()];
  }
}

export const gaugeSources = new GaugeSourceRegistry();

/** Registers a gauge on every `/metrics` of this process; returns the function that removes it. */
export function registerGaugeSource(source: GaugeSource): () => void {
  return gaugeSources.register(source);
}

export interface PrometheusExporterOptions {
  readonly store: Pick<MonitoringStore, 'listMetricTotals' | 'listMetricWindows'>;
  /** This process's recorder, flushed before each scrape so the answer includes its latest requests. */
  readonly recorder?: MetricsRecorder;
  readonly gauges?: GaugeSourceRegistry;
  /** prom-client's process and Node.js metrics of this process (default true). */
  readonly defaultMetrics?: boolean;
  readonly now?: () => number;
}

const SERIES_LABELS = ['endpoint', 'model', 'version', 'variant'] as const;
type SeriesLabel = (typeof SERIES_LABELS)[number];
const BOUNDS_SECONDS = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);

interface Snapshot {
  readonly series: ReadonlyArray<{ key: MetricSeriesKey; data: MetricWindowData }>;
  readonly processTotals: readonly MetricTotal[];
  readonly processLatest: ReadonlyArray<{ processId: string; data: MetricWindowData }>;
}

/**
 * `/metrics` in Prometheus' text format, from the store: each series' counters and latency
 * histogram are the sum of every process's lifetime totals, so every worker of
 * `keel server --workers N` (and every replica on the same store) answers with the same,
 * monotonic numbers however scrapes are balanced. Per-process gauges (memory, event-loop lag)
 * come from each process's latest minute, labelled `process`; prom-client's default metrics
 * describe the process that answered. Registered gauge sources are read at scrape time.
 */
export class PrometheusExporter {
  readonly registry = new Registry();
  readonly #options: PrometheusExporterOptions;
  readonly #gauges: GaugeSourceRegistry;
  readonly #sourceGauges = new Map<GaugeSource, Gauge<string>>();
  #snapshot: Snapshot = { series: [], processTotals: [], processLatest: [] };

  constructor(options: PrometheusExporterOptions) {
    this.#options = options;
    this.#gauges = options.gauges ?? gaugeSources;
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named `_total`, which `promtool check metrics` rejects; the same counts are in
      // `nodejs_active_handles` / `nodejs_active_requests` / `nodejs_active_resources` by type.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        this.registry.removeSingleMetric(name);
      }
    }
    this.#defineSeriesMetrics();
    this.#defineProcessMetrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Flushes this process's recorder, reads the store and renders every metric. */
  async metrics(): Promise<string> {
    await this.#options.recorder?.flush().catch(() => {}); // a failed flush is logged by the recorder; serve what is stored
    this.#snapshot = await this.#readSnapshot();
    this.#syncGaugeSources();
    return this.registry.metrics();
  }

  async #readSnapshot(): Promise<Snapshot> {
    const { store } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    const [totals, recent] = await Promise.all([
      store.listMetricTotals(),
      store.listMetricWindows({
        endpoint: PROCESS_SERIES.endpoint,
        since: new Date(now - 2 * MINUTE_MS).toISOString(),
        until: new Date(now + MINUTE_MS).toISOString(),
        bucketMs: MINUTE_MS,
      }),
    ]);
    const bySeries = new Map<string, { key: MetricSeriesKey; sum: WindowSum }>();
    const processTotals: MetricTotal[] = [];
    for (const total of totals) {
      if (total.endpoint === PROCESS_SERIES.endpoint) {
        processTotals.push(total);
        continue;
      }
      const id = seriesId(total);
      let entry = bySeries.get(id);
      if (!entry) bySeries.set(id, (entry = { key: seriesKeyOf(total), sum: new WindowSum() }));
      entry.sum.add(total.data);
    }
    // Rows come in bucket order, so the last one per process is its latest minute.
    const latest = new Map<string, MetricWindowData>();
    for (const row of recent) latest.set(row.processId, row.data);
    return {
      series: [...bySeries.values()].map(({ key, sum }) => ({ key, data: sum.toData() })),
      processTotals,
      processLatest: [...latest].map(([processId, data]) => ({ processId, data })),
    };
  }

  #defineSeriesMetrics(): void {
    const registers = [this.registry];
    const labelNames = [...SERIES_LABELS];
    // Each metric's `collect` refers to the metric itself; prom-client calls it before every render.
    for (const [name, help, counterName] of [
      ['keel_requests_total', 'Requests to an endpoint, answered or refused', COUNTERS.requests],
      ['keel_request_rows_total', 'Rows carried by requests', COUNTERS.rows],
      ['keel_request_errors_total', 'Requests answered with a status of 400 or more', COUNTERS.errors],
      ['keel_request_bytes_total', 'Bytes of request bodies', COUNTERS.requestBytes],
      ['keel_response_bytes_total', 'Bytes of response bodies', COUNTERS.responseBytes],
    ] as const) {
      const own: Counter<SeriesLabel> = new Counter({
        name,
        help,
        labelNames,
        registers,
        collect: () => {
          own.reset();
          for (const { key, data } of this.#snapshot.series) own.inc(labelsOf(key), data.counters[counterName] ?? 0);
        },
      });
    }

    for (const [name, help, prefix, label] of [
      ['keel_responses_by_status_total', 'Requests by status class', COUNTERS.statusClassPrefix, 'status_class'],
      ['keel_errors_by_code_total', 'Failed requests by Keel error code', COUNTERS.errorCodePrefix, 'code'],
    ] as const) {
      const own: Counter<string> = new Counter({
        name,
        help,
        labelNames: [...SERIES_LABELS, label],
        registers,
        collect: () => {
          own.reset();
          for (const { key, data } of this.#snapshot.series) {
            for (const counterName in data.counters) {
              if (!counterName.startsWith(prefix)) continue;
              own.inc({ ...labelsOf(key), [label]: counterName.slice(prefix.length) }, data.counters[counterName]);
            }
          }
        },
      });
    }

    this.registry.registerMetric(
      new StoredHistogram(
        'keel_request_duration_seconds',
        'Latency of requests to an endpoint, from the first byte in to the last byte out',
        () =>
          this.#snapshot.series.map(({ key, data }) => ({
            labels: labelsOf(key),
            bins: data.histograms[HISTOGRAMS.latencyMs] ?? [],
            sum: (data.counters[COUNTERS.latencySumMs] ?? 0) / 1000,
          })),
      ),
    );
  }

  #defineProcessMetrics(): void {
    const registers = [this.registry];
    const latestGauge = (name: string, help: string, value: (data: MetricWindowData) => number | null) => {
      const own: Gauge<'process'> = new Gauge({
        name,
        help,
        labelNames: ['process'],
        registers,
        collect: () => {
          own.reset();
          for (const { processId, data } of this.#snapshot.processLatest) {
            const found = value(data);
            if (found !== null) own.set({ process: processId }, found);
          }
        },
      });
    };
    const mean =
      (counter: string, scale = 1) =>
      (data: MetricWindowData) => {
        const samples = data.counters[PROCESS_COUNTERS.samples] ?? 0;
        return samples > 0 ? ((data.counters[counter] ?? 0) / samples) * scale : null;
      };
    latestGauge(
      'keel_worker_resident_memory_bytes',
      'Resident memory of each serving process (mean of its latest minute)',
      mean(PROCESS_COUNTERS.rssBytesSum),
    );
    latestGauge(
      'keel_worker_heap_used_bytes',
      'V8 heap in use in each serving process (mean of its latest minute)',
      mean(PROCESS_COUNTERS.heapUsedBytesSum),
    );
    latestGauge(
      'keel_worker_event_loop_lag_p99_seconds',
      'p99 event-loop delay of each serving process (mean over its latest minute)',
      mean(PROCESS_COUNTERS.eventLoopLagP99MsSum, 1 / 1000),
    );
    const cpu: Counter<'process'> = new Counter({
      name: 'keel_worker_cpu_seconds_total',
      help: 'CPU time (user + system) of each serving process',
      labelNames: ['process'],
      registers,
      collect: () => {
        cpu.reset();
        for (const total of this.#snapshot.processTotals) {
          const us =
            (total.data.counters[PROCESS_COUNTERS.cpuUserUs] ?? 0) +
            (total.data.counters[PROCESS_COUNTERS.cpuSystemUs] ?? 0);
          cpu.inc({ process: total.processId }, us / 1e6);
        }
      },
    });
  }

  /** Gives each registered source a gauge on this registry (sources may register after start-up). */
  #syncGaugeSources(): void {
    const sources = new Set(this.#gauges.list());
    for (const [source, gauge] of this.#sourceGauges) {
      if (!sources.has(source)) {
        this.registry.removeSingleMetric(source.name);
        void gauge;
        this.#sourceGauges.delete(source);
      }
    }
    for (const source of sources) {
      if (this.#sourceGauges.has(source)) continue;
      if (this.registry.getSingleMetric(source.name)) this.registry.removeSingleMetric(source.name);
      const gauge: Gauge<string> = new Gauge({
        name: source.name,
        help: source.help,
        labelNames: [...source.labelNames],
        registers: [this.registry],
        collect: async () => {
          gauge.reset();
          for (const sample of await source.collect()) {
            if (Number.isFinite(sample.value)) gauge.set({ ...sample.labels }, sample.value);
          }
        },
      });
      this.#sourceGauges.set(source, gauge);
    }
  }
}

function labelsOf(key: MetricSeriesKey): Record<SeriesLabel, string> {
  return { endpoint: key.endpoint, model: key.model, version: String(key.version), variant: key.variant };
}

interface StoredHistogramValue {
  readonly labels: Record<string, string>;
  readonly bins: readonly number[];
  readonly sum: number;
}

/**
 * A histogram whose buckets come from the store rather than from `observe` calls: prom-client's
 * Histogram renders it, `get` supplies the cumulative bucket counts of the latency bounds.
 */
class StoredHistogram extends Histogram<string> {
  readonly #name: string;
  readonly #help: string;
  readonly #values: () => readonly StoredHistogramValue[];

  constructor(name: string, help: string, values: () => readonly StoredHistogramValue[]) {
    super({ name, help, labelNames: [...SERIES_LABELS], buckets: BOUNDS_SECONDS, registers: [] });
    this.#name = name;
    this.#help = help;
    this.#values = values;
  }

  override async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const { labels, bins, sum } of this.#values()) {
      let cumulative = 0;
      BOUNDS_SECONDS.forEach((bound, i) => {
        cumulative += bins[i] ?? 0;
        values.push({ metricName: `${this.#name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      cumulative += bins[BOUNDS_SECONDS.length] ?? 0;
      values.push({ metricName: `${this.#name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.#name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.#name}_count`, labels, value: cumulative });
    }
    return {
      name: this.#name,
      help: this.#help,
      // prom-client's typings declare a numeric enum that its JavaScript does not export; the registry compares the text.
      type: 'histogram' as unknown as MetricType,
      aggregator: 'sum' as const,
      values,
      collect: () => undefined,
    };
  }

  /** prom-client's registry renders from this when a metric has it. */
  getForPromString() {
    return this.get();
  }
}
