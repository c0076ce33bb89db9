import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StratifiedKFold,
  accuracy,
  createEstimator,
  crossValidate,
  isClassifier,
  listAlgorithms,
  logLoss,
  rocAuc,
  type ClassLabel,
  type Float64Matrix,
} from '../../src/ml/index.js';
import { formatTable, median, seconds, type Column } from '../report.js';
import {
  benchCases,
  type BenchCase,
  type GrowthCase,
  type HoldoutCase,
  type QualityMetric,
  type RealDataCase,
} from './cases.js';
import { headRows, readDataset, syntheticClassification, tailRows, type BenchDataset } from './data.js';
import { SklearnSide, THREADS, type SklearnRun, type SklearnVersions } from './sklearn.js';

export interface MlSuiteOptions {
  readonly quick: boolean;
  /** Time Keel alone, without Python (datasets are generated in TypeScript). */
  readonly keelOnly: boolean;
  readonly scale: number;
  readonly repeats: number;
  /** Run only the rows of these estimators (registry names); all when empty. */
  readonly only: readonly string[];
  /** Progress, on stderr. */
  readonly log: (line: string) => void;
}

type Status = 'ok' | 'not_available' | 'error';

/** One side's medians over its runs, and every run. */
export interface SideSummary {
  readonly fitSeconds: number | null;
  readonly predictSeconds: number | null;
  readonly metric: number | null;
  /** Growth rows: log-log slope of fit time over rows. */
  readonly slope?: number;
  readonly runs: readonly unknown[];
}

export interface RowResult {
  readonly id: string;
  readonly kind: BenchCase['kind'];
  readonly estimator: string;
  readonly title: string;
  readonly status: Status;
  readonly note?: string;
  readonly metric: QualityMetric | 'slope' | null;
  readonly keel: SideSummary | null;
  readonly sklearn: SideSummary | null;
  /** Keel ÷ scikit-learn medians; lower is better. */
  readonly fitRatio: number | null;
  readonly predictRatio: number | null;
  /** Keel − scikit-learn of the quality metric. */
  readonly qualityDiff: number | null;
  readonly targets: Readonly<Record<string, number>>;
  /** Whether every target that this run could check holds; null when none could be checked. */
  readonly meetsTargets: boolean | null;
}

export interface MlSuiteResult {
  readonly suite: 'ml';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: Omit<MlSuiteOptions, 'log'>;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    /** 1-minute load averages at the start and end: other work on the machine skews timings. */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
  readonly threads: number;
  readonly sklearn: SklearnVersions | null;
  readonly rows: RowResult[];
}

interface Measured {
  readonly fitSeconds: number;
  readonly predictSeconds?: number;
  readonly metric?: number;
}

