import type { FeatureDrift } from '../../src/core/entities.js';

const METHOD_LABELS: Record<string, string> = {
  ks: 'KS',
  chisquare: 'χ²',
  psi: 'PSI',
  wasserstein: 'Wasserstein',
  jensenshannon: 'Jensen-Shannon',
};

/** The name a drift test goes by on screen (`chisquare` → χ²). */
export function methodLabel(method: string): string {
  return METHOD_LABELS[method] ?? method;
}

/** The p-value the verdict was made on: after the multiple-testing correction when there was one. */
export function verdictPValue(feature: FeatureDrift): number | null {
  return feature.adjustedPValue ?? feature.pValue;
}

/**
 * How far a feature is from its threshold, on one scale for every test: 1 at the threshold,
 * above 1 past it. A distance compares its statistic with the threshold; a test with a p-value
 * compares the evidence against "no drift", −log10 p, with −log10 of the threshold.
 */
export function driftScore(feature: FeatureDrift): number {
  const p = verdictPValue(feature);
  if (p === null) return feature.threshold > 0 ? feature.statistic / feature.threshold : 0;
  return -Math.log10(Math.max(p, 1e-300)) / -Math.log10(feature.threshold);
}
