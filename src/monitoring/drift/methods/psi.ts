import { shareVectors } from '../binned.js';
import { populationStabilityIndex } from '../stats/psi.js';
import type { DriftMethod } from './method.js';

/** PSI over decile bins (numeric) or categories (+ unseen), missing as one more bin. */
export const psiMethod: DriftMethod = {
  name: 'psi',
  title: 'population stability index',
  kinds: ['numeric', 'categorical'],
  verdictBy: 'distance',
  // The common rule of thumb (0.1–0.2 "some shift", > 0.2 "significant"); Keel's default before.
  defaultThreshold: 0.2,
  binned(feature) {
    const { expected, actual } = shareVectors(feature, false);
    return { statistic: populationStabilityIndex(expected, actual), pValue: null };
  },
};
