/**
 * The drift engine: two-sample statistics equal to SciPy's on raw values (KS, Wasserstein,
 * Jensen-Shannon, PSI, chi-square, Benjamini-Hochberg), the same tests on fixed reference bins
 * for live serving (mergeable count sketches, O(bins) memory per feature), Evidently-style
 * defaults and the project file's overrides, and one result shape for both paths.
 * See docs/monitoring.md.
 */
export { driftOfColumns, driftOfSketches, type DatasetDriftResult, type FeatureDriftResult } from './dataset-drift.js';
export { DriftSketch, mergeCounts } from './sketch.js';
export { binLayout, binOf, type BinLayout, type CategoricalBinLayout, type NumericBinLayout } from './bins.js';
export { referenceCount, type BinnedFeature } from './binned.js';
export {
  DEFAULT_DRIFT_SETTINGS,
  autoMethod,
  driftSettings,
  featureMethod,
  type DriftConfig,
  type DriftMethodChoice,
  type DriftSettings,
} from './settings.js';
export {
  DRIFT_METHOD_NAMES,
  driftMethods,
  type DriftMethod,
  type DriftMethodName,
  type FeatureKind,
  type MethodOutcome,
} from './methods/index.js';
export {
  OUTPUT_LABEL,
  OUTPUT_VALUE,
  followedClasses,
  outputField,
  outputProbability,
  outputReference,
  outputTable,
  type ModelOutputs,
} from './output.js';
export { ks2samp, ks2sampSorted, ksPValue, type KsResult } from './stats/ks.js';
export { kolmogorovSf, smirnovSf } from './stats/kolmogorov.js';
export { wassersteinDistance, wassersteinSorted, normalizedWasserstein, populationStd } from './stats/wasserstein.js';
export { jensenShannon } from './stats/jensen-shannon.js';
export { populationStabilityIndex, MIN_SHARE } from './stats/psi.js';
export { psiSorted } from './exact.js';
export { chiSquare, type ChiSquareResult } from './stats/chi-square.js';
export { chiSquareSf, logGamma, regularizedGammaQ } from './stats/special.js';
export { benjaminiHochberg } from './stats/benjamini-hochberg.js';
