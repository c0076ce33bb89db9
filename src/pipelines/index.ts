export { topologicalOrder, type Pipeline, type StepDefinition, type StepMeta } from './dag.js';
export { LocalExecutor, type ExecutorOptions, type PipelineResult, type StepEvent } from './local-executor.js';
export {
  lifecyclePipeline,
  checkSplit,
  decodeSplit,
  planFeatures,
  modelName,
  endpointName,
  type LifecycleContext,
  type LifecycleOutputs,
} from './lifecycle.js';
export { runProject, type RunProjectOptions } from './run-project.js';
export { checkCandidates, greaterIsBetter, selectionMetric, taskStrategy, type TaskStrategy } from './task.js';
export { buildSearch, fitCandidate, scorerFor } from './search.js';
export {
  buildEvaluationReport,
  scoreClassifier,
  scoreRegressor,
  type ReportSettings,
  type ScoredRows,
  type TestRows,
} from './evaluation-report.js';
