import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError, rowAt, takeRows, type Row, type Table, type TaskType } from '../../src/core/index.js';
import { readCsvTable, validateRows } from '../../src/data/index.js';
import { FeaturePipeline, type FeaturePipelineConfig, type FeaturePipelineSpec } from '../../src/features/index.js';
import { createEstimator, isClassifier, trainTestSplit } from '../../src/ml/index.js';
import {
  createPackage,
  decodePackage,
  encodePackage,
  exportOnnx,
  LoadedModel,
  type ModelPackage,
} from '../../src/registry/index.js';
import { compareOutputs, onnxCheck, onnxTmp, runExported } from './onnx-helpers.js';

// Keel's ONNX export against Keel itself: every exportable estimator and every exportable
// transform, on the churn data's test rows (plus rows with missing and unknown values), run in
// onnxruntime-node and compared with LoadedModel's predictions; every graph passes onnx's
// checker with full_check (shape inference).

let churn: Table;
let train: Table;
let test_: Table;

/** The default recipe over the churn columns (impute, standard-scale, one-hot), without `exclude`. */
function defaultRecipe(exclude: readonly string[]): FeaturePipelineConfig {
  const numeric = ['tenure', 'MonthlyCharges', 'TotalCharges'].filter((c) => !exclude.includes(c));
  const categorical = [
    'gender',
    'SeniorCitizen',
    'Partner',
    'Dependents',
    'PhoneService',
    'MultipleLines',
    'InternetService',
    'OnlineSecurity',
    'OnlineBackup',
    'DeviceProtection',
    'TechSupport',
    'StreamingTV',
    'StreamingMovies',
    'Contract',
    'PaperlessBilling',
    'PaymentMethod',
  ].filter((c) => !exclude.includes(c));
  return { numeric, categorical, numericImpute: 'median', scale: 'standard' };
}

/** Every exportable transform type, and derived columns over every expression operator ONNX can express. */
const everyTransform: FeaturePipelineSpec = {
  derived: [
    { name: 'avgCharge', expr: 'if(tenure > 0, TotalCharges / tenure, MonthlyCharges)' },
    { name: 'chargesGap', expr: 'coalesce(TotalCharges, 0) - MonthlyCharges * tenure' },
    { name: 'totalCopy', expr: 'TotalCharges + 0' },
    { name: 'monthToMonth', expr: 'Contract == "Month-to-month" or isnull(TotalCharges)' },
    { name: 'notFiber', expr: 'InternetService != "Fiber optic" and not (tenure >= 70)' },
    {
      name: 'mixed',
      expr: 'round(sqrt(abs(MonthlyCharges - 50)) ^ 1.5) % 7 + floor(log1p(tenure)) - ceil(exp(-tenure / 10)) + log(MonthlyCharges) * min(tenure, 12, 24) / max(1, tenure) - (tenure <= 1) + (tenure < 2) * 2 - isnull(Partner)',
    },
  ],
  steps: [
    {
      name: 'amounts',
      columns: ['tenure', 'MonthlyCharges'],
      transforms: [{ type: 'simple_imputer', strategy: 'median', addIndicator: true }, { type: 'robust_scaler' }],
    },
    {
      name: 'total',
      columns: ['TotalCharges'],
      transforms: [
        { type: 'simple_imputer', strategy: 'mean', addIndicator: true },
        { type: 'log' },
        { type: 'min_max_scaler', featureRange: [-1, 1], clip: true },
      ],
    },
    {
      name: 'derived',
      columns: ['avgCharge', 'chargesGap', 'mixed'],
      transforms: [
        { type: 'simple_imputer', strategy: 'median' },
        { type: 'clip', min: -1000, max: 1000 },
        { type: 'standard_scaler' },
      ],
    },
    {
      name: 'flags',
      columns: ['monthToMonth', 'notFiber'],
      transforms: [{ type: 'simple_imputer', strategy: 'constant' }],
    },
    { name: 'bins', columns: ['tenure'], transforms: [{ type: 'k_bins_discretizer', nBins: 6 }] },
    {
      name: 'ordinal bins',
      columns: ['MonthlyCharges', 'TotalCharges'],
      transforms: [
        { type: 'k_bins_discretizer', nBins: 4, strategy: 'uniform', encode: 'ordinal' },
        { type: 'simple_imputer', strategy: 'most_frequent' },
      ],
    },
    {
      name: 'offset log',
      columns: ['totalCopy'],
      transforms: [
        { type: 'clip', max: 5000 },
        { type: 'log', offset: -10 },
        { type: 'simple_imputer', strategy: 'median', addIndicator: true },
        { type: 'standard_scaler', withMean: false },
      ],
    },
    {
      name: 'categories',
      columns: ['Contract', 'PaymentMethod', 'MultipleLines'],
      transforms: [
        { type: 'simple_imputer', strategy: 'most_frequent', addIndicator: true },
        { type: 'one_hot_encoder', minFrequency: 0.22, handleUnknown: 'infrequent_if_exist' },
      ],
    },
    { name: 'plain one-hot', columns: ['Partner', 'SeniorCitizen'], transforms: [{ type: 'one_hot_encoder' }] },
    {
      name: 'ordinal',
      columns: ['InternetService', 'Dependents'],
      transforms: [{ type: 'ordinal_encoder', unknownValue: 9, encodedMissingValue: -2 }],
    },
    { name: 'target', columns: ['PaymentMethod', 'gender'], transforms: [{ type: 'target_encoder' }] },
    { name: 'smoothed target', columns: ['TechSupport'], transforms: [{ type: 'target_encoder', smooth: 10 }] },
  ],
};

