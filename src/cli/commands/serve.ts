import { KeelError } from '../../core/index.js';
import { startServer, type RunningServer, type StartServerOptions, type Workspace } from '../../server/index.js';

export interface ServeOptions {
  readonly port?: string;
  readonly host: string;
  /** Set in a worker of `keel server --workers N`: names it in the `x-keel-worker` header. */
  readonly workerId?: string;
  /** Micro-batching of concurrent predictions (`keel server --batch-rows/--batch-wait-ms`). */
  readonly microBatch?: StartServerOptions['microBatch'];
  /** The project file whose `monitoring` section (alerts, drift tests) applies (`keel server --project`). */
  readonly project?: string;
  /** False: no monitoring windows or alerts (`keel server --no-monitoring`). */
  readonly monitoring?: boolean;
}

/** Starts the server and keeps it up until SIGINT/SIGTERM, then drains and flushes the logs. */
export async function serveUntilStopped(
  ws: Workspace,
  options: ServeOptions,
  onReady: (server: RunningServer) => Promise<void> | void,
): Promise<void> {
  const port = parsePort(options.port ?? process.env.PORT ?? '4040');
  let server: RunningServer;
  try {
    server = await startServer(ws, {
      port,
      host: options.host,
      workerId: options.workerId,
      microBatch: options.microBatch,
      project: options.project,
      monitoring: options.monitoring,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new KeelError(
        'failed_precondition',
        `port ${port} is already in use; stop the other process or choose another with PORT=… or --port`,
        {
          field: 'port',
        },
      );
    }
    throw error;
  }
  await onReady(server);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A worker of `keel server --workers N` can get SIGINT from the terminal and SIGTERM from the primary.
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nkeel: ${signal} received, draining requests and flushing the prediction log…\n`);
      void server
        .close()
        .then(() => ws.close())
        .then(resolve, (error: unknown) => {
          process.stderr.write(`keel: error while stopping: ${String(error)}\n`);
          process.exitCode = 1;
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KeelError('invalid_argument', `port "${value}" is not a port number (0–65535)`, { field: 'port' });
  }
  return port;
}
