import type { MetricWindowData } from '../../store/index.js';
import { histogramQuantile } from './latency.js';
import { COUNTERS, HISTOGRAMS } from './names.js';

/** The software metrics of an aggregate window (any series, any width). */
export interface SoftwareSummary {
  readonly requests: number;
  readonly rows: number;
  readonly errors: number;
  /** errors ÷ requests; null without requests. */
  readonly errorRate: number | null;
  /** Requests per second over `windowMs`. */
  readonly rps: number;
  readonly latencyMs: {
    readonly mean: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
  };
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Counts by status class (`2xx`…) and by error code. */
  readonly statusClasses: Readonly<Record<string, number>>;
  readonly errorCodes: Readonly<Record<string, number>>;
}

export function summarizeSoftware(data: MetricWindowData, windowMs: number): SoftwareSummary {
  const counter = (name: string) => data.counters[name] ?? 0;
  const requests = counter(COUNTERS.requests);
  const errors = counter(COUNTERS.errors);
  const latency = data.histograms[HISTOGRAMS.latencyMs] ?? [];
  return {
    requests,
    rows: counter(COUNTERS.rows),
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    rps: windowMs > 0 ? requests / (windowMs / 1000) : 0,
    latencyMs: {
      mean: requests > 0 ? counter(COUNTERS.latencySumMs) / requests : null,
      p50: histogramQuantile(latency, 0.5),
      p95: histogramQuantile(latency, 0.95),
      p99: histogramQuantile(latency, 0.99),
    },
    requestBytes: counter(COUNTERS.requestBytes),
    responseBytes: counter(COUNTERS.responseBytes),
    statusClasses: prefixed(data, COUNTERS.statusClassPrefix),
    errorCodes: prefixed(data, COUNTERS.errorCodePrefix),
  };
}

function prefixed(data: MetricWindowData, prefix: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const name in data.counters) if (name.startsWith(prefix)) found[name.slice(prefix.length)] = data.counters[name];
  return found;
}
