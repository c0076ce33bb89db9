import { KeelError, type FeatureReference, type Table } from '../../core/index.js';
import { isCategorical } from '../../data/index.js';
import { categoricalReference, numericReferenceOfSorted, sortedBinCounts, sortedPresent } from '../reference.js';
import { binLayout } from './bins.js';
import { currentRows, referenceCount, type BinnedFeature } from './binned.js';
import { driftMethods, type DriftMethodName, type FeatureKind, type MethodOutcome } from './methods/index.js';
import { DEFAULT_DRIFT_SETTINGS, featureMethod, type DriftSettings } from './settings.js';
import { DriftSketch } from './sketch.js';
import { benjaminiHochberg } from './stats/benjamini-hochberg.js';

/** The verdict on one feature. */
export interface FeatureDriftResult {
  readonly feature: string;
  readonly kind: FeatureKind;
  readonly method: DriftMethodName;
  /** The test's statistic: D for ks, χ² for chisquare, else the distance. */
  readonly statistic: number;
  /** The test's p-value; null for a distance. */
  readonly pValue: number | null;
  /** The p-value after the multiple-testing correction (equal to pValue with correction none). */
  readonly adjustedPValue: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  /** Current rows compared, missing values included. */
  readonly rows: number;
}

/** The verdict on a dataset (or a serving window): its features and the share that drifted. */
export interface DatasetDriftResult {
  readonly features: readonly FeatureDriftResult[];
  /** Share of the tested features that drifted. */
  readonly share: number;
  readonly shareThreshold: number;
  readonly driftedCount: number;
  /** share ≥ shareThreshold. */
  readonly drifted: boolean;
  readonly correction: 'bh' | 'none';
  readonly minRows: number;
  /** Features not tested, and why (no values, an identifier column, types that differ). */
  readonly skipped: ReadonlyArray<{ readonly feature: string; readonly reason: string }>;
}

/** A feature's test result before the dataset-level correction and verdict. */
interface Tested {
  readonly feature: string;
  readonly kind: FeatureKind;
  readonly method: DriftMethodName;
  readonly threshold: number;
  readonly outcome: MethodOutcome;
  readonly rows: number;
}

type Skipped = { feature: string; reason: string };

/**
 * Drift of a serving window: per feature, the reference (from the model package) against
 * current counts over its fixed bins (`DriftSketch.counts`, or per-minute counts added up).
 * PSI, Jensen-Shannon and chi-square are exact on these bins; KS and Wasserstein are their
 * binned approximations (see binned.ts). `reference` is a `ReferenceProfile` or its `output`.
 */
export function driftOfSketches(
  reference: { readonly rows: number; readonly features: readonly FeatureReference[] },
  countsByFeature: Readonly<Record<string, ArrayLike<number> | undefined>>,
  settings: DriftSettings = DEFAULT_DRIFT_SETTINGS,
): DatasetDriftResult {
  const tested: Tested[] = [];
  const skipped: Skipped[] = [];
  for (const feature of reference.features) {
    const counts = countsByFeature[feature.name];
    if (!counts) {
      skipped.push({ feature: feature.name, reason: 'no counts for it in the window' });
      continue;
    }
    const layout = binLayout(feature);
    if (counts.length !== layout.size) {
      throw new KeelError(
        'invalid_argument',
        `drift of "${feature.name}": ${counts.length} counts, but its reference has ${layout.size} bins`,
        { field: feature.name },
      );
    }
    const binned = { reference: feature, layout, counts, referenceCount: referenceCount(feature, reference.rows) };
    const result = testBinned(binned, settings);
    if ('reason' in result) skipped.push(result);
    else tested.push(result);
  }
  return verdicts(tested, skipped, settings);
}

/**
 * Drift between two tables (dataset versions or files) on their common columns, exactly:
 * KS and Wasserstein on the raw values (equal to SciPy's), the bin-based tests on the bins of
 * a reference built from `reference` as a training run would build it. Text columns that are
 * not categorical (identifiers, free text) are skipped with the reason.
 */