/** Where datasets come from and go: Python's generators, or TypeScript's for --keel-only. */
class Datasets {
  private readonly dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));

  constructor(private readonly sklearn: SklearnSide | null) {}

  /**
   * A classification dataset of `train` + `test` rows, generated once for one row of the table
   * from the row's own seed, so a row's data is the same whichever rows run with it.
   */
  async classification(
    train: number,
    test: number,
    cols: number,
    seed: number,
  ): Promise<{ path: string | null; data: BenchDataset }> {
    if (this.sklearn === null) return { path: null, data: syntheticClassification(train + test, cols, train, seed) };
    const path = join(this.dir, `classification-${seed}.bin`);
    await this.sklearn.generate({ kind: 'classification', rows: train + test, cols, train, seed }, path);
    return { path, data: readDataset(path) };
  }

  async real(name: string): Promise<{ path: string; data: BenchDataset }> {
    if (this.sklearn === null) throw new Error('the bundled datasets need Python');
    const path = join(this.dir, `${name}.bin`);
    await this.sklearn.dataset(name, path);
    return { path, data: readDataset(path) };
  }

  remove(path: string | null): void {
    if (path !== null) rmSync(path, { force: true });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The quality metric from predicted probabilities; accuracy takes the most probable class, as predict does. */
function metricFromProba(metric: QualityMetric, y: Float64Array, proba: Float64Matrix, classes: ClassLabel[]): number {
  if (metric === 'roc_auc') return rocAuc(y, proba, { classes });
  if (metric === 'log_loss') return logLoss(y, proba, { classes });
  const predicted = Array.from({ length: proba.rows }, (_, i) => {
    let best = 0;
    for (let c = 1; c < proba.cols; c++)
      if (proba.data[i * proba.cols + c] > proba.data[i * proba.cols + best]) best = c;
    return classes[best];
  });
  return accuracy(y, predicted);
}

async function keelHoldout(c: HoldoutCase, data: BenchDataset): Promise<Measured> {
  const model = createEstimator(c.estimator, c.keel);
  let started = performance.now();
  await model.fit(headRows(data.X, data.train), data.y.subarray(0, data.train));
  const fitSeconds = (performance.now() - started) / 1000;
  const Xtest = tailRows(data.X, data.train);
  const ytest = data.y.subarray(data.train);
  if (!isClassifier(model)) throw new Error(`${c.estimator} is not a classifier`);
  started = performance.now();
  if (c.predict === 'labels') {
    const predicted = model.predict(Xtest);
    const predictSeconds = (performance.now() - started) / 1000;
    return { fitSeconds, predictSeconds, metric: accuracy(ytest, predicted) };
  }
  const proba = model.predictProba(Xtest);
  const predictSeconds = (performance.now() - started) / 1000;
  return { fitSeconds, predictSeconds, metric: metricFromProba(c.metric, ytest, proba, model.classes) };
}

async function keelFit(c: GrowthCase, data: BenchDataset, rows: number): Promise<Measured> {
  const model = createEstimator(c.estimator, c.keel);
  const started = performance.now();
  await model.fit(headRows(data.X, rows), data.y.subarray(0, rows));
  return { fitSeconds: (performance.now() - started) / 1000 };
}

function toMeasured(run: SklearnRun): Measured {
  if (run.fitSeconds === undefined) throw new Error('scikit-learn reported no fit time');
  return run as Measured;
}

/** Least-squares slope of log(time) over log(rows). */
function logLogSlope(rows: readonly number[], times: readonly number[]): number {
  const x = rows.map(Math.log);
  const y = times.map(Math.log);
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return num / den;
}

function summarize(runs: readonly Measured[]): SideSummary {
  const pick = (key: keyof Measured): number | null => {
    const values = runs.map((r) => r[key]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? null : median(values);
  };
  return { fitSeconds: pick('fitSeconds'), predictSeconds: pick('predictSeconds'), metric: pick('metric'), runs };
}

const ratio = (keel: number | null | undefined, reference: number | null | undefined): number | null =>
  keel == null || reference == null ? null : keel / reference;

/** Runs `keel` and `sklearn` `repeats` times each, alternating which goes first to cancel order effects. */
async function interleave(
  repeats: number,
  keel: () => Promise<Measured>,
  sklearn: (() => Promise<Measured>) | null,
): Promise<{ keel: Measured[]; sklearn: Measured[] }> {
  const out = { keel: [] as Measured[], sklearn: [] as Measured[] };
  for (let r = 0; r < repeats; r++) {
    const sides = r % 2 === 0 ? (['keel', 'sklearn'] as const) : (['sklearn', 'keel'] as const);
    for (const side of sides) {
      if (side === 'keel') out.keel.push(await keel());
      else if (sklearn !== null) out.sklearn.push(await sklearn());
    }
  }
  return out;
}

function checks(results: readonly (boolean | null)[]): boolean | null {
  const known = results.filter((r): r is boolean => r !== null);
  return known.length === 0 ? null : known.every(Boolean);
}

const atMost = (value: number | null, target: number | undefined): boolean | null =>
  value === null || target === undefined ? null : value <= target;

async function runHoldout(
  c: HoldoutCase,
  datasets: Datasets,
  sklearn: SklearnSide | null,
  options: MlSuiteOptions,
): Promise<Omit<RowResult, 'id' | 'kind' | 'estimator' | 'title' | 'status'>> {
  const { path, data } = await datasets.classification(c.train, c.test, c.cols, c.seed);
  try {
    const runs = await interleave(
      options.repeats,
      () => keelHoldout(c, data),
      sklearn && path
        ? async () =>
            toMeasured(
              await sklearn.fit({
                data: path,
                estimator: c.estimator,
                params: c.sklearn,
                metric: c.metric,
                predictMethod: c.predict,
              }),
            )
        : null,
    );
    const keel = summarize(runs.keel);
    const reference = sklearn ? summarize(runs.sklearn) : null;
    const fitRatio = ratio(keel.fitSeconds, reference?.fitSeconds);
    const predictRatio = ratio(keel.predictSeconds, reference?.predictSeconds);
    const qualityDiff = reference?.metric != null && keel.metric !== null ? keel.metric - reference.metric : null;
    return {
      metric: c.metric,
      keel,
      sklearn: reference,
      fitRatio,
      predictRatio,
      qualityDiff,
      targets: { ...c.targets },
      meetsTargets: checks([
        atMost(fitRatio, c.targets.fitRatio),
        atMost(predictRatio, c.targets.predictRatio),
        atMost(qualityDiff === null ? null : Math.abs(qualityDiff), c.targets.qualityDiff),
      ]),
    };
  } finally {
    datasets.remove(path);
  }
}

async function runGrowth(
  c: GrowthCase,
  datasets: Datasets,
  sklearn: SklearnSide | null,
  options: MlSuiteOptions,
): Promise<Omit<RowResult, 'id' | 'kind' | 'estimator' | 'title' | 'status'>> {
  const largest = Math.max(...c.sizes);
  const { path, data } = await datasets.classification(largest, 0, c.cols, c.seed);
  try {
    const keelTimes: number[] = [];
    const sklearnTimes: number[] = [];
    const runsBySize: unknown[] = [];
    for (const rows of c.sizes) {
      const runs = await interleave(
        options.repeats,
        () => keelFit(c, data, rows),
        sklearn && path
          ? async () =>
              toMeasured(
                await sklearn.fit({ data: path, estimator: c.estimator, params: c.sklearn, rows, predict: false }),
              )
          : null,
      );
      keelTimes.push(median(runs.keel.map((r) => r.fitSeconds)));
      if (sklearn) sklearnTimes.push(median(runs.sklearn.map((r) => r.fitSeconds)));
      runsBySize.push({ rows, keel: runs.keel, sklearn: runs.sklearn });
    }
    const keelSlope = logLogSlope(c.sizes, keelTimes);
    const side = (times: number[], slope: number): SideSummary => ({
      fitSeconds: times[times.length - 1],
      predictSeconds: null,
      metric: null,
      slope,
      runs: times.map((fitSeconds, i) => ({ rows: c.sizes[i], fitSeconds })),
    });
    return {
      metric: 'slope',
      keel: side(keelTimes, keelSlope),
      sklearn: sklearn ? side(sklearnTimes, logLogSlope(c.sizes, sklearnTimes)) : null,
      fitRatio: ratio(keelTimes[keelTimes.length - 1], sklearnTimes[sklearnTimes.length - 1]),
      predictRatio: null,
      qualityDiff: null,
      targets: { slope: c.targetSlope },
      meetsTargets: keelSlope <= c.targetSlope,
    };
  } finally {
    datasets.remove(path);
  }
}

async function runReal(
  c: RealDataCase,
  datasets: Datasets,
  sklearn: SklearnSide,
): Promise<Omit<RowResult, 'id' | 'kind' | 'estimator' | 'title' | 'status'>> {
  const { path, data } = await datasets.real(c.dataset);
  // Unshuffled stratified folds are the same on both sides, so both score the same splits.
  const folds = 5;
  const keelScores = await crossValidate(createEstimator(c.estimator, c.keel), data.X, data.y, {
    cv: new StratifiedKFold({ nSplits: folds }),
    scoring: 'accuracy',
  });
  const mean = keelScores.testScores.accuracy.reduce((a, b) => a + b, 0) / folds;
  const reference = await sklearn.fit({
    data: path,
    estimator: c.estimator,
    params: c.sklearn,
    mode: 'cv',
    folds,
  });
  const diff = reference.metric === undefined ? null : mean - reference.metric;
  const summary = (metric: number | null): SideSummary => ({
    fitSeconds: null,
    predictSeconds: null,
    metric,
    runs: [],
  });
  return {
    metric: 'accuracy',
    keel: summary(mean),
    sklearn: summary(reference.metric ?? null),
    fitRatio: null,
    predictRatio: null,
    qualityDiff: diff,
    targets: { qualityDiff: c.targetDiff },
    meetsTargets: atMost(diff === null ? null : Math.abs(diff), c.targetDiff),
  };
}

function titleOf(c: BenchCase): string {
  if (c.kind === 'holdout') return c.describe(c.train, c.test);
  if (c.kind === 'growth') return c.describe(c.sizes);
  return `${c.estimator} on ${c.dataset}, 5-fold accuracy`;
}

/** The ML suite: Keel against scikit-learn on SPEC.md §5's rows, side by side in one run. */
export async function runMlSuite(options: MlSuiteOptions): Promise<MlSuiteResult> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const sklearn = options.keelOnly ? null : await SklearnSide.open(options.log);
  const versions = sklearn ? await sklearn.versions() : null;
  const available = new Set<string>(listAlgorithms());
  const datasets = new Datasets(sklearn);
  const rows: RowResult[] = [];
  try {
    for (const c of benchCases(options)) {
      if (options.only.length > 0 && !options.only.includes(c.estimator)) continue;
      if (c.kind === 'real' && sklearn === null) continue; // the bundled datasets come from Python
      const base = { id: c.id, kind: c.kind, estimator: c.estimator, title: titleOf(c) };
      const skipped = (status: Status, note: string): RowResult => ({
        ...base,
        status,
        note,
        metric: null,
        keel: null,
        sklearn: null,
        fitRatio: null,
        predictRatio: null,
        qualityDiff: null,
        targets: {},
        meetsTargets: null,
      });
      if (!available.has(c.estimator)) {
        rows.push(skipped('not_available', `Keel has no "${c.estimator}" yet`));
        options.log(`${base.title}: not available in Keel yet`);
        continue;
      }
      options.log(`${base.title} …`);
      try {
        createEstimator(c.estimator, c.keel); // bad params fail here, before any data is made
        const measured =
          c.kind === 'holdout'
            ? await runHoldout(c, datasets, sklearn, options)
            : c.kind === 'growth'
              ? await runGrowth(c, datasets, sklearn, options)
              : await runReal(c, datasets, sklearn as SklearnSide);
        rows.push({ ...base, status: 'ok', ...measured });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        options.log(`${base.title}: failed: ${message}`);
        rows.push(skipped('error', message));
      }
    }
  } finally {
    datasets.close();
  }
  return {
    suite: 'ml',
    startedAt,
    finishedAt: new Date().toISOString(),
    options: {
      quick: options.quick,
      keelOnly: options.keelOnly,
      scale: options.scale,
      repeats: options.repeats,
      only: options.only,
    },
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
    },
    threads: THREADS,
    sklearn: versions,
    rows,
  };
}

