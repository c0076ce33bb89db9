/**
 * Benjamini-Hochberg adjusted p-values (false discovery rate), as
 * `scipy.stats.false_discovery_control(ps, method='bh')` and statsmodels' `fdr_bh`:
 * sorted ascending, p₍ᵢ₎ · m / i, made monotone from the largest down, capped at 1. A feature is
 * then drifted when its adjusted p-value is below the threshold, which keeps the expected share
 * of false alarms among the flagged features at that level however many features are tested.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const index = order[rank - 1];
    running = Math.min(running, (pValues[index] * m) / rank);
    adjusted[index] = Math.min(running, 1);
  }
  return adjusted;
}
