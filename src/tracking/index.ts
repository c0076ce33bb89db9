export { Tracker, ActiveRun, type StartRunInput } from './tracker.js';
export { parseRunFilter, parseRunOrder } from './filter.js';
export { searchRuns, type RunSearchRequest } from './search-runs.js';
export { compareRuns, type RunComparison } from './compare.js';
export { gitCommitOf, resolveRunSource, type RunSourceInput } from './source.js';
