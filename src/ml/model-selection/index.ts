/**
 * Splitting rows for training and evaluation, and cross-validation.
 */
export { GroupKFold, type GroupKFoldOptions } from './group-k-fold.js';
export { groupTrainTestSplit, type GroupTrainTestSplitOptions } from './group-train-test-split.js';
export { KFold, kFold, type KFoldOptions, type KFoldShorthandOptions } from './k-fold.js';
export type { CrossValidator, SplitIndices, SplitInput } from './splits.js';
export { StratifiedKFold } from './stratified-k-fold.js';
export { TimeSeriesSplit, type TimeSeriesSplitOptions } from './time-series-split.js';
export { timeTrainTestSplit, type TimeTrainTestSplitOptions, type TimeValue } from './time-train-test-split.js';
export { trainTestSplit, type SplitArrays, type TrainTestSplitOptions } from './train-test-split.js';
export {
  crossValScore,
  crossValidate,
  type CrossValidateOptions,
  type CrossValidateResult,
  type CvInput,
} from './cross-validate.js';
export {
  getScorer,
  listScorers,
  type ScoreFunction,
  type Scorer,
  type ScorerInput,
  type ScorerName,
  type Scoring,
} from './scorers.js';
