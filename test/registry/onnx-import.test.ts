import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError, rowAt, type Row } from '../../src/core/index.js';
import { importDataset, readCsvTable, validateRows } from '../../src/data/index.js';
import { FeaturePipeline } from '../../src/features/index.js';
import { createEstimator, isClassifier } from '../../src/ml/index.js';
import {
  createPackage,
  decodePackage,
  encodePackage,
  exportOnnx,
  LoadedModel,
  OnnxModel,
} from '../../src/registry/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { importOnnxFile } from '../../src/cli/commands/models-onnx.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { onnxTmp } from './onnx-helpers.js';

// Importing ONNX models Keel did not write (test/fixtures/onnx/make-fixtures.py builds them the
// way skl2onnx, onnxmltools and torch.onnx.export do, and computes their outputs in NumPy), then
// deploying and predicting over HTTP, as `keel models import … --deploy` does.

const fixtures = 'test/fixtures/onnx';
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as {
  skl_pipeline: { file: string; rows: Row[]; classes: string[]; labels: string[]; probabilities: number[][] };
  tree_regressor: { file: string; rows: Row[]; columns: string[]; values: number[] };
  torch_logit: { file: string; rows: Row[]; classes: string[]; positive: number[] };
  torch_logit_batch1: { file: string; rows: Row[]; classes: string[]; positive: number[] };
};

let ws: Awaited<ReturnType<typeof tempWorkspace>>;
let server: RunningServer;

