export { buildReference, binCounts, quantileSorted } from './reference.js';
export { psi } from './psi.js';
export {
  endpointMonitoring,
  latencyQuantiles,
  type MonitoringOptions,
  type ReferenceLoader,
} from './endpoint-monitoring.js';
export { variantMonitoring, quantilesOf } from './variants.js';
export { predictionDrift } from './prediction-drift.js';
export { liveQuality } from './live-quality.js';
