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
  averagePrecision,
  calibrationCurve,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  mae,
  mape,
  mse,
  precision,
  precisionRecallCurve,
  r2,
  recall,
  rmse,
  rocAuc,
  rocCurve,
  type Average,
  type CalibrationCurve,
  type CalibrationCurveOptions,
  type ClassMetricOptions,
  type ClassificationReport,
  type ClassificationReportInput,
  type ConfusionMatrix,
  type Labels,
  type PrecisionRecallCurve,
  type RocCurve,
  type RocCurveOptions,
  type ScoreOptions,
} from './metrics.js';
export {
  GroupKFold,
  KFold,
  StratifiedKFold,
  TimeSeriesSplit,
  crossValScore,
  crossValidate,
  getScorer,
  groupTrainTestSplit,
  kFold,
  listScorers,
  timeTrainTestSplit,
  trainTestSplit,
  type CrossValidateOptions,
  type CrossValidateResult,
  type CrossValidator,
  type CvInput,
  type GroupKFoldOptions,
  type GroupTrainTestSplitOptions,
  type KFoldOptions,
  type KFoldShorthandOptions,
  type ScoreFunction,
  type Scorer,
  type ScorerInput,
  type ScorerName,
  type Scoring,
  type SplitArrays,
  type SplitIndices,
  type SplitInput,
  type TimeSeriesSplitOptions,
  type TimeTrainTestSplitOptions,
  type TimeValue,
  type TrainTestSplitOptions,
} from './model-selection/index.js';
export {
  GridSearchCV,
  HalvingGridSearchCV,
  HalvingRandomSearchCV,
  ParameterGrid,
  RandomizedSearchCV,
  loguniform,
  randint,
  sampleParameters,
  uniform,
  type CandidateResult,
  type Distribution,
  type HalvingCandidateResult,
  type HalvingRandomSearchOptions,
  type HalvingSchedule,
  type HalvingSearchOptions,
  type ParamDistributions,
  type ParamGrid,
  type ParamsOf,
  type RandomizedSearchOptions,
  type SearchFitOptions,
  type SearchOptions,
} from './search/index.js';

export {
  RandomForestClassifier,
  RandomForestRegressor,
  type RandomForestClassifierParams,
  type RandomForestParams,
  type RandomForestRegressorParams,
} from './ensemble/random-forest.js';
export { IsolationForest, type IsolationForestParams } from './ensemble/isolation-forest.js';
export type { PackedForest } from './ensemble/forest.js';
export {
  WorkerPool,
  closeSharedWorkerPool,
  resolveJobs,
  sharedWorkerPool,
  type RunOptions,
  type WorkerPoolOptions,
} from './parallel/pool.js';
export type { TaskInput, TaskName, TaskOutput } from './parallel/tasks.js';

export { KNeighborsClassifier, KNeighborsRegressor, type KNeighborsParams } from './neighbors/k-neighbors.js';
export type { Neighbors as KNeighborsResult } from './neighbors/brute-force.js';
export { GaussianNB, type GaussianNBParams } from './naive-bayes/gaussian-nb.js';
export { KMeans, type KMeansParams } from './cluster/k-means.js';
export { LinearRegression, type LinearRegressionParams } from './linear/linear-regression.js';
export { Ridge, type RidgeParams } from './linear/ridge.js';

export {
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  type HistGradientBoostingParams,
} from './boosting/hist-gradient-boosting.js';
export type { TreeEnsemble } from './boosting/predictor.js';