interface Built {
  readonly pkg: ModelPackage;
  readonly rows: Row[];
}

async function build(
  spec: FeaturePipelineSpec | FeaturePipelineConfig,
  algorithm: string,
  params: Record<string, number | string | boolean | null>,
  target: string,
  task: TaskType,
): Promise<Built> {
  const pipeline = new FeaturePipeline(spec);
  const targetValues = (table: Table) => table.columns.find((c) => c.name === target)!.values;
  await pipeline.fit(train, targetValues(train));
  const estimator = createEstimator(algorithm, params);
  await estimator.fit(pipeline.transform(train), targetValues(train) as ArrayLike<string | number>);
  const pkg = createPackage({
    algorithm,
    signature: {
      inputs: pipeline.inputColumns(),
      task,
      classes: isClassifier(estimator) ? estimator.classes.map(String) : undefined,
    },
    features: pipeline.toJSON(),
    estimator: estimator.toJSON(),
    metrics: {},
    reference: { rows: 0, features: [] },
    lineage: { runId: null, datasetVersionId: null, pipelineRunId: null },
  });
  return { pkg: decodePackage(encodePackage(pkg)), rows: testRows(pkg, target) };
}

/** The test rows as serving checks them, plus rows with missing values and unknown categories. */
function testRows(pkg: ModelPackage, target: string): Row[] {
  const raw = Array.from({ length: test_.rows }, (_, i) => rowAt(test_, i, [target]));
  const odd: Row[] = [
    { ...raw[0], TotalCharges: null, Contract: 'Weekly', PaymentMethod: null, gender: 'Other' },
    { ...raw[1], InternetService: 'Satellite', Dependents: null, SeniorCitizen: 7, Partner: null, tenure: 0 },
    { ...raw[2], MultipleLines: null, TechSupport: 'Maybe', MonthlyCharges: 500, TotalCharges: 90000 },
    { ...raw[3], tenure: 72, TotalCharges: 0.5, Contract: null },
  ];
  const rows = [...raw, ...odd].map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of pkg.signature.inputs) out[c.name] = r[c.name] ?? null;
    return out;
  });
  const checked = validateRows(rows, pkg.signature.inputs);
  if (!checked.ok) throw new Error(checked.problems[0].message);
  return checked.rows;
}

async function exportAndCompare(built: Built, name: string, numeric: 'double' | 'float' = 'double') {
  const bytes = exportOnnx(built.pkg, { numericInput: numeric });
  expect(onnxCheck(bytes, name)).toBeNull();
  const keel = LoadedModel.fromPackage(built.pkg).predict(built.rows);
  const onnx = await runExported(bytes, built.pkg.signature, built.rows, numeric);
  return compareOutputs(keel, onnx, built.pkg.signature);
}

const measured: Record<string, { maxDelta: number; maxRelative: number }> = {};

beforeAll(async () => {
  churn = await readCsvTable('examples/churn/telco_churn.csv', { missing: ['', ' ', 'NA', '?'] });
  const { train: trainRows, test: testIndices } = trainTestSplit(churn.rows, { testSize: 0.2, seed: 7 });
  train = takeRows(churn, trainRows);
  test_ = takeRows(churn, testIndices);
});

