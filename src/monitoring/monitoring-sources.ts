import type { MetadataStore } from '../store/index.js';
import { MetricSourceRegistry } from './alerts/index.js';
import { DEFAULT_DRIFT_SETTINGS, type DatasetDriftResult, type DriftSettings } from './drift/index.js';
import { endpointDrift, type ReferenceLoader, type SeriesDrift } from './live-drift.js';
import { liveQuality } from './live-quality.js';

/**
 * The metrics of drift and quality that alert rules can name, beside the software metrics the
 * evaluator computes itself (see docs/metrics-and-alerts.md):
 *
 * - `drift_share`: share of the input features that drifted in the window (0–1);
 * - `drift:<feature>`: that feature's statistic (its test's: D, χ², PSI, distance);
 * - `drifted:<feature>`: 1 when that feature drifted, else 0;
 * - `output_drift`: share of the output columns that drifted (0–1), `output_drift:<output>` a statistic;
 * - `accuracy`, `precision`, `recall`, `f1`, `roc_auc`, `mae`, `rmse`, `labeled`: live quality of
 *   the predictions made in the window that have feedback.
 *
 * Drift and quality are of the endpoint's answering traffic (not a shadow's), of the model
 * version that served most of it in the window.
 */
export function monitoringMetricSources(
  store: MetadataStore,
  loadReference: ReferenceLoader,
  settings: DriftSettings = DEFAULT_DRIFT_SETTINGS,
): MetricSourceRegistry {
  const registry = new MetricSourceRegistry();
  const drift = async (endpoint: string, start: Date, end: Date): Promise<SeriesDrift | null> => {
    const scored = await endpointDrift(store, loadReference, { endpoint, since: start, until: end, settings });
    return scored.find((s) => s.variant !== 'shadow') ?? null;
  };
  const statistic = (result: DatasetDriftResult | null | undefined, feature: string) =>
    result?.features.find((f) => f.feature === feature) ?? null;

  registry.register('drift_share', async (endpoint, start, end) => {
    const d = await drift(endpoint, start, end);
    return d ? d.input.share : null;
  });
  registry.register('drift:*', async (endpoint, start, end, metric) => {
    const d = await drift(endpoint, start, end);
    return statistic(d?.input, metric.slice('drift:'.length))?.statistic ?? null;
  });
  registry.register('drifted:*', async (endpoint, start, end, metric) => {
    const f = statistic((await drift(endpoint, start, end))?.input, metric.slice('drifted:'.length));
    return f ? Number(f.drifted) : null;
  });
  registry.register('output_drift', async (endpoint, start, end) => {
    const d = await drift(endpoint, start, end);
    return d?.output ? d.output.share : null;
  });
  registry.register('output_drift:*', async (endpoint, start, end, metric) => {
    const d = await drift(endpoint, start, end);
    return statistic(d?.output, metric.slice('output_drift:'.length))?.statistic ?? null;
  });

  const quality = async (endpoint: string, start: Date, end: Date) => {
    const labeled = await store.listFeedback({ endpoint, since: start.toISOString(), limit: 100_000 });
    const inWindow = labeled.filter(
      (l) => l.prediction.variant !== 'shadow' && Date.parse(l.prediction.at) < end.getTime(),
    );
    return liveQuality(inWindow).sort((a, b) => b.labeled - a.labeled)[0] ?? null;
  };
  const measures = {
    accuracy: 'accuracy',
    precision: 'precision',
    recall: 'recall',
    f1: 'f1',
    roc_auc: 'rocAuc',
    mae: 'mae',
    rmse: 'rmse',
    labeled: 'labeled',
  } as const;
  for (const [name, field] of Object.entries(measures)) {
    registry.register(name, async (endpoint, start, end) => {
      const q = await quality(endpoint, start, end);
      return q && q.labeled > 0 ? (q[field] ?? null) : null;
    });
  }
  return registry;
}