const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

function qualityCell(row: RowResult): string {
  if (row.metric === null) return '';
  if (row.metric === 'slope') {
    const theirs = row.sklearn?.slope === undefined ? '' : ` (sklearn ${fixed(row.sklearn.slope, 2)})`;
    return `slope ${fixed(row.keel?.slope, 2)}${theirs}`;
  }
  const digits = row.metric === 'log_loss' ? 6 : 4;
  const keel = fixed(row.keel?.metric, digits);
  if (row.sklearn === null) return `${row.metric} ${keel}`;
  const d = row.qualityDiff;
  const diff = d === null ? '—' : d === 0 ? '0' : `${d > 0 ? '+' : ''}${d.toExponential(1)}`;
  return `${row.metric} ${keel} vs ${fixed(row.sklearn.metric, digits)} (Δ ${diff})`;
}

function targetCell(row: RowResult): string {
  const t = row.targets;
  const parts: string[] = [];
  if (t.fitRatio !== undefined) parts.push(`fit ≤ ${t.fitRatio.toFixed(1)}×`);
  if (t.predictRatio !== undefined) parts.push(`predict ≤ ${t.predictRatio.toFixed(1)}×`);
  if (t.qualityDiff !== undefined) parts.push(`|Δ| ≤ ${t.qualityDiff}`);
  if (t.slope !== undefined) parts.push(`slope ≤ ${t.slope}`);
  const verdict = row.meetsTargets === null ? '' : row.meetsTargets ? ' ✓' : ' ✗';
  return parts.join(', ') + verdict;
}