afterAll(() => {
  // KEEL_ONNX_REPORT=1 prints the measured differences (docs/onnx.md quotes them).
  if (process.env.KEEL_ONNX_REPORT) console.table(measured);
  rmSync(onnxTmp, { recursive: true, force: true });
});

const binary = defaultRecipe([]);
const multiclass = defaultRecipe(['Contract']);
const regression = defaultRecipe(['MonthlyCharges']);

describe('the churn model exported to ONNX predicts what Keel predicts', () => {
  const cases: ReadonlyArray<
    [string, string, Record<string, number | string | boolean | null>, 'binary' | 'multiclass' | 'regression', number]
  > = [
    ['logistic regression, binary', 'logistic_regression', { C: 1, maxIter: 200 }, 'binary', 1e-12],
    ['logistic regression, multiclass', 'logistic_regression', { maxIter: 300 }, 'multiclass', 1e-12],
    ['linear regression', 'linear_regression', {}, 'regression', 1e-9],
    ['ridge', 'ridge', { alpha: 3 }, 'regression', 1e-9],
    ['decision tree', 'decision_tree', { maxDepth: 8, minSamplesLeaf: 5 }, 'binary', 1e-7],
    ['decision tree, multiclass', 'decision_tree', { maxDepth: 8 }, 'multiclass', 1e-7],
    ['decision tree regressor', 'decision_tree_regressor', { maxDepth: 10 }, 'regression', 1e-5],
    ['random forest', 'random_forest', { nEstimators: 40, maxDepth: 10, seed: 1 }, 'binary', 1e-6],
    ['random forest, multiclass', 'random_forest', { nEstimators: 30, maxDepth: 8, seed: 2 }, 'multiclass', 1e-6],
    [
      'random forest regressor',
      'random_forest_regressor',
      { nEstimators: 30, maxDepth: 12, seed: 3 },
      'regression',
      1e-5,
    ],
    ['gradient boosting', 'hist_gradient_boosting', { maxIter: 60, seed: 4 }, 'binary', 1e-6],
    ['gradient boosting, multiclass', 'hist_gradient_boosting', { maxIter: 40, seed: 5 }, 'multiclass', 1e-6],
    ['gradient boosting regressor', 'hist_gradient_boosting_regressor', { maxIter: 80, seed: 6 }, 'regression', 1e-5],
    ['Gaussian naive Bayes', 'gaussian_nb', {}, 'binary', 1e-9],
    ['Gaussian naive Bayes, multiclass', 'gaussian_nb', {}, 'multiclass', 1e-9],
  ];
  test.each(cases)('%s', async (name, algorithm, params, kind, tolerance) => {
    const recipe = kind === 'binary' ? binary : kind === 'multiclass' ? multiclass : regression;
    const target = kind === 'binary' ? 'Churn' : kind === 'multiclass' ? 'Contract' : 'MonthlyCharges';
    const task: TaskType =
      kind === 'regression' ? 'regression' : kind === 'binary' ? 'binary_classification' : 'multiclass_classification';
    const built = await build(recipe, algorithm, params, target, task);
    const result = await exportAndCompare(built, algorithm + kind);
    measured[name] = result;
    expect(result.labelMismatches).toBe(0);
    expect(result.maxDelta).toBeLessThanOrEqual(tolerance);
  });
});

describe('LoadedModel.predict', () => {
  test('row by row, in batches and over its reused feature buffer it gives the same answers', async () => {
    const built = await build(
      binary,
      'random_forest',
      { nEstimators: 10, maxDepth: 6, seed: 3 },
      'Churn',
      'binary_classification',
    );
    const model = LoadedModel.fromPackage(built.pkg);
    const width = FeaturePipeline.fromJSON(built.pkg.features).featureNames.length;
    // A batch past the reused buffer's 65,536 values gets a matrix of its own.
    const many = Array.from({ length: Math.ceil(70_000 / width) }, (_, i) => built.rows[i % built.rows.length]);
    const big = model.predict(many);
    const first = model.predict(built.rows.slice(0, 50));
    const singles = built.rows.slice(0, 50).map((row) => model.predict([row])[0]);
    expect(singles).toEqual(first);
    expect(big.slice(0, 50)).toEqual(first);
    // Answers already returned are not rewritten by later calls.
    const copy = structuredClone(first);
    model.predict(built.rows.slice(50, 100));
    expect(first).toEqual(copy);
  });
});

