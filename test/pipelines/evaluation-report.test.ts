import { beforeAll, describe, expect, it } from 'vitest';
import { KeelError, loadProject, type EvaluationReport, type Project, type Table } from '../../src/core/index.js';
import { LinearRegression, LogisticRegression, Rng } from '../../src/ml/index.js';
import { downsample, MAX_CURVE_POINTS, type TestRows } from '../../src/pipelines/evaluation-report.js';
import { taskStrategy } from '../../src/pipelines/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';

/**
 * The evaluation report on synthetic test rows where the answer is known: churn is likelier
 * for low tenure, and the model is weaker for the "B" segment, where the label is noise.
 */
const N = 1_000;

interface Synthetic {
  readonly table: Table;
  readonly X: { rows: number; cols: number; data: Float64Array };
  readonly y: string[];
  readonly amount: Float64Array;
}

function synthetic(): Synthetic {
  const rng = new Rng(7);
  const tenure = new Float64Array(N);
  const segment: Array<string | null> = [];
  const plan: Array<string | null> = [];
  const signup: Array<string | null> = [];
  const y: string[] = [];
  const amount = new Float64Array(N);
  const X = new Float64Array(N * 2);
  for (let i = 0; i < N; i++) {
    tenure[i] = Math.floor(rng.nextFloat() * 72);
    const seg = i % 10 === 0 ? null : i % 4 === 0 ? 'B' : 'A';
    segment.push(seg);
    plan.push(i % 2 === 0 ? 'basic' : 'pro');
    signup.push(`2024-01-${String(1 + (i % 28)).padStart(2, '0')} 00:00:00`);
    const noisy = seg === 'B';
    const churn = noisy ? rng.nextFloat() < 0.5 : rng.nextFloat() < 1 - tenure[i] / 72;
    y.push(churn ? 'Yes' : 'No');
    amount[i] = 10 + tenure[i] * 2 + (rng.nextFloat() - 0.5) * (noisy ? 60 : 4);
    // A little jitter, so every row has its own score and the curves have many points.
    X[i * 2] = (tenure[i] + rng.nextFloat() * 0.5) / 72;
    X[i * 2 + 1] = noisy ? 1 : 0;
  }
  const table: Table = {
    rows: N,
    columns: [
      { name: 'customer', kind: 'string', values: Array.from({ length: N }, (_, i) => `c${i}`) },
      { name: 'tenure', kind: 'number', values: tenure },
      { name: 'segment', kind: 'string', values: segment },
      { name: 'plan', kind: 'string', values: plan },
      { name: 'signup', kind: 'string', values: signup },
      { name: 'Churn', kind: 'string', values: y },
      { name: 'amount', kind: 'number', values: amount },
    ],
  };
  return { table, X: { rows: N, cols: 2, data: X }, y, amount };
}

function projectWith(base: Project, evaluation: NonNullable<Project['config']['evaluation']>, task?: object): Project {
  return {
    ...base,
    config: {
      ...base.config,
      task: { ...base.config.task, idColumn: 'customer', ...task },
      evaluation: { ...base.config.evaluation, ...evaluation },
    },
  };
}

function testRows(table: Table): TestRows {
  return {
    table,
    // As if these were rows 5000… of the dataset version.
    indices: Uint32Array.from({ length: table.rows }, (_, i) => 5_000 + i),
    columnTypes: new Map([
      ['tenure', 'integer'],
      ['signup', 'datetime'],
    ]),
    split: { method: 'stratified', trainRows: 4_000, testRows: N, seed: 42 },
  };
}

