import { KeelError, type LatencyQuantiles, type Row } from '../core/index.js';
import { validateRows } from '../data/index.js';
import type { LoadedModel } from './loaded-model.js';

/** Untimed predictions first, so the first, slower calls (compilation, caches) do not count: one pass, at least this many. */
const MIN_WARMUP = 50;

/**
 * Single-row predict latency of a loaded model, in-process: for each row, the work serving does
 * for a one-row request — check the row against the signature, transform it with the fitted
 * features, predict — timed on its own. HTTP parsing and the network come on top of this.
 */
export function measurePredictLatency(
  model: LoadedModel,
  rows: readonly Row[],
): LatencyQuantiles & { readonly rows: number } {
  if (rows.length === 0)
    throw new KeelError('invalid_argument', 'latency needs at least one row to time', { field: 'rows' });
  const predictOne = (row: Row) => {
    const checked = validateRows([row], model.signature.inputs);
    if (!checked.ok) {
      throw new KeelError('invalid_data', `a timed row does not match the signature: ${checked.problems[0].message}`);
    }
    return model.predict(checked.rows);
  };
  for (let i = 0; i < Math.max(MIN_WARMUP, rows.length); i++) predictOne(rows[i % rows.length]);
  const times = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const started = performance.now();
    predictOne(row);
    times[i] = performance.now() - started;
  });
  times.sort();
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99), rows: rows.length };
}

/** Linear interpolation between the closest ranks of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}
