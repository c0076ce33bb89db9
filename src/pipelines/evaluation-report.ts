import {
  EVALUATION_REPORT_FORMAT,
  EVALUATION_REPORT_VERSION,
  KeelError,
  rowAt,
  type ClassificationDetails,
  type ColumnType,
  type DenseMatrix,
  type EvaluationReport,
  type HistogramBin,
  type LargestError,
  type MetricValues,
  type Project,
  type RegressionDetails,
  type Slice,
  type SliceColumn,
  type Table,
  type WorstSlice,
} from '../core/index.js';
import {
  calibrationCurve,
  classificationReport,
  mae,
  mape,
  precisionRecallCurve,
  r2,
  rmse,
  rocCurve,
  type ClassLabel,
  type Classifier,
  type Regressor,
} from '../ml/index.js';

/**
 * The evaluation report of one candidate on the test rows (`evaluation/report.json` of its
 * run; the shape is `EvaluationReport` in core, documented in docs/registry.md). A task's
 * strategy scores the rows (`scoreClassifier`, `scoreRegressor`); this file turns the scores
 * into the report: metrics overall and per slice, the worst slices, the largest errors.
 */

/** The test rows as read from the data, for slicing and for showing rows with large errors. */
export interface TestRows {
  /** Every column of the test rows, raw (before the feature pipeline). */
  readonly table: Table;
  /** Each test row's index in the dataset version. */
  readonly indices: ArrayLike<number>;
  /** Column types of the dataset's schema: datetimes are shown as dates. */
  readonly columnTypes: ReadonlyMap<string, ColumnType>;
  readonly split: EvaluationReport['split'];
}

/** A fitted model's scores on the test rows, in the form the report builder needs. */
export interface ScoredRows {
  readonly metrics: MetricValues;
  /** The same metrics on a subset of the rows (a slice). */
  metricsOf(rows: Uint32Array): MetricValues;
  /** Per-row loss, higher is worse. */
  readonly loss: Float64Array;
  readonly lossName: 'log_loss' | 'absolute_error';
  actual(i: number): string | number;
  predicted(i: number): string | number;
  /** Classification: the probability given to the actual class. */
  probability?(i: number): number;
  readonly classification?: ClassificationDetails;
  readonly regression?: RegressionDetails;
}

export interface ReportSettings {
  readonly selectionMetric: string;
  readonly greaterIsBetter: boolean;
}

const defaults = { sliceBins: 4, minSliceRows: 30 };
/** Most points per curve in a report: enough to draw, small enough to ship to a browser. */
export const MAX_CURVE_POINTS = 200;
const LARGEST_ERRORS = 20;
const WORST_SLICES = 5;
/** A text column with more values is sliced by its most frequent ones and `(other)`. */
const MAX_SLICE_VALUES = 50;
const RESIDUAL_BINS = 20;

