export {
  ServingRuntime,
  type PredictOptions,
  type PredictResult,
  type ServedRoute,
  type ServingOptions,
} from './serving-runtime.js';
export { MicroBatcher, DEFAULT_MICRO_BATCH, type BatchRunner, type MicroBatchSettings } from './micro-batcher.js';
export { PredictionLog, type PredictionLogOptions, type PredictionLogStore } from './prediction-log.js';
export { ThreadedLogWriter } from './log-writer.js';
export { decodeRecords, encodeRecords, type EncodedRecords } from './record-codec.js';
export { chooseRoute } from './routing.js';
export {
  deploy,
  deployDirect,
  describePolicy,
  promote,
  rollback,
  type Deployment,
  type EndpointChange,
} from './deploy.js';
export {
  directPolicy,
  routeRequest,
  strategies,
  strategyNames,
  strategyOf,
  type DeploymentRequest,
  type RouteChoice,
  type TrafficStrategy,
} from './strategies/index.js';
export { ShadowRunner, type ShadowJob, type ShadowOptions, type ShadowStats } from './shadow-runner.js';
export * from './rollout/index.js';
export { recordFeedback, type FeedbackInput, type FeedbackOptions, type FeedbackResult } from './feedback.js';
export { batchPredict, resolveBatchModel, type BatchPredictOptions, type BatchPredictResult } from './batch-predict.js';