describe('the classification evaluation report', () => {
  let data: Synthetic;
  let report: EvaluationReport;
  let metrics: Record<string, number>;
  let project: Project;

  beforeAll(async () => {
    data = synthetic();
    project = projectWith(loadProject(churnProjectDir), {
      slices: ['segment', 'tenure', 'plan', 'signup'],
      sliceBins: 4,
      minSliceRows: 120,
    });
    const model = await new LogisticRegression({ C: 1 }).fit(data.X, data.y);
    ({ metrics, report } = taskStrategy('binary_classification').evaluate(
      model,
      data.X,
      data.y,
      project,
      testRows(data.table),
    ));
  });

  it('is a versioned document with the metric set, the split and the selection metric', () => {
    expect(report).toMatchObject({
      format: 'keel.evaluation-report',
      formatVersion: 1,
      task: 'binary_classification',
      target: 'Churn',
      rows: N,
      split: { method: 'stratified', trainRows: 4_000, testRows: N, seed: 42 },
      selectionMetric: 'roc_auc',
      greaterIsBetter: true,
    });
    expect(Object.keys(report.metrics)).toEqual([
      'accuracy',
      'precision',
      'recall',
      'f1',
      'roc_auc',
      'pr_auc',
      'log_loss',
    ]);
    expect(metrics).toEqual(report.metrics);
    expect(report.metrics.roc_auc).toBeGreaterThan(0.6);
  });

  it('has the confusion matrix, per-class scores and class balance, in the order of the classes', () => {
    const details = report.classification!;
    expect(details.classes).toEqual(['No', 'Yes']);
    expect(details.positiveClass).toBe('Yes');
    const matrix = details.confusionMatrix.matrix;
    expect(matrix.flat().reduce((a, b) => a + b)).toBe(N);
    const positives = data.y.filter((v) => v === 'Yes').length;
    expect(details.classBalance).toEqual([
      { label: 'No', rows: N - positives, share: (N - positives) / N },
      { label: 'Yes', rows: positives, share: positives / N },
    ]);
    const yes = details.perClass[1];
    expect(yes.recall).toBeCloseTo(report.metrics.recall!, 12);
    expect(yes.precision).toBeCloseTo(report.metrics.precision!, 12);
    expect(yes.support).toBe(positives);
  });

  it('has ROC and PR curves of at most 200 points and a calibration curve over every row', () => {
    const curves = report.classification!.curves!;
    expect(curves.roc.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(curves.roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(curves.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(curves.pr.length).toBe(MAX_CURVE_POINTS);
    expect(curves.pr.at(-1)).toEqual({ recall: 0, precision: 1, threshold: null });
    expect(curves.pr[0].recall).toBe(1);
    expect(curves.calibration.reduce((sum, bin) => sum + bin.rows, 0)).toBe(N);
    for (const bin of curves.calibration) {
      expect(bin.predicted).toBeGreaterThanOrEqual(0);
      expect(bin.observed).toBeLessThanOrEqual(1);
    }
  });

  it('slices a text column by value with missing values as their own slice', () => {
    const segment = report.slices.columns.find((c) => c.column === 'segment')!;
    expect(segment.kind).toBe('values');
    expect(segment.slices.map((s) => [s.label, s.rows])).toEqual([
      ['A', 700],
      ['B', 200],
      ['(missing)', 100],
    ]);
    expect(segment.slices[2].small).toBe(true);
    expect(Object.keys(segment.slices[0].metrics)).toEqual(Object.keys(report.metrics));
  });

  it('slices a numeric column into quantile bins, the last one closed', () => {
    const tenure = report.slices.columns.find((c) => c.column === 'tenure')!;
    expect(tenure.kind).toBe('bins');
    expect(tenure.slices).toHaveLength(4);
    expect(tenure.slices.reduce((sum, s) => sum + s.rows, 0)).toBe(N);
    expect(tenure.slices[0].label).toMatch(/^\[0, \d+\)$/);
    expect(tenure.slices.at(-1)?.label).toMatch(/^\[\d+, 71\]$/);
    for (let b = 1; b < tenure.slices.length; b++) expect(tenure.slices[b].lower).toBe(tenure.slices[b - 1].upper);
    const values = data.table.columns[1].values as Float64Array;
    const [first] = tenure.slices;
    expect(first.rows).toBe(values.filter((v) => v >= first.lower! && v < first.upper!).length);
  });

  it('slices a datetime column into bins labelled with dates', () => {
    const signup = report.slices.columns.find((c) => c.column === 'signup')!;
    expect(signup.kind).toBe('bins');
    expect(signup.slices[0].label).toMatch(/^\[2024-01-01, 2024-01-\d\d\)$/);
    expect(signup.slices.reduce((sum, s) => sum + s.rows, 0)).toBe(N);
  });

  it('names the worst slices by the selection metric, ignoring slices below the minimum size', () => {
    const worst = report.slices.worst;
    expect(worst[0]).toMatchObject({ column: 'segment', label: 'B', rows: 200, metric: 'roc_auc' });
    expect(worst[0].value).toBeLessThan(worst[0].overall);
    expect(worst[0].gap).toBeCloseTo(worst[0].overall - worst[0].value, 12);
    expect(worst.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < worst.length; i++) expect(worst[i].gap).toBeLessThanOrEqual(worst[i - 1].gap);
    expect(worst.some((w) => w.label === '(missing)')).toBe(false);
  });

  it('lists the 20 rows with the largest log loss, with their id, dataset row and raw values', () => {
    const { largestErrors } = report;
    expect(largestErrors.loss).toBe('log_loss');
    expect(largestErrors.idColumn).toBe('customer');
    expect(largestErrors.rows).toHaveLength(20);
    for (let i = 1; i < 20; i++) expect(largestErrors.rows[i].loss).toBeLessThanOrEqual(largestErrors.rows[i - 1].loss);
    const top = largestErrors.rows[0];
    const i = top.row - 5_000;
    expect(top.id).toBe(`c${i}`);
    expect(top.actual).toBe(data.y[i]);
    expect(top.predicted).not.toBe(top.actual);
    expect(top.probability).toBeCloseTo(Math.exp(-top.loss), 12);
    expect(top.values).toMatchObject({ customer: `c${i}`, plan: i % 2 === 0 ? 'basic' : 'pro' });
    expect(top.values).not.toHaveProperty('Churn');
  });

  it('refuses a slice column that is not in the data, naming the key', async () => {
    const bad = projectWith(project, { slices: ['segment', 'segmnet'] });
    const model = await new LogisticRegression({ C: 1 }).fit(data.X, data.y);
    const error = (() => {
      try {
        taskStrategy('binary_classification').evaluate(model, data.X, data.y, bad, testRows(data.table));
      } catch (caught) {
        return caught as KeelError;
      }
    })();
    expect(error).toBeInstanceOf(KeelError);
    expect(error?.details.field).toBe('evaluation.slices[1]');
    expect(error?.message).toContain('evaluation.slices[1]: no column "segmnet" in the data');
  });
});

describe('the regression evaluation report', () => {
  it('has MAE, RMSE, R² and MAPE, the residuals, predicted against actual, slices and the largest absolute errors', async () => {
    const data = synthetic();
    const project = projectWith(
      loadProject(churnProjectDir),
      { slices: ['segment'], minSliceRows: 30 },
      { type: 'regression', target: 'amount' },
    );
    const regression: Project = {
      ...project,
      config: { ...project.config, training: { ...project.config.training, selectionMetric: 'rmse' } },
    };
    const model = await new LinearRegression().fit(data.X, data.amount);
    const { report } = taskStrategy('regression').evaluate(
      model,
      data.X,
      data.amount,
      regression,
      testRows(data.table),
    );
    expect(Object.keys(report.metrics)).toEqual(['mae', 'rmse', 'r2', 'mape']);
    expect(report.greaterIsBetter).toBe(false);
    expect(report.regression?.residuals.reduce((sum, bin) => sum + bin.count, 0)).toBe(N);
    expect(report.regression?.predictedVsActual).toHaveLength(MAX_CURVE_POINTS);
    // Lower is better for RMSE: the noisy segment is the worst.
    expect(report.slices.worst[0]).toMatchObject({ column: 'segment', label: 'B', metric: 'rmse' });
    expect(report.slices.worst[0].value).toBeGreaterThan(report.slices.worst[0].overall);
    const [top] = report.largestErrors.rows;
    expect(report.largestErrors.loss).toBe('absolute_error');
    expect(top.loss).toBeCloseTo(Math.abs(Number(top.actual) - Number(top.predicted)), 9);
    expect(top.values).not.toHaveProperty('amount');
  });
});

describe('downsampling a curve', () => {
  it('keeps short curves whole and spreads long ones evenly, first and last kept', () => {
    expect(downsample([1, 2, 3], 200)).toEqual([1, 2, 3]);
    const long = Array.from({ length: 1_001 }, (_, i) => i);
    const short = downsample(long, 200);
    expect(short).toHaveLength(200);
    expect([short[0], short.at(-1)]).toEqual([0, 1_000]);
    expect(new Set(short).size).toBe(200);
  });
});
