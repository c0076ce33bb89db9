import { chiSquareCells } from '../binned.js';
import { chiSquare } from '../stats/chi-square.js';
import type { DriftMethod } from './method.js';

/**
 * Chi-square goodness of fit of the current counts to the reference shares. On a binary
 * feature it has one degree of freedom and equals the one-sample z-test of the proportion
 * (χ² = z²): the reference is the fixed training distribution, not a second sample.
 */
export const chiSquareMethod: DriftMethod = {
  name: 'chisquare',
  title: 'chi-square goodness of fit',
  kinds: ['numeric', 'categorical'],
  verdictBy: 'pValue',
  defaultThreshold: 0.05,
  binned(feature) {
    const { observed, expected } = chiSquareCells(feature);
    const { statistic, pValue } = chiSquare(observed, expected);
    return { statistic, pValue };
  },
};
