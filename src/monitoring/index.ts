export { buildReference, binCounts, quantileSorted } from './reference.js';
export { psi } from './psi.js';
export {
  endpointMonitoring,
  latencyQuantiles,
  type MonitoringOptions,
  type ReferenceLoader,
} from './endpoint-monitoring.js';
