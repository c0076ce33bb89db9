/**
 * Hyperparameter search: grid, random and successive halving, all on one cross-validation primitive.
 */
export { type CandidateResult, type ParamsOf, type SearchFitOptions, type SearchOptions } from './base-search.js';
export {
  loguniform,
  randint,
  sampleParameters,
  uniform,
  type Distribution,
  type ParamDistributions,
} from './distributions.js';
export { GridSearchCV } from './grid-search-cv.js';
export {
  HalvingGridSearchCV,
  HalvingRandomSearchCV,
  type HalvingCandidateResult,
  type HalvingRandomSearchOptions,
  type HalvingSchedule,
  type HalvingSearchOptions,
} from './halving-search-cv.js';
export { ParameterGrid, type ParamGrid } from './parameter-grid.js';
export { RandomizedSearchCV, type RandomizedSearchOptions } from './randomized-search-cv.js';
