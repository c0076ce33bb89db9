/**
 * The names the recorder gives the counters and histograms of its series. Other modules add
 * their own names to the same windows (see `MetricsRecorder.series`); these are reserved.
 */
export const COUNTERS = {
  requests: 'requests',
  rows: 'rows',
  /** Requests answered with a status ≥ 400. */
  errors: 'errors',
  latencySumMs: 'latency_ms_sum',
  requestBytes: 'request_bytes',
  responseBytes: 'response_bytes',
  /** `status:2xx` … `status:5xx`: requests by status class. */
  statusClassPrefix: 'status:',
  /** `error:<code>`: failed requests by Keel error code (or status when there is none). */
  errorCodePrefix: 'error:',
} as const;

export const HISTOGRAMS = {
  latencyMs: 'latency_ms',
} as const;

/** Counters of the process series: sums over samples, so a window's mean is `…_sum / samples`. */
export const PROCESS_COUNTERS = {
  samples: 'samples',
  rssBytesSum: 'rss_bytes_sum',
  heapUsedBytesSum: 'heap_used_bytes_sum',
  heapTotalBytesSum: 'heap_total_bytes_sum',
  cpuUserUs: 'cpu_user_us',
  cpuSystemUs: 'cpu_system_us',
  eventLoopLagMeanMsSum: 'event_loop_lag_mean_ms_sum',
  eventLoopLagP99MsSum: 'event_loop_lag_p99_ms_sum',
  eventLoopLagMaxMsSum: 'event_loop_lag_max_ms_sum',
} as const;

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
