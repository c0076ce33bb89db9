export {
  buildReference,
  binCounts,
  categoricalReference,
  numericReference,
  numericReferenceOfSorted,
  quantileSorted,
  sortedBinCounts,
  sortedPresent,
} from './reference.js';
export { psi } from './psi.js';
export { endpointMonitoring, latencyQuantiles, type MonitoringOptions } from './endpoint-monitoring.js';
export {
  LiveDrift,
  endpointDrift,
  featureHistogram,
  outputHistogram,
  type DriftBucket as SeriesDriftBucket,
  type DriftQuery,
  type ReferenceLoader,
  type SeriesDrift,
} from './live-drift.js';
export { variantMonitoring, quantilesOf } from './variants.js';
export { predictionDrift } from './prediction-drift.js';
export { liveQuality, qualitySeries } from './live-quality.js';
export * from './drift/index.js';
export * from './metrics/index.js';
export * from './alerts/index.js';
export { monitoringMetricSources } from './monitoring-sources.js';
