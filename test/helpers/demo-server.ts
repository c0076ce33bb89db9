import { join } from 'node:path';
import { loadProject, packageRoot, rowAt } from '../../src/core/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { startServer, type StartServerOptions, type Workspace } from '../../src/server/index.js';
import { readTable } from '../../src/data/index.js';
import { parseAlertRules } from '../../src/monitoring/index.js';
import { tempWorkspace } from './workspace.js';

export const churnProjectDir = join(packageRoot, 'examples', 'churn');

export interface DemoServer {
  readonly url: string;
  readonly workspace: Workspace;
  /** The workspace's KEEL_HOME, for the CLI. */
  readonly home: string;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  /** Single-row predictions sent after start (default 30). */
  readonly predictions?: number;
  /** How many of those predictions get their true `Churn` label as feedback (default none). */
  readonly feedback?: number;
  /**
   * Rows sent after those, in one request, shifted as in the monitoring scenario of issue 7:
   * `MonthlyCharges` × 1.5 and `Contract` month-to-month for nine customers in ten (default none).
   */
  readonly shifted?: number;
  /** Alert rules for the server; they are evaluated once after the traffic (default none). */
  readonly alerts?: NonNullable<StartServerOptions['alerts']>['rules'];
}

/**
 * A demo whose monitoring has something to show: 40 predictions with their true labels as
 * feedback, then 300 rows shifted on two features (`MonthlyCharges`, `Contract`), and two alert
 * rules over the last hour — `input-drift` (any feature drifted), which fires, and `slow` (p99
 * over a minute), which stays ok.
 */
export const MONITORING_DEMO: DemoServerOptions = {
  predictions: 40,
  feedback: 40,
  shifted: 300,
  alerts: parseAlertRules([
    { name: 'input-drift', metric: 'drift_share', condition: { op: '>', value: 0 }, window: '1h', for: '0s' },
    { name: 'slow', metric: 'latency_p99_ms', condition: { op: '>', value: 60_000 }, window: '1h', for: '0s' },
  ]),
};

/**
 * The demo as a test fixture: runs the churn project into a temp workspace, starts the real
 * server on a free port, and sends `predictions` single-row requests so monitoring has traffic.
 * The metric windows (software metrics, drift counts) are flushed before it returns, so every
 * monitoring time series already holds that traffic.
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const ws = await tempWorkspace();
  const project = loadProject(churnProjectDir);
  const result = await runProject(project, ws, { actor: 'test' });
  const server = await startServer(ws, {
    port: 0,
    // Tests wait well under the default 5 s for later traffic to show in the windows.
    metricsFlushIntervalMs: 200,
    // The test evaluates the rules itself, once the traffic is in: no timer racing it.
    ...(options.alerts ? { alerts: { rules: options.alerts, intervalMs: 3_600_000 } } : {}),
  });
  const version = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
  if (!version) throw new Error('demo: the imported dataset version is missing');
  const table = await readTable(await ws.artifacts.localPath(version.artifact));
  const churn = table.columns.find((column) => column.name === 'Churn');
  const count = options.predictions ?? 30;
  const feedback: Array<{ id: string; label: string }> = [];
  for (let i = 0; i < count; i++) {
    const instance = rowAt(table, i, ['Churn']);
    const response = await fetch(`${server.url}/v1/endpoints/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [instance] }),
    });
    if (!response.ok) throw new Error(`demo: prediction ${i} failed with ${response.status}: ${await response.text()}`);
    const { predictions } = (await response.json()) as { predictions: Array<{ id: string }> };
    if (i < (options.feedback ?? 0) && churn) feedback.push({ id: predictions[0].id, label: String(churn.values[i]) });
  }
  if (options.shifted) {
    const instances = Array.from({ length: options.shifted }, (_, i) => {
      const row = rowAt(table, count + i, ['Churn']);
      return {
        ...row,
        MonthlyCharges: (row.MonthlyCharges as number) * 1.5,
        Contract: i % 10 === 0 ? row.Contract : 'Month-to-month',
      };
    });
    const response = await fetch(`${server.url}/v1/endpoints/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances }),
    });
    if (!response.ok)
      throw new Error(`demo: the shifted rows failed with ${response.status}: ${await response.text()}`);
  }
  await server.runtime.log.flush();
  if (feedback.length > 0) {
    const response = await fetch(`${server.url}/v1/endpoints/churn/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback }),
    });
    if (!response.ok) throw new Error(`demo: feedback failed with ${response.status}: ${await response.text()}`);
  }
  await server.runtime.metrics?.flush();
  await server.alerts?.evaluateAlerts();
  return {
    url: server.url,
    workspace: ws,
    home: ws.home,
    close: async () => {
      await server.close();
      await ws.dispose();
    },
  };
}
