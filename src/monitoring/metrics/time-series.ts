import type { MonitoringStore } from '../../store/index.js';
import { summarizeSoftware, type SoftwareSummary } from './software-metrics.js';
import { queryWindows, type WindowQuery } from './windows.js';
import { WindowSum } from './window-data.js';

export interface TimeSeriesBucket extends SoftwareSummary {
  readonly start: string;
  /** The same metrics per variant that served in the bucket ('' for refused requests). */
  readonly variants: Readonly<Record<string, SoftwareSummary>>;
}

export interface EndpointTimeSeries {
  readonly endpoint: string;
  readonly since: string;
  readonly until: string;
  readonly bucketMs: number;
  readonly buckets: readonly TimeSeriesBucket[];
}

/** An endpoint's software metrics per bucket, overall and per variant: what the dashboard charts. */
export async function endpointTimeSeries(
  store: Pick<MonitoringStore, 'listMetricWindows'>,
  query: WindowQuery,
): Promise<EndpointTimeSeries> {
  const merged = await queryWindows(store, query);
  const bucketMs = merged[0]?.bucketMs ?? query.bucketMs ?? 0;
  return {
    endpoint: query.endpoint,
    since: new Date(query.since).toISOString(),
    until: new Date(query.until).toISOString(),
    bucketMs,
    buckets: merged.map((bucket) => {
      const total = new WindowSum();
      const byVariant = new Map<string, WindowSum>();
      for (const series of bucket.series) {
        total.add(series.data);
        let sum = byVariant.get(series.variant);
        if (!sum) byVariant.set(series.variant, (sum = new WindowSum()));
        sum.add(series.data);
      }
      return {
        start: bucket.start,
        ...summarizeSoftware(total.toData(), bucket.bucketMs),
        variants: Object.fromEntries(
          [...byVariant].map(([variant, sum]) => [variant, summarizeSoftware(sum.toData(), bucket.bucketMs)]),
        ),
      };
    }),
  };
}
