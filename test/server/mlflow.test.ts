import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, type ModelSignature } from '../../src/core/index.js';
import { readMlflowRequest } from '../../src/server/routes/mlflow.js';
import { churnRow, getJson, loyalChurnRow, postJson, type Json } from '../helpers/churn-row.js';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.js';

const signature: ModelSignature = {
  task: 'regression',
  inputs: [
    { name: 'temp', type: 'float', nullable: false },
    { name: 'season', type: 'categorical', nullable: false },
  ],
};
const read = async (body: unknown) => (await readMlflowRequest(body, async () => signature)).map((row) => ({ ...row }));

describe('the MLflow conversion of payloads to rows', () => {
  const rows = [
    { temp: 0.3, season: 'winter' },
    { temp: 0.8, season: 'summer' },
  ];

  it('reads every MLflow format into the same rows', async () => {
    expect(
      await read({
        dataframe_split: {
          columns: ['temp', 'season'],
          data: [
            [0.3, 'winter'],
            [0.8, 'summer'],
          ],
          index: [7, 8],
        },
      }),
    ).toEqual(rows);
    expect(await read({ dataframe_records: rows })).toEqual(rows);
    expect(await read({ instances: rows })).toEqual(rows);
    expect(await read({ inputs: rows })).toEqual(rows);
    expect(await read({ inputs: { temp: [0.3, 0.8], season: ['winter', 'summer'] } })).toEqual(rows);
    expect(await read({ dataframe_records: [rows[0]], params: { threshold: 1 } })).toEqual([rows[0]]);
  });

  it('reads rows given as lists in the model input order', async () => {
    expect(
      await read({
        instances: [
          [0.3, 'winter'],
          [0.8, 'summer'],
        ],
      }),
    ).toEqual(rows);
    expect(await read({ dataframe_split: { data: [[0.3, 'winter']] } })).toEqual([rows[0]]);
  });

  it.each([
    [[1, 2], 'body', /the body must be an object with one of dataframe_split/],
    [{}, 'body', /the body has none of dataframe_split, dataframe_records, instances, inputs/],
    [{ instances: [], inputs: [] }, 'inputs', /the body has instances and inputs: send exactly one of them/],
    [{ dataframe_records: [], rows: [] }, 'rows', /unknown key "rows"/],
    [{ dataframe_split: [] }, 'dataframe_split', /dataframe_split must be \{"columns"/],
    [{ dataframe_split: { columns: ['a', 'a'], data: [] } }, 'dataframe_split.columns', /names "a" twice/],
    [
      { dataframe_split: { columns: ['temp', 'season'], data: [[0.3, 'winter'], [0.8]] } },
      'dataframe_split.data[1]',
      /dataframe_split.data\[1\] has 1 values for 2 columns/,
    ],
    [{ instances: [[0.3]] }, 'instances[0]', /has 1 values for 2 model inputs \(temp, season\)/],
    [{ dataframe_records: [{ temp: 1 }, 'x'] }, 'dataframe_records[1]', /dataframe_records\[1\] must be an object/],
    [{ inputs: { temp: [1, 2], season: ['a'] } }, 'inputs.season', /inputs.season has 1 values, but inputs.temp has 2/],
    [{ inputs: { temp: 1 } }, 'inputs.temp', /must be a list of values/],
    [{ dataframe_records: [], params: 3 }, 'params', /"params" must be an object/],
  ])('refuses %j naming %s', async (body, field, message) => {
    const error = await readMlflowRequest(body, async () => signature).then(
      () => new Error('expected a refusal'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).details.field).toBe(field);
    expect((error as KeelError).message).toMatch(message);
  });

  it('keeps __proto__ as a plain field of a row', async () => {
    const [row] = await readMlflowRequest(
      JSON.parse('{"dataframe_records": [{"__proto__": {"x": 1}}]}'),
      async () => signature,
    );
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(Object.hasOwn(row, '__proto__')).toBe(true);
  });
});

describe('MLflow /invocations on the churn endpoint', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer({ predictions: 5 });
  });
  afterAll(() => server.close());

  const invoke = (body: unknown, endpoint = 'churn') =>
    postJson(`${server.url}/v1/endpoints/${endpoint}/invocations`, body);
  const columns = Object.keys(churnRow);
  const rows = [churnRow, loyalChurnRow];

  it('answers dataframe_split with MLflow predictions (the labels) and Keel ids, probabilities, model and variant', async () => {
    const keel = await postJson(`${server.url}/v1/endpoints/churn/predict`, { instances: rows });
    const split = { columns, data: rows.map((r) => columns.map((c) => r[c as keyof typeof r])) };
    const { status, body } = await invoke({ dataframe_split: split });
    expect(status).toBe(200);
    expect(body.predictions).toEqual(keel.body.predictions.map((p: Json) => p.label));
    expect(body.probabilities).toEqual(keel.body.predictions.map((p: Json) => p.probabilities));
    expect(body.ids).toHaveLength(2);
    expect(body.ids[0]).toMatch(/^pred_/);
    expect(body).toMatchObject({ model: { name: 'churn', version: 1 }, variant: 'primary' });
  });

  it('answers dataframe_records, instances and columnar inputs alike, for one row or many', async () => {
    const expected = (await invoke({ dataframe_records: rows })).body.predictions;
    expect((await invoke({ instances: rows })).body.predictions).toEqual(expected);
    const columnar = Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c as keyof typeof r])]));
    expect((await invoke({ inputs: columnar })).body.predictions).toEqual(expected);
    const single = await invoke({ dataframe_records: [churnRow] });
    expect(single.status).toBe(200);
    expect(single.body.predictions).toEqual([expected[0]]);
  });

  it('logs /invocations requests for monitoring like /predict', async () => {
    const monitoring = async () => (await getJson(`${server.url}/api/v1/endpoints/churn/monitoring`)).body;
    await new Promise((r) => setTimeout(r, 600)); // earlier tests' requests reach the log first
    const before = await monitoring();
    await invoke({ dataframe_records: [churnRow, churnRow] });
    await invoke({ dataframe_records: [{ ...churnRow, tenure: 'x' }] });
    await new Promise((r) => setTimeout(r, 600));
    const after = await monitoring();
    expect(after.requests - before.requests).toBe(2);
    expect(after.errors - before.errors).toBe(1);
    expect(after.predictions - before.predictions).toBe(2);
  });

  it('refuses bad rows with a 400 naming row and field, an unknown endpoint with a 404', async () => {
    const wrong = await invoke({ dataframe_records: [churnRow, { ...churnRow, MonthlyCharges: 'lots' }] });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toMatchObject({ row: 1, field: 'MonthlyCharges' });
    const short = await invoke({ dataframe_split: { columns, data: [columns.map(() => null).slice(1)] } });
    expect(short.status).toBe(400);
    expect(short.body.error.details.field).toBe('dataframe_split.data[0]');
    const unknown = await invoke({ dataframe_records: [churnRow] }, 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('no endpoint named "nope"');
    const positional = await invoke({ instances: [[1, 2]] }, 'nope');
    expect(positional.status).toBe(404);
  });
});
