import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsRecorder, registerGaugeSource } from '../../src/monitoring/index.js';
import { createApp } from '../../src/server/index.js';
import { directPolicy, ServingRuntime } from '../../src/serving/index.js';
import { openMetadataStore, type MetadataStore } from '../../src/store/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

/** `promtool check metrics` on a scrape: its exit status and what it said. */
function checkMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The value of one sample line (`name{labels} value`) whose labels include every one given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

/**
 * Two serving processes on one store, as `keel server --workers 2` runs them: each has its own
 * recorder (process id) and app, both write windows to the same SQLite file, and a scrape of
 * either answers with the sum — the same numbers whichever worker Prometheus reaches.
 */
describe('GET /metrics', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let secondStore: MetadataStore;
  const apps: FastifyInstance[] = [];
  const runtimes: ServingRuntime[] = [];
  const recorders: MetricsRecorder[] = [];
  let removeGauge: () => void;

  beforeAll(async () => {
    ws = await tempWorkspace();
    secondStore = await openMetadataStore(ws.config.databaseUrl);
    await ws.metadata.putEndpoint('churn', directPolicy({ model: 'churn', version: 1 }), {
      kind: 'deploy',
      actor: 'test',
      reason: '',
    });
    for (const [i, metadata] of [ws.metadata, secondStore].entries()) {
      const recorder = new MetricsRecorder({
        store: metadata,
        processId: `worker-${i + 1}`,
        flushIntervalMs: 60_000,
      }).start();
      const runtime = new ServingRuntime(metadata, ws.registry, { metrics: recorder });
      recorders.push(recorder);
      runtimes.push(runtime);
      apps.push(await createApp({ ...ws, metadata, runtime }));
    }
    removeGauge = registerGaugeSource({
      name: 'keel_test_drift_score',
      help: 'A drift score per feature, registered by another module',
      labelNames: ['endpoint', 'feature'],
      collect: () => [{ labels: { endpoint: 'churn', feature: 'MonthlyCharges' }, value: 0.42 }],
    });
  });
  afterAll(async () => {
    removeGauge();
    for (const app of apps) await app.close();
    for (const runtime of runtimes) await runtime.close();
    for (const recorder of recorders) await recorder.stop();
    await secondStore.close();
    await ws.dispose();
  });

  const route = { model: 'churn', version: 1, variant: 'primary' };
  const scrape = async (app: FastifyInstance) => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  it('sums the requests of every worker, whichever worker answers', async () => {
    for (let i = 0; i < 30; i++)
      runtimes[0].recordRequest('churn', 200, 1, 2 + (i % 5), null, route, { requestBytes: 400, responseBytes: 120 });
    for (let i = 0; i < 20; i++)
      runtimes[1].recordRequest('churn', i < 5 ? 500 : 200, 2, 40, i < 5 ? 'internal' : null, route);
    runtimes[1].recordRequest('churn', 400, 0, 0.3, 'invalid_argument');
    await recorders[1].flush(); // worker 2's own flush; worker 1 flushes when scraped

    const first = await scrape(apps[0]);
    const second = await scrape(apps[1]);
    const labels = { endpoint: 'churn', model: 'churn', version: '1', variant: 'primary' };
    for (const text of [first, second]) {
      expect(sample(text, 'keel_requests_total', labels)).toBe(50);
      expect(sample(text, 'keel_request_rows_total', labels)).toBe(70);
      expect(sample(text, 'keel_request_errors_total', labels)).toBe(5);
      expect(sample(text, 'keel_request_bytes_total', labels)).toBe(12_000);
      expect(sample(text, 'keel_errors_by_code_total', { ...labels, code: 'internal' })).toBe(5);
      expect(sample(text, 'keel_responses_by_status_total', { ...labels, status_class: '2xx' })).toBe(45);
      expect(sample(text, 'keel_request_duration_seconds_count', labels)).toBe(50);
      expect(sample(text, 'keel_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(50);
      expect(sample(text, 'keel_request_duration_seconds_bucket', { ...labels, le: '0.01' })).toBe(30);
      expect(sample(text, 'keel_request_duration_seconds_sum', labels)).toBeCloseTo((30 * 4 + 20 * 40) / 1000, 9);
      // A request refused before a route was chosen has its own series.
      expect(sample(text, 'keel_requests_total', { endpoint: 'churn', variant: '' })).toBe(1);
      expect(sample(text, 'keel_test_drift_score', { feature: 'MonthlyCharges' })).toBe(0.42);
      expect(sample(text, 'keel_worker_resident_memory_bytes', { process: 'worker-1' })).toBeGreaterThan(0);
      expect(sample(text, 'keel_worker_cpu_seconds_total', { process: 'worker-2' })).toBeGreaterThanOrEqual(0);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    }
    // Counters only grow: more traffic on either worker raises what both report.
    runtimes[1].recordRequest('churn', 200, 1, 1, null, route);
    expect(sample(await scrape(apps[0]), 'keel_requests_total', labels)).toBe(50);
    expect(sample(await scrape(apps[1]), 'keel_requests_total', labels)).toBe(51);
    expect(sample(await scrape(apps[0]), 'keel_requests_total', labels)).toBe(51);
  });

  it('passes promtool check metrics', async (context) => {
    if (!promtool) {
      if (process.env.CI) throw new Error("promtool is missing: CI installs Debian's prometheus package (see .ci/run)");
      context.skip('promtool is not installed (apt-get install -y prometheus); CI runs this check');
    }
    const result = checkMetrics(await scrape(apps[0]));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('serves the time series of an endpoint per bucket and variant, and refuses bad parameters naming them', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    const response = await apps[1].inject({
      method: 'GET',
      url: `/api/v1/endpoints/churn/metrics?since=${since}&until=${until}&bucket=1m`,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json() as {
      bucketMs: number;
      buckets: Array<{ requests: number; variants: Record<string, { requests: number }> }>;
    };
    expect(body.bucketMs).toBe(60_000);
    expect(body.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(52);
    expect(body.buckets.reduce((sum, b) => sum + (b.variants.primary?.requests ?? 0), 0)).toBe(51);
    for (const [query, field] of [
      ['since=yesterday', 'querystring.since'],
      ['until=later', 'querystring.until'],
      ['bucket=7x', 'querystring.bucket'],
      [`since=${until}&until=${since}`, 'since'],
    ]) {
      const bad = await apps[0].inject({ method: 'GET', url: `/api/v1/endpoints/churn/metrics?${query}` });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json().error.details.field, query).toBe(field);
    }
    const missing = await apps[0].inject({ method: 'GET', url: '/api/v1/endpoints/nope/metrics' });
    expect(missing.statusCode).toBe(404);
  });

  it('lists alert states and transitions, filtered by endpoint', async () => {
    await ws.metadata.putAlertState(
      {
        rule: 'high-errors',
        endpoint: 'churn',
        status: 'firing',
        since: '2026-03-01T10:00:00.000Z',
        value: 0.25,
        severity: 'critical',
        evaluatedAt: '2026-03-01T10:00:00.000Z',
        transition: { from: 'ok', actor: 'worker-1', message: 'ok → firing' },
      },
      0,
    );
    const response = await apps[0].inject({ method: 'GET', url: '/api/v1/alerts?endpoint=churn' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      alerts: [{ rule: 'high-errors', endpoint: 'churn', status: 'firing', value: 0.25 }],
      transitions: [{ from: 'ok', to: 'firing', actor: 'worker-1' }],
    });
    expect((await apps[0].inject({ method: 'GET', url: '/api/v1/alerts?endpoint=other' })).json()).toEqual({
      alerts: [],
      transitions: [],
    });
    const bad = await apps[0].inject({ method: 'GET', url: '/api/v1/alerts?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toMatch(/limit/);
    const spec = (await apps[0].inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/metrics', '/api/v1/alerts', '/api/v1/endpoints/{name}/metrics']),
    );
  });
});
