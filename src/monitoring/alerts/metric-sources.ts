import type { MonitoringStore } from '../../store/index.js';
import { summarizeSoftware } from '../metrics/index.js';
import { sumWindows } from '../metrics/index.js';

/**
 * A metric an alert rule can name: its value for one endpoint over [windowStart, windowEnd), or
 * null when there is no data (then the condition does not hold). `metric` is the full name the
 * rule used, so a prefix source (`drift:*`) knows which feature was asked for.
 */
export type MetricSource = (
  endpoint: string,
  windowStart: Date,
  windowEnd: Date,
  metric: string,
) => Promise<number | null> | number | null;

/**
 * Where alert rules find their metrics. The evaluator resolves a rule's `metric` against the
 * software metrics it computes from the windows, then against this registry: the drift and
 * quality monitors register `drift_share`, `drift:<feature>` (a `drift:*` prefix source),
 * `output_drift`, `accuracy` … with `registerMetricSource`.
 */
export class MetricSourceRegistry {
  readonly #exact = new Map<string, MetricSource>();
  readonly #prefixes = new Map<string, MetricSource>();

  /**
   * Registers `source` under `name`; a name ending in `*` (e.g. `drift:*`) matches every metric
   * that starts with what precedes it. Replaces an earlier source of the same name; returns the
   * function that removes it.
   */
  register(name: string, source: MetricSource): () => void {
    if (typeof name !== 'string' || name === '' || name === '*') {
      throw new RangeError(
        `a metric source needs a name, e.g. "drift_share" or "drift:*", not ${JSON.stringify(name)}`,
      );
    }
    const map = name.endsWith('*') ? this.#prefixes : this.#exact;
    const key = name.endsWith('*') ? name.slice(0, -1) : name;
    map.set(key, source);
    return () => {
      if (map.get(key) === source) map.delete(key);
    };
  }

  /** The source of a metric: an exact name first, then the longest matching prefix; null when none. */
  resolve(metric: string): MetricSource | null {
    const exact = this.#exact.get(metric);
    if (exact) return exact;
    let best: [string, MetricSource] | null = null;
    for (const entry of this.#prefixes) {
      if (metric.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best ? best[1] : null;
  }

  /** The names registered, prefixes with their `*`. */
  names(): string[] {
    return [...this.#exact.keys(), ...[...this.#prefixes.keys()].map((prefix) => `${prefix}*`)].sort();
  }
}

/** The process-wide registry the evaluator reads. */
export const metricSources = new MetricSourceRegistry();

/** Registers a metric for alert rules in this process; returns the function that removes it. */
export function registerMetricSource(name: string, source: MetricSource): () => void {
  return metricSources.register(name, source);
}

/** The software metrics alert rules can name, computed from the store's windows. */
export const SOFTWARE_METRICS = [
  'requests',
  'errors',
  'error_rate',
  'throughput_rps',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'latency_mean_ms',
] as const;

/** A registry of the software metrics over `store`'s windows (summed over every variant and process). */
export function softwareMetricSources(store: Pick<MonitoringStore, 'listMetricWindows'>): MetricSourceRegistry {
  const registry = new MetricSourceRegistry();
  const summary = async (endpoint: string, start: Date, end: Date) =>
    summarizeSoftware(
      await sumWindows(store, endpoint, start.getTime(), end.getTime()),
      end.getTime() - start.getTime(),
    );
  const values: Record<(typeof SOFTWARE_METRICS)[number], (s: Awaited<ReturnType<typeof summary>>) => number | null> = {
    requests: (s) => s.requests,
    errors: (s) => s.errors,
    error_rate: (s) => s.errorRate,
    throughput_rps: (s) => s.rps,
    latency_p50_ms: (s) => s.latencyMs.p50,
    latency_p95_ms: (s) => s.latencyMs.p95,
    latency_p99_ms: (s) => s.latencyMs.p99,
    latency_mean_ms: (s) => s.latencyMs.mean,
  };
  for (const name of SOFTWARE_METRICS) {
    registry.register(name, async (endpoint, start, end) => values[name](await summary(endpoint, start, end)));
  }
  return registry;
}
