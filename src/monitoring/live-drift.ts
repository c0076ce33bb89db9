import type { FeatureReference, ReferenceProfile } from '../core/index.js';
import type { MetricSeriesKey, MonitoringStore } from '../store/index.js';
import {
  binLayout,
  binOf,
  DEFAULT_DRIFT_SETTINGS,
  driftOfSketches,
  outputField,
  type BinLayout,
  type DatasetDriftResult,
  type DriftSettings,
} from './drift/index.js';
import { queryWindows, type MetricsRecorder } from './metrics/index.js';

/**
 * Live drift: every served row's features, and the model's outputs, counted into the fixed
 * bins of the model's training reference, per minute, in the series' metric windows (histograms
 * `feature:<name>` and `output:<name>`). A sliding window's drift is the sum of its minutes'
 * counts against the reference — O(bins) per feature whatever the traffic, the same numbers in
 * every process, and every past window can be scored again from the store.
 */
export const featureHistogram = (feature: string): string => `feature:${feature}`;
export const outputHistogram = (output: string): string => `output:${output}`;

interface Planned {
  readonly name: string;
  readonly histogram: string;
  readonly layout: BinLayout;
}

interface Plan {
  readonly inputs: readonly Planned[];
  readonly outputs: readonly Planned[];
  /** The inputs' and the outputs' histogram names, in order: one `addToBins` call per row. */
  readonly inputHistograms: readonly string[];
  readonly outputHistograms: readonly string[];
  /** How each output feature is read off a prediction (see `outputField`). */
  readonly outputReaders: ReadonlyArray<(output: Readonly<Record<string, unknown>>) => unknown>;
  /** Scratch for one row's bins, reused: `addToBins` reads it before `observe` returns. */
  readonly inputBins: number[];
  readonly outputBins: number[];
}

/** Counts served rows into their series' windows (the serving path calls it once per answered request). */
export class LiveDrift {
  readonly #plans = new WeakMap<ReferenceProfile, Plan>();

  constructor(private readonly recorder: Pick<MetricsRecorder, 'series'>) {}

  /** `rows` as the model saw them (checked against the signature); `outputs` the predictions, in order. */
  observe(
    key: MetricSeriesKey,
    reference: ReferenceProfile | undefined,
    rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
    outputs: ReadonlyArray<Readonly<Record<string, unknown>>>,
  ): void {
    if (!reference) return;
    const plan = this.#plan(reference);
    const series = this.recorder.series(key);
    const bins = plan.inputBins;
    for (const row of rows) {
      for (let i = 0; i < plan.inputs.length; i++) bins[i] = binOf(plan.inputs[i].layout, row[plan.inputs[i].name]);
      series.addToBins(plan.inputHistograms, bins);
    }
    if (plan.outputs.length === 0) return;
    const outputBins = plan.outputBins;
    for (const output of outputs) {
      for (let i = 0; i < plan.outputs.length; i++) {
        outputBins[i] = binOf(plan.outputs[i].layout, plan.outputReaders[i](output));
      }
      series.addToBins(plan.outputHistograms, outputBins);
    }
  }

  #plan(reference: ReferenceProfile): Plan {
    let plan = this.#plans.get(reference);
    if (!plan) {
      const planned = (features: readonly FeatureReference[], histogram: (name: string) => string) =>
        features.map((f) => ({ name: f.name, histogram: histogram(f.name), layout: binLayout(f) }));
      const inputs = planned(reference.features, featureHistogram);
      const outputs = planned(reference.output?.features ?? [], outputHistogram);
      plan = {
        inputs,
        outputs,
        inputHistograms: inputs.map((f) => f.histogram),
        outputHistograms: outputs.map((f) => f.histogram),
        outputReaders: outputs.map((f) => outputField(f.name)),
        inputBins: inputs.map(() => 0),
        outputBins: outputs.map(() => 0),
      };
      this.#plans.set(reference, plan);
    }
    return plan;
  }
}

/** Reads the training reference of a model version (from its package). */
export type ReferenceLoader = (model: string, version: number) => Promise<ReferenceProfile>;

export interface DriftQuery {
  readonly endpoint: string;
  readonly since: Date | number | string;
  readonly until: Date | number | string;
  /** Width of the time series' buckets (each scored on its own); default: chosen for the range. */
  readonly bucketMs?: number;
  readonly settings?: DriftSettings;
}

/** Drift of one model version and variant of an endpoint: over the whole range, and per bucket. */
export interface SeriesDrift extends MetricSeriesKey {
  /** Rows counted in the range. */
  readonly rows: number;
  readonly input: DatasetDriftResult;
  /** Null when the package holds no output reference (a model registered before output references). */
  readonly output: DatasetDriftResult | null;
  /** Serving skew: per feature, the share of rows missing it and of categories training never saw. */
  readonly skew: ReadonlyArray<{ readonly feature: string; readonly missingRate: number; readonly unseenRate: number }>;
  readonly series: readonly DriftBucket[];
}

export interface DriftBucket {
  readonly at: string;
  readonly rows: number;
  /** Share of the tested features that drifted in this bucket. */
  readonly share: number;
  readonly drifted: boolean;
  /** Per feature: the statistic and the verdict of this bucket. */
  readonly features: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
  readonly output: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
}

