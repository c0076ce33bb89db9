/**
 * Latency histogram bounds: log-spaced, ten per decade, from 0.1 ms to 63 s (59 bounds; a 60th
 * bin takes anything slower). Fixed bounds make every window of every process mergeable by
 * adding bins, and ten per decade keeps an interpolated quantile within about 13 % of the truth.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(
  Array.from({ length: 59 }, (_, k) => Number((0.1 * 10 ** (k / 10)).toPrecision(3))),
);

/** Bins of a latency histogram: one per bound, then the overflow bin. */
export const LATENCY_BINS = LATENCY_BOUNDS_MS.length + 1;

/** The bin of a latency: the first bound ≥ it (binary search: a handful of comparisons). */
export function latencyBin(latencyMs: number): number {
  const bounds = LATENCY_BOUNDS_MS;
  if (!(latencyMs <= bounds[bounds.length - 1])) return bounds.length; // also NaN
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < latencyMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The q-quantile (0 < q ≤ 1) of a histogram over `bounds`, interpolated linearly inside its bin
 * as Prometheus' `histogram_quantile` does (the first bin starts at 0; the overflow bin answers
 * its lower bound). Null for an empty histogram.
 */
export function histogramQuantile(
  bins: ArrayLike<number>,
  q: number,
  bounds: readonly number[] = LATENCY_BOUNDS_MS,
): number | null {
  let total = 0;
  for (let i = 0; i < bins.length; i++) total += bins[i];
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    const count = bins[i];
    if (count > 0 && seen + count >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return bounds[bounds.length - 1];
}
