import type {
  EndpointMonitoring,
  LatencyBucket,
  LatencyQuantiles,
  ReferenceProfile,
  RequestRecord,
} from '../core/index.js';
import { notFound, type SignatureColumn } from '../core/index.js';
import { validateRows } from '../data/index.js';
import type { MetadataStore } from '../store/index.js';
import { liveQuality } from './live-quality.js';
import { psi } from './psi.js';
import { quantileSorted } from './reference.js';
import { variantMonitoring } from './variants.js';

export interface MonitoringOptions {
  /** ISO timestamp; default: one hour ago. */
  readonly since?: string;
  /** PSI above this marks a feature as drifted (0.2 is the common rule of thumb). */
  readonly driftThreshold?: number;
  /** Fewest logged rows for a drift verdict (default 100). */
  readonly minRows?: number;
  /** Most recent predictions to compute drift over. */
  readonly maxRows?: number;
  /** Width of a time-series bucket in milliseconds. */
  readonly bucketMs?: number;
}

/** Reads the training reference of a model version (from its package). */
export type ReferenceLoader = (model: string, version: number) => Promise<ReferenceProfile>;

/**
 * The monitoring summary of one endpoint over a window: software metrics from the request log
 * and input drift (PSI per feature) of the logged predictions against the training reference of
 * the version currently taking the traffic; then the same metrics per variant (A/B, canary,
 * shadow agreement).
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
  const threshold = options.driftThreshold ?? 0.2;
  const minRows = options.minRows ?? 100;

  const requests = await metadata.listRequests({ endpoint: name, since });
  const errors = requests.filter((r) => r.status >= 400).length;
  const predictions = requests.reduce((sum, r) => sum + (r.status < 400 ? r.rows : 0), 0);

  const primary = [...endpoint.policy.routes].sort((a, b) => b.percent - a.percent)[0];
  const recent = await metadata.listPredictions({ endpoint: name, since, limit: options.maxRows ?? 10_000 });
  // A shadow of the same version predicts the same rows again: count the answers only.
  const logged = primary
    ? recent.filter((p) => p.model === primary.model && p.version === primary.version && p.variant !== 'shadow')
    : [];
  const reference = primary && logged.length > 0 ? await loadReference(primary.model, primary.version) : null;
  const signature =
    primary && logged.length > 0 ? await metadata.getModelVersion(primary.model, primary.version) : null;
  const skew = servingSkew(
    logged.map((p) => p.inputs),
    signature?.signature.inputs ?? [],
  );
  const features = reference
    ? reference.features.map((feature) => {
        const score = psi(
          feature,
          logged.map((p) => p.inputs[feature.name] ?? null),
        );
        const rates = skew.get(feature.name);
        return {
          feature: feature.name,
          psi: score,
          drifted: logged.length >= minRows && score > threshold,
          missingRate: rates?.missing ?? 0,
          trainingMissingRate: feature.missingShare,
          outOfDomainRate: rates?.outOfDomain ?? 0,
        };
      })
    : [];

  return {
    endpoint: name,
    since,
    until: until.toISOString(),
    requests: requests.length,
    errors,
    errorRate: requests.length ? errors / requests.length : 0,
    predictions,
    latencyMs: latencyQuantiles(requests),
    drift: { threshold, rows: logged.length, minRows, features },
    series: buckets(requests, options.bucketMs ?? 60_000),
    variants: variantMonitoring(requests, recent),
    quality: liveQuality(await metadata.listFeedback({ endpoint: name, since, limit: options.maxRows ?? 10_000 })),
  };
}

/**
 * Per feature, the share of logged rows where it was missing and where it held an unknown
 * category, found by `validateRows`: the checks serving ran on each request when it answered.
 */
function servingSkew(
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  inputs: readonly SignatureColumn[],
): Map<string, { missing: number; outOfDomain: number }> {
  const rates = new Map<string, { missing: number; outOfDomain: number }>();
  if (rows.length === 0) return rates;
  const checked = validateRows(rows, inputs);
  for (const column of inputs) {
    const missing = rows.filter((row) => row[column.name] === null || row[column.name] === undefined).length;
    const outOfDomain = checked.ok ? checked.anomalies.filter((a) => a.column === column.name).length : 0;
    rates.set(column.name, { missing: missing / rows.length, outOfDomain: outOfDomain / rows.length });
  }
  return rates;
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
