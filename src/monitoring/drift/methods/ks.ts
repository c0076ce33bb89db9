import { binnedKsStatistic, currentRows } from '../binned.js';
import { ks2sampSorted, ksPValue } from '../stats/ks.js';
import type { DriftMethod } from './method.js';

/**
 * Two-sample Kolmogorov-Smirnov. Exact: SciPy's `ks_2samp` on the raw values. Binned: the
 * largest CDF gap at the bin edges, with the p-value of that gap for the two sample sizes
 * (slightly conservative, as binning can only hide part of a gap).
 */
export const ksMethod: DriftMethod = {
  name: 'ks',
  title: 'Kolmogorov-Smirnov',
  kinds: ['numeric'],
  verdictBy: 'pValue',
  defaultThreshold: 0.05,
  binned(feature) {
    const { present } = currentRows(feature);
    const { statistic, pValue } = ksPValue(binnedKsStatistic(feature), feature.referenceCount, present);
    return { statistic, pValue };
  },
  exact({ reference, current }) {
    const { statistic, pValue } = ks2sampSorted(reference, current);
    return { statistic, pValue };
  },
};