/**
 * Scores the drift of an endpoint's traffic in [since, until) from its stored windows, per
 * model version and variant (each against its own reference): over the whole range, and each
 * bucket of the time series on its own — every score as a time series, not only the alarms.
 */
export async function endpointDrift(
  store: Pick<MonitoringStore, 'listMetricWindows'>,
  loadReference: ReferenceLoader,
  query: DriftQuery,
): Promise<SeriesDrift[]> {
  const settings = query.settings ?? DEFAULT_DRIFT_SETTINGS;
  const buckets = await queryWindows(store, {
    endpoint: query.endpoint,
    since: query.since,
    until: query.until,
    ...(query.bucketMs !== undefined ? { bucketMs: query.bucketMs } : {}),
  });
  const bySeries = new Map<string, { key: MetricSeriesKey; buckets: Array<{ at: string; histograms: Histograms }> }>();
  for (const bucket of buckets) {
    for (const series of bucket.series) {
      if (!hasDriftCounts(series.data.histograms)) continue;
      const id = JSON.stringify([series.model, series.version, series.variant]);
      let entry = bySeries.get(id);
      if (!entry) {
        const key = {
          endpoint: series.endpoint,
          model: series.model,
          version: series.version,
          variant: series.variant,
        };
        bySeries.set(id, (entry = { key, buckets: [] }));
      }
      entry.buckets.push({ at: bucket.start, histograms: series.data.histograms });
    }
  }
  const results: SeriesDrift[] = [];
  for (const { key, buckets: seriesBuckets } of bySeries.values()) {
    const reference = await loadReference(key.model, key.version);
    const total: Record<string, number[]> = {};
    for (const b of seriesBuckets) for (const [name, counts] of Object.entries(b.histograms)) add(total, name, counts);
    const input = scored(reference.features, featureHistogram, total, reference.rows, settings);
    const output = reference.output
      ? scored(reference.output.features, outputHistogram, total, reference.output.rows, settings)
      : null;
    results.push({
      ...key,
      rows: rowsOf(reference.features, total),
      input,
      output,
      skew: skewOf(reference.features, total),
      series: seriesBuckets.map((b) => {
        const inputs = scored(reference.features, featureHistogram, b.histograms, reference.rows, settings);
        const outputs = reference.output
          ? scored(reference.output.features, outputHistogram, b.histograms, reference.output.rows, settings)
          : null;
        return {
          at: b.at,
          rows: rowsOf(reference.features, b.histograms),
          share: inputs.share,
          drifted: inputs.drifted,
          features: verdicts(inputs),
          output: outputs ? verdicts(outputs) : {},
        };
      }),
    });
  }
  return results.sort((a, b) => b.rows - a.rows);
}

type Histograms = Readonly<Record<string, readonly number[]>>;

function hasDriftCounts(histograms: Histograms): boolean {
  for (const name in histograms) if (name.startsWith('feature:')) return true;
  return false;
}

function add(total: Record<string, number[]>, name: string, counts: readonly number[]): void {
  const bins = (total[name] ??= []);
  for (let i = 0; i < counts.length; i++) bins[i] = (bins[i] ?? 0) + (counts[i] ?? 0);
}

/** The counts of each reference feature, padded to its bins (a minute that never saw the last bins stored fewer). */
function countsOf(
  features: readonly FeatureReference[],
  histogram: (name: string) => string,
  histograms: Histograms,
): Record<string, number[] | undefined> {
  const out: Record<string, number[] | undefined> = {};
  for (const feature of features) {
    const stored = histograms[histogram(feature.name)];
    if (!stored) continue;
    const size = binLayout(feature).size;
    out[feature.name] = Array.from({ length: size }, (_, i) => stored[i] ?? 0);
  }
  return out;
}

function scored(
  features: readonly FeatureReference[],
  histogram: (name: string) => string,
  histograms: Histograms,
  referenceRows: number,
  settings: DriftSettings,
): DatasetDriftResult {
  return driftOfSketches({ rows: referenceRows, features }, countsOf(features, histogram, histograms), settings);
}

function verdicts(result: DatasetDriftResult): Record<string, { statistic: number; drifted: boolean }> {
  const out: Record<string, { statistic: number; drifted: boolean }> = {};
  for (const f of result.features) out[f.feature] = { statistic: f.statistic, drifted: f.drifted };
  return out;
}

/** Rows counted: the most any feature's histogram holds (each served row adds one to every feature). */
function rowsOf(features: readonly FeatureReference[], histograms: Histograms): number {
  let rows = 0;
  for (const feature of features) {
    const counts = histograms[featureHistogram(feature.name)];
    if (counts)
      rows = Math.max(
        rows,
        counts.reduce((sum, c) => sum + (c ?? 0), 0),
      );
  }
  return rows;
}

function skewOf(features: readonly FeatureReference[], histograms: Histograms) {
  return features.map((feature) => {
    const counts = histograms[featureHistogram(feature.name)] ?? [];
    const layout = binLayout(feature);
    const rows = counts.reduce((sum, c) => sum + (c ?? 0), 0);
    const share = (bin: number) => (rows > 0 ? (counts[bin] ?? 0) / rows : 0);
    return {
      feature: feature.name,
      missingRate: share(layout.missingBin),
      unseenRate: layout.kind === 'categorical' ? share(layout.unseenBin) : 0,
    };
  });
}
