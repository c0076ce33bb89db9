import type { MetricSeriesKey } from '../../store/index.js';

/**
 * A series is what a window row is about: (endpoint, model, version, variant). Process-level
 * metrics (memory, CPU, event-loop lag) use this reserved key; `_` cannot start an endpoint name,
 * so it never collides with one.
 */
export const PROCESS_SERIES: MetricSeriesKey = Object.freeze({
  endpoint: '_process',
  model: '',
  version: 0,
  variant: '',
});

/** A request refused before a route was chosen (an unknown version, a malformed body) counts here. */
export const NO_ROUTE = Object.freeze({ model: '', version: 0, variant: '' });

/** The width of the buckets the recorder writes: one minute. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** A stable text id of a series key, for maps and merges. */
export function seriesId(key: MetricSeriesKey): string {
  return `${key.endpoint}\u0000${key.model}\u0000${key.version}\u0000${key.variant}`;
}

export function seriesKeyOf(key: MetricSeriesKey): MetricSeriesKey {
  return { endpoint: key.endpoint, model: key.model, version: key.version, variant: key.variant };
}
