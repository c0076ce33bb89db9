import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnSchema, Table } from '../../src/core/index.js';
import { featurePipelineFromConfig } from '../../src/features/index.js';
import { LinearRegression } from '../../src/ml/index.js';
import { buildReference } from '../../src/monitoring/index.js';
import { createPackage } from '../../src/registry/index.js';
import { deployDirect } from '../../src/serving/index.js';
import { churnRow, getJson, loyalChurnRow, postJson, type Json } from '../helpers/churn-row.js';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.js';

/** Registers a linear regression over one column (y = 2x + 1) and deploys it as the endpoint `doubler`. */
async function deployRegression(server: DemoServer): Promise<void> {
  const table: Table = { rows: 4, columns: [{ name: 'x', kind: 'number', values: Float64Array.from([0, 1, 2, 3]) }] };
  const columns: ColumnSchema[] = [{ name: 'x', type: 'float', nullable: false, min: 0, max: 3 }];
  const y = Float64Array.from([1, 3, 5, 7]);
  const features = featurePipelineFromConfig(undefined, columns, { exclude: [], task: 'regression' });
  await features.fit(table, y);
  const estimator = await new LinearRegression().fit(features.transform(table), y);
  const inputs = features.inputColumns();
  const pkg = createPackage({
    algorithm: 'linear_regression',
    signature: { inputs, task: 'regression' },
    features: features.toJSON(),
    estimator: estimator.toJSON(),
    metrics: {},
    reference: buildReference(table, inputs),
    lineage: { runId: null, datasetVersionId: null, pipelineRunId: null },
  });
  const { registry, metadata } = server.workspace;
  const version = await registry.register('doubler', pkg);
  await deployDirect(
    metadata,
    'doubler',
    { name: 'doubler', version: version.version },
    { actor: 'test', reason: 'test' },
  );
}

