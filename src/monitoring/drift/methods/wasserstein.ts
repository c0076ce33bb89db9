import { binnedWasserstein } from '../binned.js';
import { normalizedWasserstein, populationStd, wassersteinSorted } from '../stats/wasserstein.js';
import type { DriftMethod } from './method.js';

/**
 * Normalised Wasserstein distance (Evidently's): W₁ / max(std of the reference, 0.001). Exact:
 * SciPy's `wasserstein_distance` on the raw values; binned: see `binnedWasserstein`.
 */
export const wassersteinMethod: DriftMethod = {
  name: 'wasserstein',
  title: 'normalised Wasserstein distance',
  kinds: ['numeric'],
  verdictBy: 'distance',
  defaultThreshold: 0.1,
  binned(feature) {
    const { distance, referenceStd } = binnedWasserstein(feature);
    return { statistic: normalizedWasserstein(distance, referenceStd), pValue: null };
  },
  exact({ reference, current }) {
    return {
      statistic: normalizedWasserstein(wassersteinSorted(reference, current), populationStd(reference)),
      pValue: null,
    };
  },
};