export function buildEvaluationReport(
  project: Project,
  test: TestRows,
  scored: ScoredRows,
  settings: ReportSettings,
): EvaluationReport {
  const evaluation = project.config.evaluation ?? {};
  const bins = evaluation.sliceBins ?? defaults.sliceBins;
  const minRows = evaluation.minSliceRows ?? defaults.minSliceRows;
  const columns = (evaluation.slices ?? []).map((name, i): SliceColumn => {
    const column = test.table.columns.find((c) => c.name === name);
    if (!column) {
      throw new KeelError(
        'invalid_config',
        `${project.file}: evaluation.slices[${i}]: no column "${name}" in the data (columns: ${test.table.columns.map((c) => c.name).join(', ')})`,
        { field: `evaluation.slices[${i}]` },
      );
    }
    const type = test.columnTypes.get(name);
    const groups =
      column.kind === 'number'
        ? numericGroups(column.values, bins, type)
        : type === 'datetime'
          ? numericGroups(Float64Array.from(column.values, parseTime), bins, type)
          : textGroups(column.values);
    return {
      column: name,
      kind: groups.kind,
      slices: groups.groups.map((group): Slice => ({
        label: group.label,
        ...(group.lower !== undefined ? { lower: group.lower, upper: group.upper } : {}),
        rows: group.rows.length,
        metrics: scored.metricsOf(group.rows),
        small: group.rows.length < minRows,
      })),
    };
  });
  const { target, idColumn } = project.config.task;
  return {
    format: EVALUATION_REPORT_FORMAT,
    formatVersion: EVALUATION_REPORT_VERSION,
    task: project.config.task.type,
    target,
    split: test.split,
    rows: test.table.rows,
    selectionMetric: settings.selectionMetric,
    greaterIsBetter: settings.greaterIsBetter,
    metrics: scored.metrics,
    ...(scored.classification ? { classification: scored.classification } : {}),
    ...(scored.regression ? { regression: scored.regression } : {}),
    slices: { minRows, bins, columns, worst: worstSlices(columns, scored.metrics, settings) },
    largestErrors: {
      loss: scored.lossName,
      idColumn: idColumn ?? null,
      rows: largestErrors(test, scored, target, idColumn),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Scoring

export function scoreClassifier(
  estimator: Classifier,
  X: DenseMatrix,
  y: readonly ClassLabel[],
  positiveClass: string | undefined,
): ScoredRows {
  const classes = estimator.classes;
  const predicted = estimator.predict(X);
  const proba = estimator.predictProba(X);
  const binary = classes.length === 2;
  // The project names the positive class as text; the labels may be numbers (0/1).
  const posLabel = binary ? (classes.find((c) => String(c) === positiveClass) ?? classes[1]) : undefined;
  const reportOf = (rows: Uint32Array | null) => {
    const pick = <T>(values: readonly T[]): T[] => (rows ? Array.from(rows, (i) => values[i]) : [...values]);
    return classificationReport({
      yTrue: pick(y),
      yPred: pick(predicted),
      proba: rows ? takeMatrixRows(proba, rows) : proba,
      classes,
      posLabel,
    });
  };
  const overall = reportOf(null);
  const scalars = (report: ReturnType<typeof reportOf>): MetricValues => {
    const { confusion_matrix: _matrix, ...metrics } = report;
    return finiteOrNull(metrics);
  };

  const index = new Map(classes.map((c, k) => [c, k]));
  const k = classes.length;
  const probabilityOfActual = (i: number) => proba.data[i * k + (index.get(y[i]) ?? 0)];
  const loss = Float64Array.from(y, (_, i) => -Math.log(Math.max(probabilityOfActual(i), Number.EPSILON)));

  const labels = overall.confusion_matrix.labels.map(String);
  const matrix = overall.confusion_matrix.matrix;
  const perClass = labels.map((label, c) => {
    const tp = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predictedAs = matrix.reduce((sum, row) => sum + row[c], 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const classBalance = labels.map((label, c) => {
    const rows = matrix[c].reduce((a, b) => a + b, 0);
    return { label, rows, share: y.length === 0 ? 0 : rows / y.length };
  });

  return {
    metrics: scalars(overall),
    metricsOf: (rows) => scalars(reportOf(rows)),
    loss,
    lossName: 'log_loss',
    actual: (i) => y[i],
    predicted: (i) => predicted[i],
    probability: probabilityOfActual,
    classification: {
      classes: classes.map(String),
      positiveClass: posLabel === undefined ? null : String(posLabel),
      classBalance,
      confusionMatrix: { labels, matrix },
      perClass,
      curves:
        posLabel !== undefined && classBalance.every((c) => c.rows > 0)
          ? binaryCurves(y, proba, classes, posLabel)
          : null,
    },
  };
}

export function scoreRegressor(estimator: Regressor, X: DenseMatrix, y: Float64Array): ScoredRows {
  const predicted = estimator.predict(X);
  const metricsOf = (rows: Uint32Array | null): MetricValues => {
    const truth = rows ? Float64Array.from(rows, (i) => y[i]) : y;
    const guess = rows ? Float64Array.from(rows, (i) => predicted[i]) : predicted;
    return finiteOrNull({
      mae: mae(truth, guess),
      rmse: rmse(truth, guess),
      r2: r2(truth, guess),
      mape: mape(truth, guess),
    });
  };
  const residuals = Float64Array.from(y, (actual, i) => actual - predicted[i]);
  const sample = evenlySpaced(y.length, MAX_CURVE_POINTS);
  return {
    metrics: metricsOf(null),
    metricsOf,
    loss: residuals.map(Math.abs),
    lossName: 'absolute_error',
    actual: (i) => y[i],
    predicted: (i) => predicted[i],
    regression: {
      residuals: histogram(residuals, RESIDUAL_BINS),
      predictedVsActual: sample.map((i) => ({ actual: y[i], predicted: predicted[i] })),
    },
  };
}

function binaryCurves(
  y: readonly ClassLabel[],
  proba: DenseMatrix,
  classes: readonly ClassLabel[],
  posLabel: ClassLabel,
): NonNullable<ClassificationDetails['curves']> {
  const options = { classes, posLabel };
  const roc = rocCurve(y, proba, options);
  const pr = precisionRecallCurve(y, proba, options);
  const calibration = calibrationCurve(y, proba, { ...options, nBins: 10 });
  // precisionRecallCurve lists thresholds ascending with recall falling; its last point (recall 0) has none.
  const prPoints = Array.from(pr.precision, (precision, i) => ({
    recall: pr.recall[i],
    precision,
    threshold: i < pr.thresholds.length ? pr.thresholds[i] : null,
  }));
  return {
    roc: downsample(
      Array.from(roc.fpr, (fpr, i) => ({ fpr, tpr: roc.tpr[i], threshold: roc.thresholds[i] })),
      MAX_CURVE_POINTS,
    ),
    pr: downsample(prPoints, MAX_CURVE_POINTS),
    calibration: Array.from(calibration.probPred, (predicted, i) => ({
      predicted,
      observed: calibration.probTrue[i],
      rows: calibration.counts[i],
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Slices

interface Group {
  readonly label: string;
  readonly lower?: number;
  readonly upper?: number;
  readonly rows: Uint32Array;
}

const MISSING = '(missing)';
const OTHER = '(other)';

/** One slice per value of a text column (the most frequent ones when there are many), missing last. */
function textGroups(values: ReadonlyArray<string | null>): { kind: 'values'; groups: Group[] } {
  const byValue = new Map<string, number[]>();
  const missing: number[] = [];
  values.forEach((value, i) => {
    if (value === null) return void missing.push(i);
    let rows = byValue.get(value);
    if (!rows) byValue.set(value, (rows = []));
    rows.push(i);
  });
  const ranked = [...byValue.entries()].sort((a, b) => b[1].length - a[1].length || compareText(a[0], b[0]));
  const kept = ranked.length > MAX_SLICE_VALUES ? ranked.slice(0, MAX_SLICE_VALUES - 1) : ranked;
  const other = ranked.slice(kept.length).flatMap(([, rows]) => rows);
  const groups: Group[] = kept
    .sort((a, b) => compareText(a[0], b[0]))
    .map(([label, rows]) => ({ label, rows: Uint32Array.from(rows) }));
  if (other.length > 0) groups.push({ label: OTHER, rows: Uint32Array.from(other.sort((a, b) => a - b)) });
  if (missing.length > 0) groups.push({ label: MISSING, rows: Uint32Array.from(missing) });
  return { kind: 'values', groups };
}

/**
 * A numeric column: one slice per value when it has at most `bins` distinct values (a code, a
 * flag), otherwise quantile bins `[lower, upper)` — the last one closed — with edges from the
 * column's own test values. Repeated values can merge bins, so there may be fewer.
 */
function numericGroups(
  values: Float64Array,
  bins: number,
  type: ColumnType | undefined,
): { kind: 'values' | 'bins'; groups: Group[] } {
  const present: number[] = [];
  const missing: number[] = [];
  values.forEach((v, i) => (Number.isNaN(v) ? missing : present).push(i));
  const show = (v: number) => formatValue(v, type);
  const sorted = Float64Array.from(present, (i) => values[i]).sort();
  const distinct = [...new Set(sorted)];
  let kind: 'values' | 'bins';
  let groups: Group[];
  if (distinct.length <= bins) {
    kind = 'values';
    groups = distinct.map((value) => ({
      label: show(value),
      rows: Uint32Array.from(present.filter((i) => values[i] === value)),
    }));
  } else {
    kind = 'bins';
    const min = sorted[0];
    const max = sorted[sorted.length - 1];
    const inner = [
      ...new Set(Array.from({ length: bins - 1 }, (_, k) => quantileOfSorted(sorted, (k + 1) / bins))),
    ].filter((edge) => edge > min && edge <= max);
    const bounds = [min, ...inner, max];
    const members: number[][] = inner.map(() => []);
    members.push([]);
    for (const i of present) {
      // The number of inner edges at or below the value is its bin.
      let lo = 0;
      let hi = inner.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inner[mid] <= values[i]) lo = mid + 1;
        else hi = mid;
      }
      members[lo].push(i);
    }
    groups = members
      .map((rows, b): Group => {
        const last = b === members.length - 1;
        return {
          label: `[${show(bounds[b])}, ${show(bounds[b + 1])}${last ? ']' : ')'}`,
          lower: bounds[b],
          upper: bounds[b + 1],
          rows: Uint32Array.from(rows),
        };
      })
      .filter((group) => group.rows.length > 0);
  }
  if (missing.length > 0) groups.push({ label: MISSING, rows: Uint32Array.from(missing) });
  return { kind, groups };
}

function worstSlices(columns: readonly SliceColumn[], overall: MetricValues, settings: ReportSettings): WorstSlice[] {
  const metric = settings.selectionMetric;
  const reference = overall[metric];
  if (reference === null || reference === undefined) return [];
  const candidates: WorstSlice[] = [];
  for (const column of columns) {
    for (const slice of column.slices) {
      const value = slice.metrics[metric];
      if (slice.small || value === null || value === undefined) continue;
      const gap = settings.greaterIsBetter ? reference - value : value - reference;
      if (gap > 0) {
        candidates.push({
          column: column.column,
          label: slice.label,
          rows: slice.rows,
          metric,
          value,
          overall: reference,
          gap,
        });
      }
    }
  }
  return candidates.sort((a, b) => b.gap - a.gap).slice(0, WORST_SLICES);
}

// ---------------------------------------------------------------------------------------------
// Largest errors

function largestErrors(
  test: TestRows,
  scored: ScoredRows,
  target: string,
  idColumn: string | undefined,
): LargestError[] {
  const order = Array.from(scored.loss.keys())
    .filter((i) => Number.isFinite(scored.loss[i]))
    .sort((a, b) => scored.loss[b] - scored.loss[a] || a - b)
    .slice(0, LARGEST_ERRORS);
  return order.map((i) => {
    const values = rowAt(test.table, i, [target]);
    const id = idColumn === undefined ? null : values[idColumn];
    return {
      row: test.indices[i],
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      actual: scored.actual(i),
      predicted: scored.predicted(i),
      ...(scored.probability ? { probability: scored.probability(i) } : {}),
      loss: scored.loss[i],
      values,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function takeMatrixRows(matrix: DenseMatrix, rows: Uint32Array): DenseMatrix {
  const data = new Float64Array(rows.length * matrix.cols);
  rows.forEach((row, i) => data.set(matrix.data.subarray(row * matrix.cols, (row + 1) * matrix.cols), i * matrix.cols));
  return { rows: rows.length, cols: matrix.cols, data };
}

function finiteOrNull(metrics: Readonly<Record<string, number | null>>): MetricValues {
  const out: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(metrics))
    out[key] = value !== null && Number.isFinite(value) ? value : null;
  return out;
}

/** At most `max` items, evenly spread, keeping the first and the last. */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return evenlySpaced(items.length, max).map((i) => items[i]);
}

function evenlySpaced(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / (max - 1)));
}

/** numpy's default (linear) percentile of sorted values. */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

function histogram(values: Float64Array, bins: number): HistogramBin[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const min = finite.reduce((a, b) => Math.min(a, b));
  const max = finite.reduce((a, b) => Math.max(a, b));
  if (min === max) return [{ lower: min, upper: max, count: finite.length }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  return counts.map((count, b) => ({
    lower: min + b * width,
    upper: b === bins - 1 ? max : min + (b + 1) * width,
    count,
  }));
}

function formatValue(value: number, type: ColumnType | undefined): string {
  if (type === 'datetime') return isoTime(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/** A datetime as the data holds it (`2012-09-01 00:00:00`, UTC) in milliseconds since the epoch; NaN when missing. */
function parseTime(text: string | null): number {
  return text === null ? Number.NaN : Date.parse(`${text.trim().replace(' ', 'T')}Z`);
}

/** A datetime (milliseconds since the epoch) as an ISO date, with the time when it is not midnight. */
function isoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
