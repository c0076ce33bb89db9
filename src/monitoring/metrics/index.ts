export {
  MetricsRecorder,
  type MetricsRecorderOptions,
  type MetricsSink,
  type RequestObservation,
  type SeriesHandle,
} from './recorder.js';
export {
  queryWindows,
  sumWindows,
  compactWindows,
  defaultBucketMs,
  type WindowQuery,
  type MergedBucket,
  type SeriesWindow,
  type CompactionOptions,
} from './windows.js';
export { endpointTimeSeries, type EndpointTimeSeries, type TimeSeriesBucket } from './time-series.js';
export { summarizeSoftware, type SoftwareSummary } from './software-metrics.js';
export { LATENCY_BOUNDS_MS, LATENCY_BINS, latencyBin, histogramQuantile } from './latency.js';
export { COUNTERS, HISTOGRAMS, PROCESS_COUNTERS } from './names.js';
export { PROCESS_SERIES, NO_ROUTE, MINUTE_MS, HOUR_MS, seriesId } from './series.js';
export { WindowSum, sumWindowData } from './window-data.js';
export {
  PrometheusExporter,
  GaugeSourceRegistry,
  gaugeSources,
  registerGaugeSource,
  type GaugeSource,
  type GaugeSample,
  type PrometheusExporterOptions,
} from './prometheus.js';
