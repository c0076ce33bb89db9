export { ServingRuntime, type PredictResult, type ServingOptions } from './serving-runtime.js';
export { PredictionLog, type PredictionLogOptions } from './prediction-log.js';
export { chooseRoute } from './routing.js';
export { deployDirect } from './deploy.js';