export function driftOfColumns(
  reference: Table,
  current: Table,
  settings: DriftSettings = DEFAULT_DRIFT_SETTINGS,
): DatasetDriftResult {
  const currentByName = new Map(current.columns.map((c) => [c.name, c]));
  const common = reference.columns.filter((c) => currentByName.has(c.name));
  if (common.length === 0) {
    throw new KeelError(
      'invalid_argument',
      `the reference and current data have no column in common (reference: ${reference.columns
        .slice(0, 5)
        .map((c) => c.name)
        .join(', ')}${reference.columns.length > 5 ? ', …' : ''})`,
      { field: 'columns' },
    );
  }
  const tested: Tested[] = [];
  const skipped: Skipped[] = [];
  for (const column of common) {
    const other = currentByName.get(column.name)!;
    if (column.kind !== other.kind) {
      const kind = (k: string) => (k === 'number' ? 'numeric' : 'text');
      skipped.push({
        feature: column.name,
        reason: `${kind(column.kind)} in the reference but ${kind(other.kind)} in the current data`,
      });
      continue;
    }
    if (column.kind === 'number' && other.kind === 'number') {
      const referenceSorted = sortedPresent(column.values);
      const currentSorted = sortedPresent(other.values);
      const feature = numericReferenceOfSorted(
        column.name,
        referenceSorted,
        column.values.length - referenceSorted.length,
      );
      const layout = binLayout(feature);
      const counts = sortedBinCounts(currentSorted, Array.from(feature.fineEdges ?? feature.edges));
      counts.push(other.values.length - currentSorted.length);
      const binned = { reference: feature, layout, counts, referenceCount: referenceSorted.length };
      const result = testBinned(binned, settings, { reference: referenceSorted, current: currentSorted });
      if ('reason' in result) skipped.push(result);
      else tested.push(result);
    } else if (column.kind === 'string' && other.kind === 'string') {
      const feature = categoricalReference(column.name, column.values);
      const distinct = Object.keys(feature.shares).length;
      if (!isCategorical(distinct, feature.count ?? 0)) {
        skipped.push({
          feature: column.name,
          reason: `not categorical (${distinct} distinct values): an identifier or free text`,
        });
        continue;
      }
      const sketch = new DriftSketch(feature);
      for (const value of other.values) sketch.add(value);
      const binned = {
        reference: feature,
        layout: sketch.layout,
        counts: sketch.counts,
        referenceCount: feature.count ?? 0,
      };
      const result = testBinned(binned, settings);
      if ('reason' in result) skipped.push(result);
      else tested.push(result);
    }
  }
  return verdicts(tested, skipped, settings);
}

/** Chooses a feature's test and runs it: exactly on raw values when given and the test can. */
function testBinned(
  binned: BinnedFeature,
  settings: DriftSettings,
  samples?: { reference: Float64Array; current: Float64Array },
): Tested | Skipped {
  const feature = binned.reference;
  const { rows, present } = currentRows(binned);
  if (rows === 0) return { feature: feature.name, reason: 'no current rows' };
  const kind: FeatureKind = feature.kind;
  const { method, threshold } = featureMethod(
    feature.name,
    {
      kind,
      ...(feature.kind === 'numeric' && feature.distinct !== undefined ? { distinct: feature.distinct } : {}),
      referenceCount: binned.referenceCount,
      currentCount: present,
    },
    settings,
  );
  const test = driftMethods[method];
  if (test.name !== 'psi' && test.name !== 'jensenshannon' && (present === 0 || binned.referenceCount === 0)) {
    return { feature: feature.name, reason: `${method} needs values on both sides, and one has only missing values` };
  }
  const outcome = samples && test.exact ? test.exact(samples) : test.binned(binned);
  return { feature: feature.name, kind, method, threshold, outcome, rows };
}

/** The correction across p-value tests, each feature's verdict, and the dataset's. */
function verdicts(tested: readonly Tested[], skipped: readonly Skipped[], settings: DriftSettings): DatasetDriftResult {
  const withP = tested.filter((t) => t.outcome.pValue !== null);
  const adjusted = new Map<Tested, number>();
  const corrected =
    settings.correction === 'bh'
      ? benjaminiHochberg(withP.map((t) => t.outcome.pValue as number))
      : withP.map((t) => t.outcome.pValue as number);
  withP.forEach((t, i) => adjusted.set(t, corrected[i]));
  const features = tested.map((t): FeatureDriftResult => {
    const adjustedPValue = adjusted.get(t) ?? null;
    const enough = t.rows >= settings.minRows;
    const over = adjustedPValue !== null ? adjustedPValue < t.threshold : t.outcome.statistic > t.threshold;
    return {
      feature: t.feature,
      kind: t.kind,
      method: t.method,
      statistic: t.outcome.statistic,
      pValue: t.outcome.pValue,
      adjustedPValue,
      threshold: t.threshold,
      drifted: enough && over,
      rows: t.rows,
    };
  });
  const driftedCount = features.filter((f) => f.drifted).length;
  const share = features.length ? driftedCount / features.length : 0;
  return {
    features,
    share,
    shareThreshold: settings.share,
    driftedCount,
    drifted: features.length > 0 && share >= settings.share,
    correction: settings.correction,
    minRows: settings.minRows,
    skipped,
  };
}