async function predict(endpoint: string, instances: readonly Row[]) {
  const response = await fetch(`${server.url}/v1/endpoints/${endpoint}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- a test reads arbitrary JSON
}

/** Expects an import to fail with `code` and a message matching `message`, registering nothing. */
async function expectRefused(file: string, flags: Parameters<typeof importOnnxFile>[2], code: string, message: RegExp) {
  const before = await ws.metadata.listRegisteredModels();
  const failure = await importOnnxFile(ws, file, flags).then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(KeelError);
  expect((failure as KeelError).code).toBe(code);
  expect((failure as KeelError).message).toMatch(message);
  expect(await ws.metadata.listRegisteredModels()).toEqual(before);
}

beforeAll(async () => {
  ws = await tempWorkspace();
  server = await startServer(ws, { port: 0 });
});
afterAll(async () => {
  await server.close();
  await ws.dispose();
  rmSync(onnxTmp, { recursive: true, force: true });
});

describe('a scikit-learn pipeline exported by skl2onnx (named [N, 1] inputs, zipmap=False)', () => {
  test('imports with its signature from the graph, deploys and predicts over HTTP as NumPy computed', async () => {
    const fixture = expected.skl_pipeline;
    const csv = join(onnxTmp, 'contracts.csv');
    writeFileSync(
      csv,
      'tenure,monthly_charges,contract\n' +
        Array.from(
          { length: 200 },
          (_, i) => `${i % 72},${20 + (i % 90)},${['Month-to-month', 'One year', 'Two year'][i % 3]}`,
        ).join('\n'),
    );
    await importDataset(ws, { dataset: 'contracts', source: { type: 'csv', path: csv } });
    const result = await importOnnxFile(ws, join(fixtures, fixture.file), {
      name: 'churn-sk',
      description: 'logistic regression from scikit-learn',
      reference: { dataset: 'contracts' },
      deploy: 'churn-sk',
    });
    expect(result.version).toMatchObject({ name: 'churn-sk', version: 1, algorithm: 'onnx' });
    expect(result.reference).toBe('contracts@1');
    expect(result.description.binding.producer).toBe('skl2onnx 1.16.0');
    expect(result.version.signature).toEqual({
      task: 'binary_classification',
      classes: ['No', 'Yes'],
      inputs: [
        { name: 'tenure', type: 'float', nullable: true },
        { name: 'monthly_charges', type: 'float', nullable: true },
        // The categories of the OneHotEncoder that reads the input.
        { name: 'contract', type: 'categorical', nullable: true, domain: ['Month-to-month', 'One year', 'Two year'] },
      ],
    });

    const { status, body } = await predict('churn-sk', fixture.rows);
    expect(status).toBe(200);
    expect(body.model).toEqual({ name: 'churn-sk', version: 1 });
    body.predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
      expect(p.label).toBe(fixture.labels[i]);
      fixture.classes.forEach((c, k) =>
        expect(Math.abs(p.probabilities[c] - fixture.probabilities[i][k])).toBeLessThan(1e-6),
      );
    });
  });

  test('is monitored like a native model: drift against the reference dataset', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      tenure: 60 + (i % 12),
      monthly_charges: 110,
      contract: 'Two year',
    }));
    expect((await predict('churn-sk', rows)).status).toBe(200);
    await server.runtime.log.flush();
    await server.runtime.metrics?.flush();
    const response = await fetch(`${server.url}/api/v1/endpoints/churn-sk/monitoring`);
    const monitoring = (await response.json()) as {
      drift: { rows: number; features: Array<{ feature: string; statistic: number; drifted: boolean }> };
    };
    expect(monitoring.drift.rows).toBeGreaterThanOrEqual(120);
    const drift = Object.fromEntries(monitoring.drift.features.map((f) => [f.feature, f]));
    expect(Object.keys(drift).sort()).toEqual(['contract', 'monthly_charges', 'tenure']);
    expect(drift.monthly_charges.drifted).toBe(true);
  });
});

describe('a tree ensemble regressor over one [N, 3] input', () => {
  test('takes its column names from the feature_names metadata and predicts the trees’ sums', async () => {
    const fixture = expected.tree_regressor;
    const result = await importOnnxFile(ws, join(fixtures, fixture.file), { name: 'weather', deploy: 'weather' });
    expect(result.reference).toBeNull();
    expect(result.version.signature).toEqual({
      task: 'regression',
      inputs: fixture.columns.map((name) => ({ name, type: 'float', nullable: true })),
    });
    const { status, body } = await predict('weather', fixture.rows);
    expect(status).toBe(200);
    expect(body.predictions.map((p: { value: number }) => p.value)).toEqual(fixture.values);
  });

  test('without a reference, monitoring has traffic but no drift to report', async () => {
    await server.runtime.log.flush();
    const response = await fetch(`${server.url}/api/v1/endpoints/weather/monitoring`);
    const monitoring = (await response.json()) as { predictions: number; drift: { features: unknown[] } };
    expect(monitoring.predictions).toBe(expected.tree_regressor.rows.length);
    expect(monitoring.drift.features).toEqual([]);
  });

  test('a row missing a field is a 400 naming it', async () => {
    const { status, body } = await predict('weather', [{ temperature: 1, humidity: 2 }]);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/field "wind" is missing/);
  });
});

describe('a PyTorch-style logistic model (MatMul + Add + Sigmoid over [N, 4])', () => {
  test('with --classes, its single sigmoid output is the second class’s probability', async () => {
    const fixture = expected.torch_logit;
    const result = await importOnnxFile(ws, join(fixtures, fixture.file), {
      name: 'leaver',
      classes: fixture.classes.join(','),
      deploy: 'leaver',
    });
    expect(result.version.signature).toMatchObject({
      task: 'binary_classification',
      classes: ['stays', 'leaves'],
      inputs: ['x0', 'x1', 'x2', 'x3'].map((name) => ({ name, type: 'float', nullable: true })),
    });
    const { status, body } = await predict('leaver', fixture.rows);
    expect(status).toBe(200);
    body.predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
      const positive = fixture.positive[i];
      expect(Math.abs(p.probabilities.leaves - positive)).toBeLessThan(1e-6);
      expect(Math.abs(p.probabilities.stays - (1 - positive))).toBeLessThan(1e-6);
      expect(p.label).toBe(positive > 0.5 ? 'leaves' : 'stays');
    });
  });

  test('exported with a fixed batch of one row, it is run row by row', async () => {
    const fixture = expected.torch_logit_batch1;
    await importOnnxFile(ws, join(fixtures, fixture.file), {
      name: 'leaver-one',
      classes: 'stays,leaves',
      deploy: 'leaver-one',
    });
    const { status, body } = await predict('leaver-one', fixture.rows);
    expect(status).toBe(200);
    expect(body.predictions.map((p: { probabilities: Record<string, number> }) => p.probabilities.leaves)).toEqual(
      fixture.positive.map((p) => expect.closeTo(p, 6)),
    );
  });

  test('without --classes it is a regressor of that output, with --columns naming the inputs', async () => {
    const result = await importOnnxFile(ws, join(fixtures, expected.torch_logit.file), {
      name: 'leaver-score',
      columns: ['a', 'b', 'c', 'd'],
    });
    expect(result.version.signature).toMatchObject({
      task: 'regression',
      inputs: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
    });
  });
});

describe('a model Keel exported comes back as it left', () => {
  test('same signature (types and categories) and the same predictions over HTTP', async () => {
    const churn = await readCsvTable('examples/churn/telco_churn.csv', { missing: ['', ' ', 'NA', '?'] });
    const pipeline = new FeaturePipeline({
      numeric: ['tenure', 'MonthlyCharges', 'TotalCharges'],
      categorical: ['Contract', 'PaymentMethod', 'SeniorCitizen', 'InternetService'],
    });
    const target = churn.columns.find((c) => c.name === 'Churn')!.values as ReadonlyArray<string>;
    await pipeline.fit(churn, target);
    const estimator = await createEstimator('logistic_regression', { maxIter: 200 }).fit(
      pipeline.transform(churn),
      target,
    );
    const pkg = createPackage({
      algorithm: 'logistic_regression',
      signature: {
        inputs: pipeline.inputColumns(),
        task: 'binary_classification',
        classes: isClassifier(estimator) ? estimator.classes.map(String) : [],
      },
      features: pipeline.toJSON(),
      estimator: estimator.toJSON(),
      metrics: {},
      reference: { rows: 0, features: [] },
      lineage: { runId: null, datasetVersionId: null, pipelineRunId: null },
    });
    const file = join(onnxTmp, 'churn-keel.onnx');
    writeFileSync(file, exportOnnx(pkg));
    const result = await importOnnxFile(ws, file, { name: 'churn-roundtrip', deploy: 'churn-roundtrip' });
    expect(result.version.signature).toEqual(pkg.signature);

    const rows = Array.from({ length: 50 }, (_, i) => rowAt(churn, i * 97, ['Churn', 'customerID']));
    rows.push({ ...rows[0], TotalCharges: null, Contract: 'Weekly', SeniorCitizen: 1 });
    const checked = validateRows(rows, pkg.signature.inputs);
    if (!checked.ok) throw new Error(checked.problems[0].message);
    const native = LoadedModel.fromPackage(pkg).predict(checked.rows);
    const { status, body } = await predict('churn-roundtrip', rows);
    expect(status).toBe(200);
    body.predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
      const expectedPrediction = native[i] as { label: string; probabilities: Record<string, number> };
      expect(p.label).toBe(expectedPrediction.label);
      for (const c of ['No', 'Yes'])
        expect(Math.abs(p.probabilities[c] - expectedPrediction.probabilities[c])).toBeLessThan(1e-12);
    });
    // And `keel models export --format onnx` of the imported version gives back the same bytes.
    expect(Buffer.from(exportOnnx(await ws.registry.readPackage(result.version))).equals(readFileSync(file))).toBe(
      true,
    );
  });
});

describe('the package of an imported model', () => {
  test('holds the file inline with its digest, and Keel-only loading says what it is', async () => {
    const version = await ws.registry.resolve('weather@1');
    const pkg = await ws.registry.readPackage(version);
    expect(pkg).toMatchObject({ runtime: 'onnx', algorithm: 'onnx', features: null, estimator: null });
    const file = readFileSync(join(fixtures, expected.tree_regressor.file));
    expect(Buffer.from(pkg.onnx!.model, 'base64').equals(file)).toBe(true);
    expect(pkg.onnx!.inputs).toEqual({ kind: 'matrix', tensor: 'X', type: 'float', batch: 'any' });
    const refused = await ws.registry.load(version).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/imported ONNX model/),
    });
  });

  test('a model whose bytes no longer match their digest does not load', async () => {
    const pkg = await ws.registry.readPackage(await ws.registry.resolve('weather@1'));
    const other = readFileSync(join(fixtures, expected.torch_logit.file)).toString('base64');
    const tampered = decodePackage(encodePackage({ ...pkg, onnx: { ...pkg.onnx!, model: other } }));
    await expect(OnnxModel.fromPackage(tampered, 'weather@1')).rejects.toMatchObject({
      code: 'invalid_data',
      message: 'weather@1 is corrupted: its ONNX model does not match its sha256',
    });
  });

  test('a package asking for a runtime this Keel does not have is incompatible', async () => {
    const pkg = await ws.registry.readPackage(await ws.registry.resolve('weather@1'));
    const text = JSON.stringify({ ...pkg, runtime: 'tensorflow' });
    expect(() => decodePackage(text, 'pkg')).toThrow(
      /pkg needs the runtime "tensorflow", which this Keel does not have/,
    );
  });
});

describe('files Keel cannot serve are refused with a reason, and nothing is registered', () => {
  test('a corrupted .onnx file', async () => {
    const bytes = readFileSync(join(fixtures, expected.skl_pipeline.file));
    const file = join(onnxTmp, 'truncated.onnx');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(file, { name: 'broken' }, 'invalid_data', /^truncated\.onnx is not an ONNX model \(/);
  });

  test('a file that is not ONNX at all', async () => {
    await expectRefused(
      'examples/churn/telco_churn.csv',
      { name: 'csv' },
      'invalid_data',
      /^telco_churn\.csv is not an ONNX model/,
    );
  });

  test('damaged bytes anywhere in the file: an import or a KeelError, never a crash', async () => {
    const bytes = readFileSync(join(fixtures, expected.skl_pipeline.file));
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let attempt = 0; attempt < 40; attempt++) {
      const damaged = Buffer.from(bytes);
      for (let k = 0; k < 3; k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      const file = join(onnxTmp, `damaged-${attempt}.onnx`);
      writeFileSync(file, damaged);
      const outcome = await importOnnxFile(ws, file, { name: `damaged-${attempt}` }).then(
        () => 'imported',
        (error: unknown) => (error instanceof KeelError ? error.code : error),
      );
      expect(['imported', 'invalid_data', 'invalid_argument']).toContain(outcome);
    }
  });

  test('an empty file', async () => {
    const file = join(onnxTmp, 'empty.onnx');
    writeFileSync(file, '');
    await expectRefused(file, { name: 'empty' }, 'invalid_data', /^empty\.onnx is empty/);
  });

  test('an image model: its input is not a table', async () => {
    await expectRefused(
      join(fixtures, 'image.onnx'),
      { name: 'image' },
      'invalid_argument',
      /^image\.onnx: input "pixels" is float \[N, 3, 8, 8\]; Keel feeds one \[N, 1\] tensor per column, or a single \[N, F\] float tensor/,
    );
  });

  test('probabilities behind a ZipMap', async () => {
    await expectRefused(
      join(fixtures, 'zipmap.onnx'),
      { name: 'zipped' },
      'invalid_argument',
      /output "output_probability" is a sequence .*zipmap/i,
    );
  });

  test('classes that do not match the probabilities', async () => {
    await expectRefused(
      join(fixtures, expected.skl_pipeline.file),
      { name: 'three', classes: 'a,b,c' },
      'invalid_argument',
      /output "output_probability" has 2 columns but there are 3 classes/,
    );
  });

  test('a bad model name, a missing file', async () => {
    await expectRefused(
      join(fixtures, expected.tree_regressor.file),
      { name: 'Not A Name' },
      'invalid_argument',
      /--name "Not A Name" is not a name/,
    );
    await expectRefused(join(fixtures, 'nope.onnx'), { name: 'nope' }, 'not_found', /cannot read .*nope\.onnx: ENOENT/);
  });
});
