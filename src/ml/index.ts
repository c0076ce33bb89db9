/**
 * Keel's estimators, metrics and model selection. Other modules import only from here.
 */
export {
  Classifier,
  Estimator,
  Regressor,
  isClassifier,
  isRegressor,
  type ClassifierState,
  type EstimatorClass,
  type EstimatorJSON,
  type EstimatorTags,
  type FittedState,
  type Float64Matrix,
} from './estimator.js';
export type { JsonObject, JsonValue } from './json.js';
export { encodeLabels, type ClassLabel, type EncodedLabels, type TargetInput } from './labels.js';
export type { MatrixInput } from './matrix.js';
export type { ParamSpec, ParamSpecs, ParamValue as EstimatorParamValue } from './params.js';
export { Rng } from './random.js';
export {
  createEstimator,
  estimatorClass,
  estimatorFromJSON,
  listAlgorithms,
  type Algorithm,
  type EstimatorFor,
} from './registry.js';

export { LogisticRegression, type LogisticRegressionParams } from './linear/logistic-regression.js';
export {
  minimizeLbfgs,
  type LbfgsOptions,
  type LbfgsResult,
  type Objective,
  type StopReason,
} from './optimize/lbfgs.js';
export {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  type DecisionTreeClassifierParams,
  type DecisionTreeRegressorParams,
  type MaxFeatures,
  type TreeGrowthParams,
} from './tree/decision-tree.js';
export type { TreeArrays } from './tree/tree.js';

export {
  accuracy,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  mae,
  mape,
  precision,
  r2,
  recall,
  rmse,
  rocAuc,
  type Average,
  type ClassMetricOptions,
  type ClassificationReport,
  type ClassificationReportInput,
  type ConfusionMatrix,
  type Labels,
  type ScoreOptions,
} from './metrics.js';
export {
  kFold,
  trainTestSplit,
  type KFoldOptions,
  type SplitIndices,
  type TrainTestSplitOptions,
} from './model-selection.js';