describe('a pipeline with every exportable transform', () => {
  test.each([
    ['logistic regression', 'logistic_regression', { maxIter: 300 }, 1e-12],
    ['gradient boosting', 'hist_gradient_boosting', { maxIter: 40, seed: 1 }, 1e-6],
    ['random forest', 'random_forest', { nEstimators: 20, maxDepth: 8, seed: 1 }, 1e-6],
  ] as const)('with %s', async (name, algorithm, params, tolerance) => {
    const built = await build(everyTransform, algorithm, params, 'Churn', 'binary_classification');
    const result = await exportAndCompare(built, `every-${algorithm}`);
    measured[`every transform + ${name}`] = result;
    expect(result.labelMismatches).toBe(0);
    expect(result.maxDelta).toBeLessThanOrEqual(tolerance);
  });

  test('missing values reach gradient boosting unimputed and go the side each split learned', async () => {
    const spec: FeaturePipelineSpec = {
      steps: [
        { columns: ['tenure', 'TotalCharges', 'MonthlyCharges'], transforms: [] },
        { columns: ['Contract', 'InternetService'], transforms: [{ type: 'ordinal_encoder' }] },
      ],
    };
    const built = await build(
      spec,
      'hist_gradient_boosting',
      { maxIter: 50, seed: 2 },
      'Churn',
      'binary_classification',
    );
    const withMissing = built.rows.map((r, i) => (i % 3 === 0 ? { ...r, TotalCharges: null, Contract: null } : r));
    const result = await exportAndCompare({ ...built, rows: withMissing }, 'hgb-missing');
    expect(result.labelMismatches).toBe(0);
    expect(result.maxDelta).toBeLessThanOrEqual(1e-6);
  });

  test('with float32 inputs the rounding of the inputs stays within 1e-5', async () => {
    const built = await build(
      everyTransform,
      'logistic_regression',
      { maxIter: 300 },
      'Churn',
      'binary_classification',
    );
    const result = await exportAndCompare(built, 'every-float', 'float');
    measured['every transform + logistic regression, float32 inputs'] = result;
    expect(result.maxDelta).toBeLessThanOrEqual(1e-5);
  });
});

describe('what cannot be exported says so, naming the part', () => {
  const notExportable = async (spec: FeaturePipelineSpec, algorithm = 'logistic_regression') => {
    const built = await build(spec, algorithm, {}, 'Churn', 'binary_classification');
    try {
      exportOnnx(built.pkg);
    } catch (error) {
      expect(error).toBeInstanceOf(KeelError);
      expect((error as KeelError).code).toBe('not_exportable');
      return (error as KeelError).message;
    }
    throw new Error('the export did not fail');
  };
  const base = { columns: ['tenure'], transforms: [{ type: 'standard_scaler' }] };

  test('date parts', async () => {
    const message = await notExportable({
      derived: [{ name: 'signup', expr: '1420070400 - tenure * 2629746' }],
      steps: [base, { name: 'date', columns: ['signup'], transforms: [{ type: 'date_parts', parts: ['month'] }] }],
    });
    expect(message).toMatch(
      /^feature step "date" \(date_parts\) cannot be exported to ONNX: ONNX has no operator that parses dates/,
    );
  });

  test('hashing', async () => {
    const message = await notExportable({
      steps: [base, { columns: ['customerID'], transforms: [{ type: 'hashing_encoder', nFeatures: 4 }] }],
    });
    expect(message).toMatch(
      /^feature step 2 \(hashing_encoder\) cannot be exported to ONNX: ONNX has no string hashing/,
    );
  });

  test('a text-valued derived column', async () => {
    const message = await notExportable({
      derived: [{ name: 'length', expr: 'if(Contract == "Month-to-month", "short", "long")' }],
      steps: [base, { columns: ['length'], transforms: [{ type: 'one_hot_encoder' }] }],
    });
    expect(message).toMatch(/^derived column "length" .* cannot be exported to ONNX: its value is text/);
  });

  test('text ordering in an expression', async () => {
    const message = await notExportable({
      derived: [{ name: 'late', expr: 'Contract > "N"' }],
      steps: [base, { columns: ['late'], transforms: [] }],
    });
    expect(message).toMatch(/derived column "late" .* cannot be exported to ONNX: ONNX cannot order text/);
  });

  test('k-nearest neighbours', async () => {
    const message = await notExportable({ steps: [base] }, 'k_neighbors');
    expect(message).toMatch(
      /^estimator "k_neighbors" cannot be exported to ONNX: k-nearest neighbours keeps its training rows/,
    );
  });
});
