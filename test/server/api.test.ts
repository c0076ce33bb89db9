import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.js';

const row = {
  customerID: '7590-VHVEG',
  gender: 'Female',
  SeniorCitizen: 0,
  Partner: 'Yes',
  Dependents: 'No',
  tenure: 1,
  PhoneService: 'No',
  MultipleLines: 'No phone service',
  InternetService: 'DSL',
  OnlineSecurity: 'No',
  OnlineBackup: 'Yes',
  DeviceProtection: 'No',
  TechSupport: 'No',
  StreamingTV: 'No',
  StreamingMovies: 'No',
  Contract: 'Month-to-month',
  PaperlessBilling: 'Yes',
  PaymentMethod: 'Electronic check',
  MonthlyCharges: 29.85,
  TotalCharges: 29.85,
};

describe('the HTTP server', () => {
  let server: DemoServer;
  const get = async (path: string) => {
    const response = await fetch(server.url + path);
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads arbitrary JSON
  };
  const predict = async (body: unknown, endpoint = 'churn', raw?: string) => {
    const response = await fetch(`${server.url}/v1/endpoints/${endpoint}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  };

  beforeAll(async () => {
    server = await startDemoServer({ predictions: 20 });
  });
  afterAll(() => server.close());

  it('answers health and the OpenAPI document', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const { body } = await get('/api/v1/openapi.json');
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/datasets',
        '/api/v1/runs',
        '/api/v1/models',
        '/api/v1/endpoints',
        '/v1/endpoints/{name}/predict',
      ]),
    );
  });

  it('predicts a raw CSV row with label, probabilities, id and the answering model', async () => {
    const { status, body } = await predict({
      instances: [row, { ...row, Contract: 'Two year', tenure: 60, TotalCharges: 1800 }],
    });
    expect(status).toBe(200);
    expect(body.model).toEqual({ name: 'churn', version: 1 });
    expect(body.predictions).toHaveLength(2);
    const [p] = body.predictions;
    expect(['Yes', 'No']).toContain(p.label);
    expect(p.probabilities.Yes + p.probabilities.No).toBeCloseTo(1, 12);
    expect(p.id).toMatch(/^pred_/);
    // A new month-to-month customer is far likelier to churn than a two-year one.
    expect(body.predictions[0].probabilities.Yes).toBeGreaterThan(body.predictions[1].probabilities.Yes);
  });

  it('accepts a missing TotalCharges, as the training data had', async () => {
    const { status } = await predict({ instances: [{ ...row, TotalCharges: null }] });
    expect(status).toBe(200);
  });

  it('refuses a wrong type with a 400 naming the row and field', async () => {
    const { status, body } = await predict({ instances: [row, { ...row, tenure: 'twelve' }] });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_argument');
    expect(body.error.details).toMatchObject({ row: 1, field: 'tenure' });
    expect(body.error.message).toContain('tenure');
  });

  it('refuses a row with a misspelt field instead of guessing its value', async () => {
    const { tenure: _tenure, ...withoutTenure } = row;
    const { status, body } = await predict({ instances: [{ ...withoutTenure, Tenure: 12 }] });
    expect(status).toBe(400);
    expect(body.error.message).toBe('row 0: field "tenure" is missing (send null if its value is unknown)');
  });

  it('refuses malformed JSON, a body without instances and an unknown endpoint', async () => {
    const malformed = await predict(null, 'churn', '{"instances": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/not valid JSON/);
    const noInstances = await predict({ rows: [row] });
    expect(noInstances.status).toBe(400);
    expect(noInstances.body.error.message).toContain('instances');
    const unknown = await predict({ instances: [row] }, 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('no endpoint named "nope"');
  });

  it('serves datasets, runs, models, endpoints and pipeline runs', async () => {
    expect((await get('/api/v1/datasets')).body.datasets[0]).toMatchObject({ name: 'telco-churn', versions: 1 });
    const dataset = await get('/api/v1/datasets/telco-churn');
    expect(dataset.body.versions[0].profile.rows).toBe(7043);
    const runs = (await get('/api/v1/runs')).body.runs;
    expect(runs).toHaveLength(2);
    expect((await get(`/api/v1/runs/${runs[0].id}`)).body.run.id).toBe(runs[0].id);
    expect((await get('/api/v1/models')).body.models[0]).toMatchObject({ name: 'churn', aliases: { champion: 1 } });
    const model = await get('/api/v1/models/churn');
    expect(model.body.aliasEvents[0]).toMatchObject({ alias: 'champion', toVersion: 1 });
    expect((await get('/api/v1/endpoints')).body.endpoints[0].name).toBe('churn');
    const pipelines = (await get('/api/v1/pipeline-runs')).body.pipelineRuns;
    expect(pipelines[0].steps.map((s: { step: string }) => s.step)).toContain('deploy');
    expect((await get('/api/v1/models/nope')).status).toBe(404);
    expect((await get('/api/v1/nothing-here')).status).toBe(404);
    const missingAsset = await fetch(`${server.url}/assets/missing.js`);
    expect(missingAsset.status).toBe(404);
    const page = await fetch(`${server.url}/models/churn`);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('reports monitoring: traffic, latency quantiles and PSI per input feature', async () => {
    await predict({ instances: [{ ...row, tenure: 'bad' }] });
    await new Promise((r) => setTimeout(r, 600)); // the prediction log flushes every 250 ms
    const { body } = await get('/api/v1/endpoints/churn/monitoring');
    expect(body.requests).toBeGreaterThanOrEqual(20);
    expect(body.errors).toBeGreaterThanOrEqual(1);
    expect(body.latencyMs.p50).toBeGreaterThan(0);
    expect(body.latencyMs.p99).toBeGreaterThanOrEqual(body.latencyMs.p50);
    expect(body.drift.features.map((f: { feature: string }) => f.feature)).toEqual(
      expect.arrayContaining(['tenure', 'Contract']),
    );
    for (const f of body.drift.features) expect(Number.isFinite(f.statistic)).toBe(true);
    // About 20 logged rows are too few for a verdict: scores are reported, nothing is flagged.
    expect(body.drift.rows).toBeLessThan(body.drift.minRows);
    expect(body.drift.features.some((f: { drifted: boolean }) => f.drifted)).toBe(false);
    expect(body.series.length).toBeGreaterThanOrEqual(1);
  });

  it('reports serving skew per feature: missing values and categories training never saw', async () => {
    const skew = async () => {
      const { body } = await get('/api/v1/endpoints/churn/monitoring');
      const feature = (name: string) => body.drift.features.find((f: { feature: string }) => f.feature === name);
      const rows = body.drift.rows as number;
      return {
        unknownContracts: Math.round(feature('Contract').outOfDomainRate * rows),
        missingCharges: Math.round(feature('TotalCharges').missingRate * rows),
        tenure: feature('tenure'),
        trainingMissingCharges: feature('TotalCharges').trainingMissingRate as number,
      };
    };
    const before = await skew();
    const odd = { ...row, Contract: 'Weekly', TotalCharges: null };
    expect((await predict({ instances: [odd, odd] })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 600)); // the prediction log flushes every 250 ms
    const after = await skew();
    expect(after.unknownContracts - before.unknownContracts).toBe(2);
    expect(after.missingCharges - before.missingCharges).toBe(2);
    // 11 of the 7,043 customers have no TotalCharges, most of them in the training split.
    expect(after.trainingMissingCharges).toBeGreaterThan(0);
    expect(after.tenure).toMatchObject({ missingRate: 0, outOfDomainRate: 0, trainingMissingRate: 0 });
  });
});
