import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, type ModelSignature } from '../../src/core/index.js';
import { readV2Request } from '../../src/server/routes/kserve-v2.js';
import { churnRow, getJson, loyalChurnRow, postJson, type Json } from '../helpers/churn-row.js';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.js';

const signature: ModelSignature = {
  task: 'binary_classification',
  classes: ['no', 'yes'],
  inputs: [
    { name: 'tenure', type: 'integer', nullable: false },
    { name: 'contract', type: 'categorical', nullable: false },
  ],
};
const read = (body: unknown) => readV2Request(body, async () => signature);

/** The KeelError `promise` fails with. */
async function refusal(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe('the KServe v2 conversion of tensors to rows', () => {
  it('reads one tensor per column, shape [N] or [N, 1], flat or one list per row', async () => {
    const { rows, id, outputs } = await read({
      id: 'req-1',
      inputs: [
        { name: 'tenure', shape: [2], datatype: 'INT64', data: [3, 40] },
        { name: 'contract', shape: [2, 1], datatype: 'BYTES', data: [['month'], ['year']] },
      ],
    });
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { tenure: 3, contract: 'month' },
      { tenure: 40, contract: 'year' },
    ]);
    expect(id).toBe('req-1');
    expect(outputs).toBeNull();
  });

  it('reads one [N, F] tensor as the model inputs in signature order', async () => {
    const flat = await read({
      inputs: [{ name: 'x', shape: [2, 2], datatype: 'BYTES', data: ['3', 'month', '40', 'year'] }],
    });
    const nested = await read({
      inputs: [
        {
          name: 'x',
          shape: [2, 2],
          datatype: 'BYTES',
          data: [
            ['3', 'month'],
            ['40', 'year'],
          ],
        },
      ],
    });
    expect(flat.rows.map((r) => ({ ...r }))).toEqual([
      { tenure: '3', contract: 'month' },
      { tenure: '40', contract: 'year' },
    ]);
    expect(nested.rows).toEqual(flat.rows);
  });

  it('keeps null as a missing value and takes the outputs asked for', async () => {
    const { rows, outputs } = await read({
      inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: [null] }],
      outputs: [{ name: 'probabilities' }],
    });
    expect(rows[0].tenure).toBeNull();
    expect(outputs).toEqual(['probabilities']);
  });

  it('treats a tensor named __proto__ as a plain field, never as a prototype', async () => {
    const { rows } = await read({ inputs: [{ name: '__proto__', shape: [1], datatype: 'BYTES', data: ['x'] }] });
    expect(Object.hasOwn(rows[0], '__proto__')).toBe(true);
    expect(({} as Json).x).toBeUndefined();
  });

  it.each([
    [{ instances: [] }, 'inputs', /"inputs" must be a non-empty list/],
    [{ inputs: [5] }, 'inputs[0]', /inputs\[0\] must be a tensor/],
    [
      { inputs: [{ name: 'tenure', shape: [2], datatype: 'INT64', data: [1] }] },
      'inputs[0].data',
      /input "tenure" \(inputs\[0\]\): shape \[2\] holds 2 values, but "data" has 1/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [1e12], datatype: 'INT64', data: [1] }] },
      'inputs[0].data',
      /holds 1000000000000 values/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [2, 2, 2], datatype: 'INT64', data: [] }] },
      'inputs[0].shape',
      /must be \[N\] or \[N, F\]/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [1], datatype: 'FP128', data: [1] }] },
      'inputs[0].datatype',
      /must be one of BOOL, .*BYTES, got "FP128"/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [2], datatype: 'INT64', data: [1, 2.5] }] },
      'inputs[0].data',
      /input "tenure" \(inputs\[0\]\), row 1: INT64 data holds whole numbers, got 2.5/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [1], datatype: 'FP32', data: ['NaN'] }] },
      'inputs[0].data',
      /FP32 data holds finite numbers, got "NaN"/,
    ],
    [
      { inputs: [{ name: 'c', shape: [1], datatype: 'BYTES', data: [[['deep']]] }] },
      'inputs[0].data',
      /BYTES data holds strings, got an array/,
    ],
    [
      {
        inputs: [
          { name: 'tenure', shape: [1], datatype: 'INT64', data: [1] },
          { name: 'contract', shape: [2], datatype: 'BYTES', data: ['a', 'b'] },
        ],
      },
      'inputs[1].shape',
      /inputs disagree on the number of rows: input "tenure" has 1, input "contract" \(inputs\[1\]\) has 2/,
    ],
    [
      {
        inputs: [
          { name: 'tenure', shape: [1], datatype: 'INT64', data: [1] },
          { name: 'tenure', shape: [1], datatype: 'INT64', data: [2] },
        ],
      },
      'inputs[1].name',
      /inputs\[0\] and inputs\[1\] are both named "tenure"/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'BYTES', data: ['1', '2', '3'] }] },
      'inputs[0].shape',
      /has 3 columns, but the model takes 2 inputs, in this order: tenure, contract/,
    ],
    [
      { inputs: [{ name: 'tenure', shape: [1], datatype: 'INT64', data: [1] }], outputs: [{ name: 'variable' }] },
      'outputs[0].name',
      /the model has no output "variable"; its outputs are label, probabilities/,
    ],
  ])('refuses %j naming %s', async (body, field, message) => {
    const error = await refusal(read(body));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe('the KServe v2 routes on the churn endpoint', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer({ predictions: 5 });
  });
  afterAll(() => server.close());

  const columnsOf = (rows: ReadonlyArray<Record<string, unknown>>) =>
    Object.keys(rows[0]).map((name) => {
      const values = rows.map((r) => r[name]);
      const datatype = values.every((v) => typeof v === 'string') ? 'BYTES' : 'FP64';
      return { name, shape: [rows.length], datatype, data: values };
    });
  const infer = (body: unknown, path = 'churn') => postJson(`${server.url}/v2/models/${path}/infer`, body);

  it('answers liveness, readiness and server metadata', async () => {
    expect(await getJson(`${server.url}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await getJson(`${server.url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    expect((await getJson(`${server.url}/v2`)).body).toMatchObject({ name: 'keel', extensions: [] });
  });

  it('describes an endpoint as a v2 model: its versions, typed input tensors and outputs', async () => {
    const { status, body } = await getJson(`${server.url}/v2/models/churn`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'churn', versions: ['1'], platform: 'keel', parameters: { model: 'churn' } });
    const input = (name: string) => body.inputs.find((i: Json) => i.name === name);
    expect(input('tenure')).toMatchObject({ datatype: 'INT64', shape: [-1] });
    expect(input('MonthlyCharges')).toMatchObject({ datatype: 'FP64' });
    expect(input('Contract')).toMatchObject({ datatype: 'BYTES' });
    expect(input('customerID')).toBeUndefined();
    expect(body.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, 2], parameters: { classes: ['No', 'Yes'] } },
    ]);
    expect((await getJson(`${server.url}/v2/models/churn/versions/1`)).body.versions).toEqual(['1']);
  });

  it('reports readiness per model and version, 404 for what does not exist', async () => {
    expect(await getJson(`${server.url}/v2/models/churn/ready`)).toEqual({
      status: 200,
      body: { name: 'churn', ready: true },
    });
    expect((await getJson(`${server.url}/v2/models/churn/versions/1/ready`)).status).toBe(200);
    const version = await getJson(`${server.url}/v2/models/churn/versions/7/ready`);
    expect(version.status).toBe(404);
    expect(version.body.error.message).toBe('endpoint "churn" serves no version 7 (it serves 1)');
    const model = await getJson(`${server.url}/v2/models/nope/ready`);
    expect(model.status).toBe(404);
    expect(model.body.error.message).toBe('no endpoint named "nope"');
  });

  it('predicts a batch of named tensors exactly as /predict does, naming model, version, variant and ids', async () => {
    const rows = [churnRow, loyalChurnRow];
    const keel = await postJson(`${server.url}/v1/endpoints/churn/predict`, { instances: rows });
    const v2 = await infer({ id: 'req-42', inputs: columnsOf(rows) });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ model_name: 'churn', model_version: '1', id: 'req-42' });
    expect(v2.body.parameters).toMatchObject({ model: 'churn', variant: 'primary' });
    expect(v2.body.parameters.prediction_ids).toHaveLength(2);
    expect(v2.body.parameters.prediction_ids[0]).toMatch(/^pred_/);
    const [label, probabilities] = v2.body.outputs;
    expect(label).toEqual({
      name: 'label',
      datatype: 'BYTES',
      shape: [2],
      data: keel.body.predictions.map((p: Json) => p.label),
    });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP64', shape: [2, 2] });
    expect(probabilities.data).toEqual(
      keel.body.predictions.flatMap((p: Json) => [p.probabilities.No, p.probabilities.Yes]),
    );
  });

  it('predicts a single row, through a version path, with only the outputs asked for', async () => {
    const { status, body } = await infer(
      { inputs: columnsOf([churnRow]), outputs: [{ name: 'label' }] },
      'churn/versions/1',
    );
    expect(status).toBe(200);
    expect(body.outputs.map((o: Json) => o.name)).toEqual(['label']);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs v2 requests for monitoring like /predict', async () => {
    const monitoring = async () => (await getJson(`${server.url}/api/v1/endpoints/churn/monitoring`)).body;
    await new Promise((r) => setTimeout(r, 600)); // earlier tests' requests reach the log first
    const before = await monitoring();
    await infer({ inputs: columnsOf([churnRow, churnRow, churnRow]) });
    await infer({ inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: ['x'] }] });
    await new Promise((r) => setTimeout(r, 600)); // the request log flushes every 250 ms
    const after = await monitoring();
    expect(after.requests - before.requests).toBe(2);
    expect(after.errors - before.errors).toBe(1);
    expect(after.predictions - before.predictions).toBe(3);
  });

  it('refuses what the model cannot take with a 400 naming the row and field, unknown models and versions with a 404', async () => {
    const wrongType = await infer({ inputs: columnsOf([churnRow, { ...churnRow, tenure: 'twelve' }]) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details).toMatchObject({ row: 1, input: 'tenure', field: 'inputs[5].data' });
    expect(wrongType.body.error.message).toBe(
      'input "tenure" (inputs[5]), row 1: FP64 data holds finite numbers, got "twelve"',
    );
    const asText = columnsOf([churnRow]).map((t) =>
      t.name === 'tenure' ? { ...t, datatype: 'BYTES', data: ['12'] } : t,
    );
    const wrongColumnType = await infer({ inputs: asText });
    expect(wrongColumnType.status).toBe(400);
    expect(wrongColumnType.body.error.details).toMatchObject({ row: 0, field: 'tenure' });
    expect(wrongColumnType.body.error.message).toBe('row 0, field "tenure": expected a number, got "12"');
    const wide = await infer({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] });
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(
      /has 2 columns, but the model takes 19 inputs, in this order: SeniorCitizen, tenure, /,
    );
    const version = await infer({ inputs: columnsOf([churnRow]) }, 'churn/versions/2');
    expect(version.status).toBe(404);
    expect(version.body.error.message).toBe('endpoint "churn" serves no version 2 (it serves 1)');
    const badVersion = await infer({ inputs: columnsOf([churnRow]) }, 'churn/versions/latest');
    expect(badVersion.status).toBe(400);
    expect((await infer({ inputs: columnsOf([churnRow]) }, 'nope')).status).toBe(404);
    const malformed = await postJson(`${server.url}/v2/models/churn/infer`, null, '{"inputs": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/not valid JSON/);
  });
});
