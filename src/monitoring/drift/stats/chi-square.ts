import { chiSquareSf } from './special.js';

export interface ChiSquareResult {
  readonly statistic: number;
  /** Degrees of freedom: cells − 1. */
  readonly df: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness of fit, as `scipy.stats.chisquare(observed, expected)`:
 * Σ (o − e)² / e over the cells, p = P(χ²_{k−1} ≥ statistic). A cell expected empty but observed
 * makes the statistic infinite and p 0 (a value the reference never had). Cells expected and
 * observed empty are dropped: they carry no information (SciPy would return NaN for them).
 */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  if (observed.length !== expected.length) throw new RangeError('chiSquare: observed and expected need the same cells');
  let statistic = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i];
    const e = expected[i];
    if (e === 0 && o === 0) continue;
    cells++;
    statistic += e === 0 ? Infinity : (o - e) ** 2 / e;
  }
  const df = Math.max(cells - 1, 0);
  if (df === 0) return { statistic: 0, df, pValue: 1 };
  return { statistic, df, pValue: chiSquareSf(statistic, df) };
}