describe('feedback: ground truth by prediction id, and live quality', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer({ predictions: 0 });
    await deployRegression(server);
  });
  afterAll(() => server.close());

  const predict = async (endpoint: string, instances: unknown[]) => {
    const { status, body } = await postJson(`${server.url}/v1/endpoints/${endpoint}/predict`, { instances });
    expect(status).toBe(200);
    return body.predictions as Json[];
  };
  const feedback = (endpoint: string, body: unknown) =>
    postJson(`${server.url}/v1/endpoints/${endpoint}/feedback`, body);
  const quality = async (endpoint: string) =>
    (await getJson(`${server.url}/api/v1/endpoints/${endpoint}/monitoring`)).body.quality as Json[];
  const flip = (label: string) => (label === 'Yes' ? 'No' : 'Yes');

  it('takes labels of fresh predictions (still in the log buffer) and reports live accuracy per version and variant', async () => {
    const predictions = await predict('churn', [churnRow, loyalChurnRow, churnRow, loyalChurnRow]);
    const labels = predictions.map((p, i) => (i === 3 ? flip(p.label) : p.label));
    const { status, body } = await feedback('churn', {
      feedback: predictions.map((p, i) => ({ id: p.id, label: labels[i] })),
    });
    expect(status).toBe(200);
    expect(body).toEqual({ endpoint: 'churn', accepted: 4 });
    const [live, ...others] = await quality('churn');
    expect(others).toEqual([]);
    expect(live).toMatchObject({ model: 'churn', version: 1, variant: 'primary', labeled: 4, accuracy: 0.75 });
    expect(live).toMatchObject({ positiveClass: 'Yes' });
    expect(live.precision).toEqual(expect.any(Number));

    // A correction replaces the earlier label.
    expect(
      (await feedback('churn', { feedback: [{ id: predictions[3].id, label: predictions[3].label }] })).status,
    ).toBe(200);
    expect((await quality('churn'))[0]).toMatchObject({ labeled: 4, accuracy: 1 });
  });

  it('keeps the time the outcome was known: per item, else the request’s', async () => {
    const [first, second] = await predict('churn', [churnRow, churnRow]);
    const at = '2026-01-05T10:00:00.000Z';
    const { status } = await feedback('churn', {
      at,
      feedback: [
        { id: first.id, label: 'Yes' },
        { id: second.id, label: 'No', at: '2026-01-06T10:00:00+01:00' },
      ],
    });
    expect(status).toBe(200);
    const stored = await server.workspace.metadata.listFeedback({ endpoint: 'churn', limit: 2 });
    const byId = new Map(stored.map((s) => [s.prediction.id, s.feedback.at]));
    expect(byId.get(first.id)).toBe(at);
    expect(byId.get(second.id)).toBe('2026-01-06T09:00:00.000Z');
  });

  it('refuses unknown ids with a 400 listing them, and stores nothing of the request', async () => {
    const [known] = await predict('churn', [churnRow]);
    const before = await quality('churn');
    const { status, body } = await feedback('churn', {
      feedback: [
        { id: known.id, label: 'No' },
        { id: 'pred_nope', label: 'No' },
        { id: 'pred_gone', label: 'Yes' },
      ],
    });
    expect(status).toBe(400);
    expect(body.error.message).toBe(
      'feedback[1].id: no prediction "pred_nope" was logged by endpoint "churn" (2 ids are unknown, listed in details.ids); nothing was stored',
    );
    expect(body.error.details).toEqual({ field: 'feedback[1].id', ids: ['pred_nope', 'pred_gone'] });
    expect(await quality('churn')).toEqual(before);
  });

  it('refuses a prediction of another endpoint as unknown', async () => {
    const [doubled] = await predict('doubler', [{ x: 1 }]);
    const { status, body } = await feedback('churn', { feedback: [{ id: doubled.id, label: 'No' }] });
    expect(status).toBe(400);
    expect(body.error.details.ids).toEqual([doubled.id]);
  });

  it('refuses a label that is not one of the model’s classes, and a value for a classifier', async () => {
    const [p] = await predict('churn', [churnRow]);
    const notAClass = await feedback('churn', { feedback: [{ id: p.id, label: 'Maybe' }] });
    expect(notAClass.status).toBe(400);
    expect(notAClass.body.error.message).toBe(
      'feedback[0].label: "Maybe" is not a class of churn@1 (its classes are "No", "Yes")',
    );
    const value = await feedback('churn', { feedback: [{ id: p.id, value: 1 }] });
    expect(value.status).toBe(400);
    expect(value.body.error.message).toBe('feedback[0]: churn@1 is a classifier: send the true class as "label"');
  });

  it('refuses malformed feedback naming the field, and an unknown endpoint with a 404', async () => {
    const [p] = await predict('churn', [churnRow]);
    const cases: Array<[unknown, number, RegExp]> = [
      [{}, 400, /body\.feedback: is required/],
      [{ feedback: [] }, 400, /"feedback" is empty/],
      [{ feedback: [{ label: 'No' }] }, 400, /body\.feedback\.0\.id: is required/],
      [{ feedback: [{ id: p.id, label: 'No', value: 1 }] }, 400, /feedback\[0\] has both "label" and "value"/],
      [
        { feedback: [{ id: p.id, label: 'No', at: 'yesterday' }] },
        400,
        /body\.feedback\.0\.at: must match format "date-time"/,
      ],
      [{ feedback: [{ id: p.id, value: 'NaN' }] }, 400, /body\.feedback\.0\.value: must be number/],
    ];
    for (const [body, status, message] of cases) {
      const response = await feedback('churn', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const unknown = await feedback('nope', { feedback: [{ id: p.id, label: 'No' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('no endpoint named "nope"');
  });

  it('takes true values for a regressor and reports MAE and RMSE', async () => {
    const predictions = await predict('doubler', [{ x: 0 }, { x: 1 }, { x: 2 }]);
    expect(predictions.map((p) => p.value)).toEqual([expect.closeTo(1, 9), expect.closeTo(3, 9), expect.closeTo(5, 9)]);
    const truths = [1, 4, 3]; // errors 0, -1, 2
    const { status } = await feedback('doubler', {
      feedback: predictions.map((p, i) => ({ id: p.id, value: truths[i] })),
    });
    expect(status).toBe(200);
    const [live] = await quality('doubler');
    expect(live).toMatchObject({ model: 'doubler', version: 1, variant: 'primary', labeled: 3 });
    expect(live.mae).toBeCloseTo(1, 9);
    expect(live.rmse).toBeCloseTo(Math.sqrt(5 / 3), 9);
    expect(live.accuracy).toBeUndefined();

    const label = await feedback('doubler', { feedback: [{ id: predictions[0].id, label: 'high' }] });
    expect(label.status).toBe(400);
    expect(label.body.error.message).toBe('feedback[0]: doubler@1 is a regressor: send the true value as "value"');
  });
});
