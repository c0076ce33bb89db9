import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport, Lineage, ModelCard, ModelVersion } from '../../src/core/index.js';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.js';

/** The registry's read API: versions by number or alias, model cards, lineage both ways, evaluation reports. */
describe('the registry API', () => {
  let server: DemoServer;
  const get = async <T>(path: string) => {
    const response = await fetch(server.url + path);
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    server = await startDemoServer({ predictions: 0 });
  });
  afterAll(() => server.close());

  it('serves a version by number or alias with its gate decision and package manifest', async () => {
    const { status, body } = await get<{ version: ModelVersion; package: Record<string, unknown> }>(
      '/api/v1/models/churn/versions/champion',
    );
    expect(status).toBe(200);
    expect(body.version).toMatchObject({ name: 'churn', version: 1, blessing: { passed: true, alias: 'champion' } });
    expect(body.package).toMatchObject({
      format: 'keel.model-package',
      formatVersion: 1,
      algorithm: 'logistic_regression',
    });
    expect(body.package).not.toHaveProperty('estimator');
    expect((await get('/api/v1/models/churn/versions/1')).body).toEqual(body);
  });

  it('serves the lineage of a model version and of a dataset version', async () => {
    const model = await get<{ lineage: Lineage }>('/api/v1/models/churn/versions/1/lineage');
    expect(model.status).toBe(200);
    expect(model.body.lineage.root).toBe('model_version:churn@1');
    expect(model.body.lineage.nodes.map((n) => n.kind).sort()).toEqual([
      'dataset_version',
      'endpoint',
      'model_version',
      'run',
    ]);
    const dataset = await get<{ lineage: Lineage }>('/api/v1/datasets/telco-churn/versions/1/lineage');
    expect(dataset.status).toBe(200);
    expect(dataset.body.lineage.nodes.filter((n) => n.kind === 'run')).toHaveLength(2);
    expect(dataset.body.lineage.edges).toContainEqual({
      from: 'model_version:churn@1',
      to: 'endpoint:churn',
      relation: 'served',
    });
  });

  it('serves the model card as JSON and Markdown', async () => {
    const { status, body } = await get<{ card: ModelCard; markdown: string }>('/api/v1/models/churn/versions/1/card');
    expect(status).toBe(200);
    expect(body.card.format).toBe('keel.model-card');
    expect(body.markdown).toMatch(/^# Model card: churn@1/);
  });

  it("serves a run's evaluation report", async () => {
    const version = (await get<{ version: ModelVersion }>('/api/v1/models/churn/versions/1')).body.version;
    const { status, body } = await get<{ report: EvaluationReport }>(`/api/v1/runs/${version.runId}/evaluation`);
    expect(status).toBe(200);
    expect(body.report.format).toBe('keel.evaluation-report');
    expect(body.report.classification?.confusionMatrix.labels).toEqual(['No', 'Yes']);
  });

  it('answers 404 naming what is missing, and 400 for a malformed reference', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/api/v1/models/churn/versions/9/lineage', 404, /model "churn" has no version 9/],
      ['/api/v1/models/churn/versions/staging/card', 404, /model "churn" has no alias "staging"/],
      ['/api/v1/models/nope/versions/1', 404, /no model named "nope"/],
      ['/api/v1/datasets/telco-churn/versions/7/lineage', 404, /no dataset version telco-churn@7/],
      ['/api/v1/runs/run_missing/evaluation', 404, /no run with id "run_missing"/],
      ['/api/v1/models/churn/versions/v%201/lineage', 400, /version/],
    ];
    for (const [path, status, message] of cases) {
      const response = await get<{ error: { message: string } }>(path);
      expect(response.status, path).toBe(status);
      expect(response.body.error.message, path).toMatch(message);
    }
  });

  it('lists the new routes in the OpenAPI document', async () => {
    const { body } = await get<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/models/{name}/versions/{version}',
        '/api/v1/models/{name}/versions/{version}/lineage',
        '/api/v1/models/{name}/versions/{version}/card',
        '/api/v1/datasets/{name}/versions/{version}/lineage',
        '/api/v1/runs/{id}/evaluation',
      ]),
    );
  });
});
