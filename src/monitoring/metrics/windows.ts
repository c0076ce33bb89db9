import { invalidArgument } from '../../core/index.js';
import type { MetricSeriesKey, MetricWindowData, MonitoringStore } from '../../store/index.js';
import { HOUR_MS, MINUTE_MS, seriesId, seriesKeyOf } from './series.js';
import { WindowSum } from './window-data.js';

/** A time range of one endpoint's windows, merged into buckets of `bucketMs`. */
export interface WindowQuery {
  readonly endpoint: string;
  /** Inclusive start and exclusive end: Date, ms since the epoch or ISO-8601 text. */
  readonly since: Date | number | string;
  readonly until: Date | number | string;
  /** Width of the merged buckets, a multiple of one minute; default: chosen for ≤ 360 buckets. */
  readonly bucketMs?: number;
  readonly variant?: string;
  readonly model?: string;
  readonly version?: number;
}

/** One series (summed over every process) in one merged bucket. */
export interface SeriesWindow extends MetricSeriesKey {
  readonly data: MetricWindowData;
}

export interface MergedBucket {
  /** ISO-8601; buckets are aligned to multiples of `bucketMs` since the epoch. */
  readonly start: string;
  readonly bucketMs: number;
  /** Per series, in series order; empty buckets are included (an idle minute is data too). */
  readonly series: readonly SeriesWindow[];
}

/** Widths `queryWindows` picks from for long ranges (downsampling). */
const BUCKET_CHOICES = [MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS];
const MAX_DEFAULT_BUCKETS = 360;
/** A query may ask for at most this many buckets (a bound on the response size). */
const MAX_BUCKETS = 10_000;

type WindowReader = Pick<MonitoringStore, 'listMetricWindows'>;

/**
 * Reads an endpoint's windows and merges them by addition: every process's row of a series and
 * every stored bucket (minute, or hourly after compaction) that starts inside a merged bucket.
 * So a long range is downsampled by choosing a wider `bucketMs`; a merged bucket narrower than
 * a compacted hourly row holds the whole hour in the bucket where it starts.
 */
export async function queryWindows(store: WindowReader, query: WindowQuery): Promise<MergedBucket[]> {
  const since = toMs(query.since, 'since');
  const until = toMs(query.until, 'until');
  if (until <= since) throw invalidArgument(`until must be after since`, { field: 'until' });
  const bucketMs = query.bucketMs ?? defaultBucketMs(until - since);
  if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0 || bucketMs % MINUTE_MS !== 0) {
    throw invalidArgument(`bucket must be a whole number of minutes, not ${bucketMs} ms`, { field: 'bucket' });
  }
  const first = Math.floor(since / bucketMs) * bucketMs;
  const count = Math.ceil((until - first) / bucketMs);
  if (count > MAX_BUCKETS) {
    throw invalidArgument(
      `the range holds ${count} buckets of ${bucketMs / MINUTE_MS} min; the limit is ${MAX_BUCKETS}`,
      {
        field: 'bucket',
      },
    );
  }
  const rows = await store.listMetricWindows({
    endpoint: query.endpoint,
    since: new Date(first).toISOString(),
    until: new Date(until).toISOString(),
    ...(query.variant !== undefined ? { variant: query.variant } : {}),
    ...(query.model !== undefined ? { model: query.model } : {}),
    ...(query.version !== undefined ? { version: query.version } : {}),
  });
  const buckets = Array.from({ length: count }, () => new Map<string, { key: MetricSeriesKey; sum: WindowSum }>());
  for (const row of rows) {
    const index = Math.floor((Date.parse(row.bucketStart) - first) / bucketMs);
    const bucket = buckets[index];
    if (!bucket) continue;
    const id = seriesId(row);
    let entry = bucket.get(id);
    if (!entry) bucket.set(id, (entry = { key: seriesKeyOf(row), sum: new WindowSum() }));
    entry.sum.add(row.data);
  }
  return buckets.map((bucket, i) => ({
    start: new Date(first + i * bucketMs).toISOString(),
    bucketMs,
    series: [...bucket.values()]
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ key, sum }) => ({ ...key, data: sum.toData() })),
  }));
}

/**
 * One endpoint's windows over a range summed into one aggregate (all series, or those `filter`
 * keeps): what an alert rule's metric reads. Every minute bucket that overlaps [since, until]
 * counts, so the minute in progress (which starts before `until`) is included.
 */
export async function sumWindows(
  store: WindowReader,
  endpoint: string,
  since: number,
  until: number,
  filter: (key: MetricSeriesKey) => boolean = () => true,
): Promise<MetricWindowData> {
  const rows = await store.listMetricWindows({
    endpoint,
    since: new Date(Math.floor(since / MINUTE_MS) * MINUTE_MS).toISOString(),
    until: new Date(until + 1).toISOString(),
  });
  const sum = new WindowSum();
  for (const row of rows) if (filter(row)) sum.add(row.data);
  return sum.toData();
}

export interface CompactionOptions {
  /** ms since the epoch. */
  readonly now: number;
  /** Minute buckets older than this (ms) become hourly; default 7 days. */
  readonly retentionMs?: number;
}

/**
 * Rolls minute buckets older than the retention into hourly ones. Only whole hours are rolled
 * (the cut-off is floored to an hour), and the store makes it safe for several processes at once.
 */
export async function compactWindows(
  store: Pick<MonitoringStore, 'compactMetricWindows'>,
  options: CompactionOptions,
): Promise<number> {
  const retentionMs = options.retentionMs ?? 7 * 24 * HOUR_MS;
  const before = Math.floor((options.now - retentionMs) / HOUR_MS) * HOUR_MS;
  return store.compactMetricWindows({
    fromBucketMs: MINUTE_MS,
    toBucketMs: HOUR_MS,
    before: new Date(before).toISOString(),
  });
}

export function defaultBucketMs(rangeMs: number): number {
  return BUCKET_CHOICES.find((width) => rangeMs / width <= MAX_DEFAULT_BUCKETS) ?? BUCKET_CHOICES.at(-1)!;
}

function toMs(value: Date | number | string, field: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw invalidArgument(`${field} must be a time (ISO-8601), not "${String(value)}"`, { field });
  return ms;
}

function compareKeys(a: MetricSeriesKey, b: MetricSeriesKey): number {
  return cmp(a.endpoint, b.endpoint) || cmp(a.variant, b.variant) || cmp(a.model, b.model) || a.version - b.version;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
