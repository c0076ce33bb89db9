import type { BinnedFeature } from '../binned.js';

export type DriftMethodName = 'psi' | 'ks' | 'wasserstein' | 'jensenshannon' | 'chisquare';
export type FeatureKind = 'numeric' | 'categorical';

/** What a test says about one feature. */
export interface MethodOutcome {
  readonly statistic: number;
  /** The test's p-value; null for a distance. */
  readonly pValue: number | null;
}

/** Raw non-missing values of both sides, ascending (numeric features, exact path). */
export interface SortedSamples {
  readonly reference: Float64Array;
  readonly current: Float64Array;
}

/**
 * One drift test. Every test computes from binned counts (the incremental path, and the
 * exact path of the bin-based tests); tests with an exact form on raw values (KS, Wasserstein)
 * also have `exact`. Drift when the p-value is below the threshold (`pValue` tests) or the
 * distance above it.
 */
export interface DriftMethod {
  readonly name: DriftMethodName;
  readonly title: string;
  readonly kinds: readonly FeatureKind[];
  readonly verdictBy: 'pValue' | 'distance';
  readonly defaultThreshold: number;
  binned(feature: BinnedFeature): MethodOutcome;
  exact?(samples: SortedSamples): MethodOutcome;
}
