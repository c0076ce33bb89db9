import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject, rowAt, type EndpointMonitoring, type Row } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { decodeSplit, runProject } from '../../src/pipelines/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { deployDirect } from '../../src/serving/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { tempWorkspace } from '../helpers/workspace.js';

/**
 * Issue 7's scenario on the churn endpoint, end to end through a real server: traffic replayed
 * from the test split shows no drift; traffic where MonthlyCharges is scaled by 1.5 and
 * Contract is mostly month-to-month drifts on exactly those features and on the output within
 * one window, fires the alert and calls its webhook; feedback that disagrees with the model
 * shows the quality drop and fires the quality alert.
 */
describe('monitoring the churn endpoint', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let server: RunningServer;
  let receiver: Server;
  let test: Row[];
  const hooks: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    ws = await tempWorkspace();
    const result = await runProject(loadProject(churnProjectDir), ws, { actor: 'test' });
    const dataset = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
    const table = await readTable(await ws.artifacts.localPath(dataset!.artifact));
    const split = decodeSplit(await ws.artifacts.get(result.outputs.split.digest));
    test = Array.from(split.test, (i) => rowAt(table, i, ['Churn']));
    // Each phase on its own endpoint serving the same champion, so their windows do not mix.
    for (const name of ['replay', 'shifted']) {
      await deployDirect(ws.metadata, name, { name: 'churn', version: 1 }, { actor: 'test', reason: 'scenario' });
    }

    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const webhook = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    const rule = (name: string, metric: string, op: '>' | '<', value: number) => ({
      name,
      metric,
      condition: { op, value },
      window: '10m',
      for: '0s',
      severity: 'critical' as const,
      webhooks: [webhook],
      endpoint: null,
      forMs: 0,
      windowMs: 600_000,
    });
    server = await startServer(ws, {
      port: 0,
      rolloutIntervalMs: false,
      // Evaluated by the test, not on a timer.
      alerts: {
        intervalMs: 3_600_000,
        rules: [
          rule('input-drift', 'drift_share', '>', 0),
          rule('output-drift', 'output_drift', '>', 0),
          rule('quality-drop', 'accuracy', '<', 0.6),
        ],
      },
    });
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await ws?.dispose();
  });

  async function predict(endpoint: string, rows: readonly Row[]): Promise<Array<{ id: string; label: string }>> {
    const ids: Array<{ id: string; label: string }> = [];
    for (let i = 0; i < rows.length; i += 50) {
      const response = await fetch(`${server.url}/v1/endpoints/${endpoint}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: rows.slice(i, i + 50) }),
      });
      expect(response.status).toBe(200);
      ids.push(...((await response.json()) as { predictions: Array<{ id: string; label: string }> }).predictions);
    }
    return ids;
  }

  async function monitoring(endpoint: string): Promise<EndpointMonitoring> {
    await server.runtime.metrics?.flush();
    await server.runtime.log.flush();
    const response = await fetch(`${server.url}/api/v1/endpoints/${endpoint}/monitoring`);
    expect(response.status).toBe(200);
    return (await response.json()) as EndpointMonitoring;
  }

  const statusOf = async (endpoint: string) =>
    Object.fromEntries((await ws.metadata.listAlertStates({ endpoint })).map((s) => [s.rule, s.status]));

  it('shows no drift on traffic replayed from the test split', async () => {
    await predict('replay', test);
    const summary = await monitoring('replay');
    expect(summary.drift.rows).toBe(test.length);
    expect(summary.drift.features.length).toBeGreaterThan(10);
    expect(summary.drift.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual([]);
    expect(summary.drift.output.length).toBeGreaterThan(0);
    expect(summary.drift.output.filter((f) => f.drifted)).toEqual([]);
    await server.alerts!.evaluateAlerts();
    const states = await statusOf('replay');
    expect(states['input-drift']).toBe('ok');
    expect(states['output-drift']).toBe('ok');
  });

  it('drifts on exactly MonthlyCharges and Contract, and on the output, firing the alert and its webhook', async () => {
    const shifted = test.map((row, i) => ({
      ...row,
      MonthlyCharges: (row.MonthlyCharges as number) * 1.5,
      Contract: i % 10 === 0 ? row.Contract : 'Month-to-month',
    }));
    const answered = await predict('shifted', shifted);
    const summary = await monitoring('shifted');
    expect(summary.drift.rows).toBe(shifted.length);
    expect(
      summary.drift.features
        .filter((f) => f.drifted)
        .map((f) => f.feature)
        .sort(),
    ).toEqual(['Contract', 'MonthlyCharges']);
    expect(summary.drift.output.some((f) => f.drifted)).toBe(true);
    // The time series scores the same window's buckets: the drift shows in the bucket it happened in.
    expect(summary.drift.series.some((b) => b.features.MonthlyCharges?.drifted)).toBe(true);

    hooks.length = 0;
    await server.alerts!.evaluateAlerts();
    const states = await statusOf('shifted');
    expect(states['input-drift']).toBe('firing');
    expect(states['output-drift']).toBe('firing');
    await waitFor(() => hooks.filter((h) => JSON.stringify(h).includes('shifted')).length >= 2);
    expect(JSON.stringify(hooks)).toContain('input-drift');

    // Ground truth that disagrees with every answer: live accuracy drops to zero, and the quality alert fires.
    expect(states['quality-drop']).not.toBe('firing');
    const feedback = await fetch(`${server.url}/v1/endpoints/shifted/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        feedback: answered.slice(0, 300).map((p) => ({ id: p.id, label: p.label === 'Yes' ? 'No' : 'Yes' })),
      }),
    });
    expect(feedback.status).toBe(200);
    const after = await monitoring('shifted');
    expect(after.quality[0]).toMatchObject({ labeled: 300, accuracy: 0 });
    await server.alerts!.evaluateAlerts();
    expect((await statusOf('shifted'))['quality-drop']).toBe('firing');
    expect((await monitoring('shifted')).alerts.map((a) => [a.rule, a.status])).toContainEqual([
      'quality-drop',
      'firing',
    ]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