const times = (value: number | null): string => (value === null ? '—' : `${value.toFixed(2)}×`);

/** The suite's results as a table. */
export function formatMlTable(result: MlSuiteResult): string {
  const columns: Column<RowResult>[] = [
    { header: 'row', cell: (r) => r.title },
    { header: 'Keel fit', cell: (r) => seconds(r.keel?.fitSeconds), align: 'right' },
    { header: 'sklearn fit', cell: (r) => seconds(r.sklearn?.fitSeconds), align: 'right' },
    { header: 'fit ×', cell: (r) => times(r.fitRatio), align: 'right' },
    { header: 'Keel predict', cell: (r) => seconds(r.keel?.predictSeconds), align: 'right' },
    { header: 'sklearn predict', cell: (r) => seconds(r.sklearn?.predictSeconds), align: 'right' },
    { header: 'predict ×', cell: (r) => times(r.predictRatio), align: 'right' },
    { header: 'quality', cell: qualityCell },
    { header: 'target', cell: targetCell },
    { header: 'status', cell: (r) => (r.status === 'ok' ? 'ok' : `${r.status}: ${r.note ?? ''}`) },
  ];
  const { machine, sklearn, options } = result;
  const reference = sklearn
    ? `Keel vs scikit-learn ${sklearn.sklearn} (numpy ${sklearn.numpy}, Python ${sklearn.python}); ${result.threads} threads each`
    : `Keel only (--keel-only, so no bundled-dataset rows); ${result.threads} threads`;
  const head = [
    `ML benchmark: ${reference}; median of ${options.repeats} interleaved run${options.repeats === 1 ? '' : 's'}${options.quick ? '; --quick sizes' : ''}${options.scale !== 1 ? `; rows × ${options.scale}` : ''}`,
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end`,
  ];
  return [...head, '', formatTable(columns, result.rows)].join('\n');
}
