import type {
  LatencyQuantiles,
  PredictionRecord,
  RequestRecord,
  ShadowComparison,
  VariantMonitoring,
} from '../core/index.js';
import { quantileSorted } from './reference.js';

/**
 * Splits a window of requests and logged predictions by the variant (and version) that made
 * them: the per-variant metrics an A/B test or a canary is judged by, and a shadow's agreement
 * with the primary. Requests logged before routes were recorded belong to no variant.
 */
export function variantMonitoring(
  requests: readonly RequestRecord[],
  predictions: readonly PredictionRecord[],
): VariantMonitoring[] {
  const groups = new Map<string, { requests: RequestRecord[]; predictions: PredictionRecord[] }>();
  const groupOf = (variant: string, model: string, version: number) => {
    const key = `${variant}\u0000${model}\u0000${version}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { requests: [], predictions: [] }));
    return group;
  };
  for (const r of requests) {
    if (r.variant !== undefined && r.model !== undefined && r.version !== undefined) {
      groupOf(r.variant, r.model, r.version).requests.push(r);
    }
  }
  for (const p of predictions) groupOf(p.variant, p.model, p.version).predictions.push(p);

  return [...groups.entries()]
    .map(([key, group]): VariantMonitoring => {
      const [variant, model, version] = key.split('\u0000');
      const errors = group.requests.filter((r) => r.status >= 400).length;
      const agreement = agreementOf(group.predictions);
      return {
        variant,
        model,
        version: Number(version),
        requests: group.requests.length,
        errors,
        errorRate: group.requests.length ? errors / group.requests.length : 0,
        latencyMs: quantilesOf(group.requests.map((r) => r.latencyMs)),
        predictions: group.predictions.length,
        outputs: outputSummary(group.predictions),
        ...(agreement ? { agreement } : {}),
      };
    })
    .sort((a, b) => b.requests - a.requests || a.variant.localeCompare(b.variant) || a.version - b.version);
}

export function quantilesOf(values: readonly number[]): LatencyQuantiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return { p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95), p99: quantileSorted(sorted, 0.99) };
}

function outputSummary(predictions: readonly PredictionRecord[]): VariantMonitoring['outputs'] {
  const labels: Record<string, number> = {};
  let labelled = 0;
  let sum = 0;
  let valued = 0;
  for (const p of predictions) {
    const { label, value } = p.output as { label?: unknown; value?: unknown };
    if (label !== undefined && label !== null) {
      labels[String(label)] = (labels[String(label)] ?? 0) + 1;
      labelled++;
    } else if (typeof value === 'number') {
      sum += value;
      valued++;
    }
  }
  if (labelled > 0) {
    for (const key of Object.keys(labels)) labels[key] /= labelled;
    return { labels };
  }
  return valued > 0 ? { meanValue: sum / valued } : {};
}

function agreementOf(predictions: readonly PredictionRecord[]): VariantMonitoring['agreement'] | null {
  const comparisons = predictions
    .map((p) => (p.output as { comparison?: ShadowComparison }).comparison)
    .filter((c): c is ShadowComparison => c !== undefined && c !== null);
  if (comparisons.length === 0) return null;
  const labelled = comparisons.filter((c) => c.agrees !== null);
  return {
    compared: comparisons.length,
    rate: labelled.length ? labelled.filter((c) => c.agrees).length / labelled.length : null,
    meanDifference: comparisons.reduce((sum, c) => sum + c.difference, 0) / comparisons.length,
  };
}
