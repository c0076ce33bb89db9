import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/index.js';
import { ServingRuntime } from '../../src/serving/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** The runs routes in-process (`app.inject`), over a workspace holding a few tracked runs. */
describe('the runs API', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let runtime: ServingRuntime;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read arbitrary JSON
  const get = async (url: string): Promise<{ status: number; body: any }> => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() };
  };
  const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

  beforeAll(async () => {
    ws = await tempWorkspace();
    runtime = new ServingRuntime(ws.metadata, ws.registry);
    app = await createApp({ ...ws, runtime });
    for (const [name, algorithm, auc] of [
      ['rf-1', 'random_forest', 0.91],
      ['rf-2', 'random_forest', 0.82],
      ['lr-1', 'logistic_regression', 0.88],
    ] as const) {
      const run = await ws.tracker.startRun({ experiment: 'churn', name, params: { algorithm } });
      for (const [step, loss] of [0.7, 0.4, 1 - auc].entries()) await run.logMetric('loss', loss, step);
      await run.logMetric('roc_auc', auc);
      await run.end();
      ids[name] = run.id;
    }
    await ws.tracker.startRun({ experiment: 'other', name: 'elsewhere' });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await ws?.dispose();
  });

  it('searches runs with a filter, sort keys, an experiment and pages', async () => {
    const filter = "metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'";
    const first = await get(`/api/v1/runs?${query({ filter, orderBy: 'metrics.roc_auc DESC', limit: '1' })}`);
    expect(first.status).toBe(200);
    expect(first.body.runs.map((r: { name: string }) => r.name)).toEqual(['rf-1']);
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    const second = await get(
      `/api/v1/runs?${query({ filter, orderBy: 'metrics.roc_auc DESC', limit: '1', pageToken: first.body.nextPageToken })}`,
    );
    expect(second.body).toMatchObject({ runs: [{ name: 'rf-2' }], nextPageToken: null });

    const churn = await get(`/api/v1/runs?${query({ experiment: 'churn', orderBy: 'metrics.roc_auc' })}`);
    expect(churn.body.runs.map((r: { name: string }) => r.name)).toEqual(['rf-2', 'lr-1', 'rf-1']);
    expect(churn.body.runs[0]).toMatchObject({
      metricPoints: { loss: 3, roc_auc: 1 },
      note: '',
      durationMs: expect.any(Number),
    });
    expect((await get('/api/v1/runs')).body.runs).toHaveLength(4);
  });

  it('answers a malformed filter with a 400 naming the column', async () => {
    const bad = await get(`/api/v1/runs?${query({ filter: 'metric.auc > 0.8' })}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: 'invalid_argument',
      message:
        'filter: unknown field "metric.auc" at column 1; use metrics.NAME, params.NAME, tags.NAME or attributes.NAME',
      details: { field: 'filter', column: 1 },
    });
    const order = await get(`/api/v1/runs?${query({ orderBy: 'metrics.auc sideways' })}`);
    expect(order).toMatchObject({ status: 400, body: { error: { details: { field: 'orderBy', column: 13 } } } });
    const token = await get(`/api/v1/runs?${query({ pageToken: 'nope' })}`);
    expect(token).toMatchObject({ status: 400, body: { error: { details: { field: 'pageToken' } } } });
  });

  it("returns a metric's series in step order, and 404s for a run or metric that does not exist", async () => {
    const series = await get(`/api/v1/runs/${ids['rf-2']}/metrics/loss`);
    expect(series.status).toBe(200);
    expect(series.body.runId).toBe(ids['rf-2']);
    expect(series.body.key).toBe('loss');
    expect(series.body.points.map((p: { step: number; value: number }) => [p.step, p.value])).toEqual([
      [0, 0.7],
      [1, 0.4],
      [2, 1 - 0.82],
    ]);
    expect(series.body.points[0]).toEqual({ key: 'loss', step: 0, value: 0.7, timestamp: expect.any(String) });
    expect((await get('/api/v1/runs/run_missing/metrics/loss')).status).toBe(404);
    const unknown = await get(`/api/v1/runs/${ids['rf-2']}/metrics/f1`);
    expect(unknown).toMatchObject({ status: 404, body: { error: { details: { field: 'key' } } } });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const { body } = await get('/api/v1/openapi.json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/{id}/metrics/{key}']),
    );
    const parameters = body.paths['/api/v1/runs'].get.parameters.map((p: { name: string }) => p.name);
    expect(parameters).toEqual(expect.arrayContaining(['filter', 'orderBy', 'limit', 'experiment', 'pageToken']));
  });
});
