import type { FastifyInstance } from 'fastify';
import { RolloutController, ServingRuntime, ThreadedLogWriter, type ServingOptions } from '../serving/index.js';
import { createApp } from './app.js';
import { gracefulDrain } from './drain.js';
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
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly runtime: ServingRuntime;
  /** Null when started with `rolloutIntervalMs: false`. */
  readonly rollouts: RolloutController | null;
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
  const runtime = new ServingRuntime(workspace.metadata, workspace.registry, {
    microBatch: options.microBatch,
    // Handing records to the thread is cheap: hand them over soon, before they age in this thread's heap.
    ...(logWriter ? { logStore: logWriter, logFlushIntervalMs: 20 } : {}),
  });
  const app = await createApp({ ...workspace, runtime, logger: options.logger });
  const workerId = options.workerId;
  if (workerId !== undefined) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('x-keel-worker', workerId);
      done();
    });
  }
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
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | null = null;
  return {
    app,
    runtime,
    rollouts,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await rollouts?.stop();
        await drain();
        await app.close();
        await runtime.close();
        await logWriter?.close();
      })()),
  };
}
