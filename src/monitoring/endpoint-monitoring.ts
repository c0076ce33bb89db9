import type {
  EndpointMonitoring,
  FeatureDrift,
  FeatureReference,
  LatencyBucket,
  LatencyQuantiles,
  RequestRecord,
} from '../core/index.js';
import { notFound } from '../core/index.js';
import type { MetadataStore } from '../store/index.js';
import { DEFAULT_DRIFT_SETTINGS, type DatasetDriftResult, type DriftSettings } from './drift/index.js';
import { endpointDrift, type ReferenceLoader, type SeriesDrift } from './live-drift.js';
import { qualitySeries } from './live-quality.js';
import { quantileSorted } from './reference.js';
import { variantMonitoring } from './variants.js';

export interface MonitoringOptions {
  /** ISO timestamp; default: one hour ago. */
  readonly since?: string;
  /** Tests, thresholds and overrides (the project file's `monitoring.drift`); default Evidently-style auto. */
  readonly drift?: DriftSettings;
  /** Width of the drift time series' buckets (default 5 minutes: a minute holds too few rows to test). */
  readonly driftBucketMs?: number;
  /** Most recent feedback to compute live quality over. */
  readonly maxRows?: number;
  /** Width of a time-series bucket in milliseconds (software metrics and quality). */
  readonly bucketMs?: number;
}

/**
 * The monitoring summary of one endpoint over a window: software metrics from the request log;
 * input and output drift of the version taking most of the traffic against its training
 * reference, from the per-minute counts serving records (live-drift.ts), over the window and per
 * bucket; the same metrics per variant (A/B, canary, shadow agreement); live quality from
 * feedback with its time series; and the alert rules' states.
 */
export async function endpointMonitoring(
  metadata: MetadataStore,
  loadReference: ReferenceLoader,
  name: string,
  options: MonitoringOptions = {},
): Promise<EndpointMonitoring> {
  const endpoint = await metadata.getEndpoint(name);
  if (!endpoint) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
  const until = new Date();
  const since = options.since ?? new Date(until.getTime() - 3_600_000).toISOString();
  const bucketMs = options.bucketMs ?? 60_000;
  const settings = options.drift ?? DEFAULT_DRIFT_SETTINGS;

  const requests = await metadata.listRequests({ endpoint: name, since });
  const errors = requests.filter((r) => r.status >= 400).length;
  const predictions = requests.reduce((sum, r) => sum + (r.status < 400 ? r.rows : 0), 0);
  const recent = await metadata.listPredictions({ endpoint: name, since, limit: options.maxRows ?? 10_000 });

  const primary = [...endpoint.policy.routes].sort((a, b) => b.percent - a.percent)[0];
  const driftBucketMs = Math.max(60_000, Math.round((options.driftBucketMs ?? 300_000) / 60_000) * 60_000);
  const scored = primary
    ? await endpointDrift(metadata, loadReference, {
        endpoint: name,
        // Whole drift buckets: the first one starts at or before `since`.
        since: Math.floor(Date.parse(since) / driftBucketMs) * driftBucketMs,
        until: until.getTime() + 1,
        bucketMs: driftBucketMs,
        settings,
      })
    : [];
  // A shadow of the same version predicts the same rows again: the answers are what is judged.
  const answered = scored.find(
    (s) => s.model === primary?.model && s.version === primary?.version && s.variant !== 'shadow',
  );
  const reference = answered ? await loadReference(answered.model, answered.version) : null;

  const alerts = (await metadata.listAlertStates({ endpoint: name })).map(
    ({ rule, status, since: at, value, severity, evaluatedAt }) => ({
      rule,
      status,
      since: at,
      value,
      severity,
      evaluatedAt,
    }),
  );
  return {
    endpoint: name,
    since,
    until: until.toISOString(),
    bucketMs,
    requests: requests.length,
    errors,
    errorRate: requests.length ? errors / requests.length : 0,
    predictions,
    latencyMs: latencyQuantiles(requests),
    drift: {
      model: answered?.model ?? primary?.model ?? null,
      version: answered?.version ?? primary?.version ?? null,
      rows: answered?.rows ?? 0,
      minRows: settings.minRows,
      share: answered?.input.share ?? 0,
      shareThreshold: settings.share,
      drifted: answered?.input.drifted ?? false,
      correction: settings.correction,
      features: answered && reference ? featureDrifts(answered.input, reference.features, answered.skew) : [],
      output:
        answered?.output && reference?.output ? featureDrifts(answered.output, reference.output.features, []) : [],
      bucketMs: driftBucketMs,
      series: answered?.series ?? [],
    },
    series: buckets(requests, bucketMs),
    variants: variantMonitoring(requests, recent),
    quality: qualitySeries(
      await metadata.listFeedback({ endpoint: name, since, limit: options.maxRows ?? 10_000 }),
      bucketMs,
    ),
    alerts,
  };
}

/** The engine's per-feature results with the serving skew beside them, in the reference's feature order. */
function featureDrifts(
  result: DatasetDriftResult,
  features: readonly FeatureReference[],
  skew: SeriesDrift['skew'],
): FeatureDrift[] {
  const byName = new Map(result.features.map((f) => [f.feature, f]));
  const skewOf = new Map(skew.map((s) => [s.feature, s]));
  return features.flatMap((feature): FeatureDrift[] => {
    const f = byName.get(feature.name);
    if (!f) return [];
    return [
      {
        feature: f.feature,
        kind: f.kind,
        method: f.method,
        statistic: f.statistic,
        pValue: f.pValue,
        adjustedPValue: f.adjustedPValue,
        threshold: f.threshold,
        drifted: f.drifted,
        rows: f.rows,
        missingRate: skewOf.get(feature.name)?.missingRate ?? 0,
        trainingMissingRate: feature.missingShare,
        outOfDomainRate: skewOf.get(feature.name)?.unseenRate ?? 0,
      },
    ];
  });
}

export function latencyQuantiles(requests: readonly RequestRecord[]): LatencyQuantiles | null {
  if (requests.length === 0) return null;
  const sorted = Float64Array.from(requests, (r) => r.latencyMs).sort();
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
  };
}

function buckets(requests: readonly RequestRecord[], width: number): LatencyBucket[] {
  const byStart = new Map<number, RequestRecord[]>();
  for (const r of requests) {
    const start = Math.floor(Date.parse(r.at) / width) * width;
    let group = byStart.get(start);
    if (!group) byStart.set(start, (group = []));
    group.push(r);
  }
  return [...byStart.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, group]) => ({
      at: new Date(start).toISOString(),
      requests: group.length,
      errors: group.filter((r) => r.status >= 400).length,
      latencyMs: latencyQuantiles(group) as LatencyQuantiles,
    }));
}
