import type { FastifyInstance } from 'fastify';
import { RolloutController, ServingRuntime, ThreadedLogWriter, type ServingOptions } from '../serving/index.js';
import { existsSync } from 'node:fs';
import { loadProject, type ProjectConfig } from '../core/index.js';
import {
  AlertEvaluator,
  driftSettings,
  MetricsRecorder,
  monitoringMetricSources,
  parseAlertRules,
  type AlertRule,
  type DriftSettings,
} from '../monitoring/index.js';
import { createApp } from './app.js';
import { gracefulDrain } from './drain.js';
import { referenceLoader } from './references.js';
import type { Workspace } from './workspace.js';

export interface StartServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly logger?: boolean;
  /** Names this process in an `x-keel-worker` response header (`keel server --workers N` sets it). */
  readonly workerId?: string;
  /** Coalescing of concurrent predictions per model version (default 64 rows, 1 ms; false: off). */
  readonly microBatch?: ServingOptions['microBatch'];
  /**
   * The progressive-rollout controller's timer (ms between looks at running rollouts; default
   * 5000), or false for none. Several processes may each run one: changes are compare-and-set.
   */
  readonly rolloutIntervalMs?: number | false;
  /** Software metrics: how often this process writes its windows to the store (ms; default 5000). */
  readonly metricsFlushIntervalMs?: number;
  /**
   * False: serve without monitoring's windows (software metrics, drift counts) and alerts; the
   * prediction and request logs still record everything. Default true.
   */
  readonly monitoring?: boolean;
  /**
   * The project file whose `monitoring` section (alert rules, drift tests) the server follows:
   * a keel.yaml or its folder. Default: `keel.yaml` in the working directory, when there is one.
   */
  readonly project?: string;
  /**
   * Alert rules and the evaluator's interval (ms; default 15000; false: no evaluator). Without
   * `rules`, the project file's `monitoring.alerts`.
   */
  readonly alerts?: { readonly rules?: readonly AlertRule[]; readonly intervalMs?: number | false };
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly runtime: ServingRuntime;
  /** Null when started with `rolloutIntervalMs: false`. */
  readonly rollouts: RolloutController | null;
  /** Null without alert rules, or with `alerts.intervalMs: false`. */
  readonly alerts: AlertEvaluator | null;
  readonly url: string;
  /** Stops accepting requests, lets in-flight ones finish, then flushes the prediction log. */
  close(): Promise<void>;
}

export async function startServer(workspace: Workspace, options: StartServerOptions = {}): Promise<RunningServer> {
  // The prediction log is written from its own thread when another connection can reach the store.
  const logWriter =
    ThreadedLogWriter.available && !workspace.config.databaseUrl.includes(':memory:')
      ? await ThreadedLogWriter.start(workspace.config.databaseUrl)
      : null;
  const monitoring = projectMonitoring(options.project);
  const drift = driftSettings(monitoring?.drift);
  const metrics =
    options.monitoring === false
      ? null
      : new MetricsRecorder({
          // Its writes too go through the writer thread when there is one (see ThreadedLogWriter).
          store: logWriter ?? workspace.metadata,
          flushIntervalMs: options.metricsFlushIntervalMs,
        }).start();
  const alerts = metrics && alertEvaluator(workspace, metrics, drift, options.alerts ?? {}, monitoring?.alerts);
  const runtime = new ServingRuntime(workspace.metadata, workspace.registry, {
    ...(metrics ? { metrics } : {}),
    microBatch: options.microBatch,
    // Handing records to the thread is cheap: hand them over soon, before they age in this thread's heap.
    ...(logWriter ? { logStore: logWriter, logFlushIntervalMs: 20 } : {}),
  });
  const app = await createApp({
    ...workspace,
    runtime,
    drift,
    logger: options.logger,
    ...(options.workerId !== undefined ? { responseHeaders: { 'x-keel-worker': options.workerId } } : {}),
  });
  const rollouts =
    options.rolloutIntervalMs === false
      ? null
      : new RolloutController(workspace.metadata, {
          intervalMs: options.rolloutIntervalMs,
          onChange: (endpoint) => runtime.invalidate(endpoint.name),
          onError: (error) => console.error('keel: rollout controller:', error),
        });
  const drain = gracefulDrain(app);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 4040, host });
  rollouts?.start();
  alerts?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | null = null;
  return {
    app,
    runtime,
    rollouts,
    alerts,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await rollouts?.stop();
        await drain();
        await app.close();
        await alerts?.stop();
        await runtime.close();
        await metrics?.stop();
        await logWriter?.close();
      })()),
  };
}

/** The `monitoring` section of the project file (see `StartServerOptions.project`). */
function projectMonitoring(project: string | undefined): ProjectConfig['monitoring'] {
  if (project === undefined && !existsSync('keel.yaml')) return undefined;
  return loadProject(project ?? 'keel.yaml').config.monitoring;
}

/** The alert evaluator of this process, or null without rules or with `intervalMs: false`. */
function alertEvaluator(
  workspace: Workspace,
  metrics: MetricsRecorder,
  drift: DriftSettings,
  options: NonNullable<StartServerOptions['alerts']>,
  configured: unknown,
): AlertEvaluator | null {
  if (options.intervalMs === false) return null;
  const rules = options.rules ?? parseAlertRules(configured);
  if (rules.length === 0) return null;
  return new AlertEvaluator({
    store: workspace.metadata,
    rules,
    intervalMs: options.intervalMs,
    actor: metrics.processId,
    // Drift and quality metrics of this workspace (the software ones the evaluator computes itself).
    sources: monitoringMetricSources(
      workspace.metadata,
      referenceLoader(workspace.metadata, workspace.registry),
      drift,
    ),
    beforeEvaluate: () => metrics.flush(),
  });
}
