import { shareVectors } from '../binned.js';
import { jensenShannon } from '../stats/jensen-shannon.js';
import type { DriftMethod } from './method.js';

/** Jensen-Shannon distance (natural log) over the same bins as PSI, without flooring. */
export const jensenShannonMethod: DriftMethod = {
  name: 'jensenshannon',
  title: 'Jensen-Shannon distance',
  kinds: ['numeric', 'categorical'],
  verdictBy: 'distance',
  defaultThreshold: 0.1,
  binned(feature) {
    const { expected, actual } = shareVectors(feature, true);
    return { statistic: jensenShannon(expected, actual), pValue: null };
  },
};
