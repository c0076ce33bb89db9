import { InvalidArgumentError, type Command } from 'commander';
import { openWorkspace } from '../../server/index.js';
import { positiveInt } from '../output.js';
import { serveUntilStopped, type ServeOptions } from './serve.js';
import { isClusterWorker, leaveCluster, notifyReady, runPrimary, workerId } from './server-cluster.js';

interface ServerOptions {
  port?: string;
  host: string;
  workers: number;
  batching: boolean;
  batchRows: number;
  batchWaitMs: number;
  project?: string;
  monitoring: boolean;
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Serve the API, the endpoints and the dashboard (port: --port, $PORT, default 4040)')
    .option('--port <port>', 'port to listen on')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option(
      '--workers <n>',
      'serving processes sharing the port and the metadata store (docs/scaling.md)',
      positiveInt,
      1,
    )
    .option('--batch-rows <n>', 'micro-batching: most rows one model call takes', positiveInt, 64)
    .option('--batch-wait-ms <ms>', 'micro-batching: longest a request waits behind a running batch', milliseconds, 1)
    .option('--no-batching', 'predict every request on its own, without micro-batching')
    .option(
      '--no-monitoring',
      'serve without monitoring windows (metrics, drift) and alerts; predictions are still logged',
    )
    .option(
      '--project <path>',
      'keel.yaml (or its folder) whose monitoring section applies: alert rules, drift tests (default ./keel.yaml)',
    )
    .action(async (options: ServerOptions) => {
      if (isClusterWorker()) {
        await serveWorker(options);
        return;
      }
      const ws = await openWorkspace();
      const banner = (url: string): string =>
        `Keel server listening on ${url} (workspace ${ws.config.home})\n  Dashboard: ${url}/\n  API:       ${url}/api/v1/openapi.json\n`;
      if (options.workers === 1) {
        await serveUntilStopped(ws, serveOptions(options), (server) => void process.stdout.write(banner(server.url)));
        return;
      }
      // The workspace was opened once here so that migrations and a bad configuration fail once, in the primary.
      await ws.close();
      process.exitCode = await runPrimary({
        workers: options.workers,
        log: (line) => void process.stderr.write(`${line}\n`),
        onReady: (url) => void process.stdout.write(`${banner(url)}  Workers:   ${options.workers}\n`),
      });
    });
}

async function serveWorker(options: ServerOptions): Promise<void> {
  try {
    const ws = await openWorkspace();
    await serveUntilStopped(ws, { ...serveOptions(options), workerId: workerId() }, (server) =>
      notifyReady(server.url),
    );
  } finally {
    leaveCluster();
  }
}

function serveOptions(options: ServerOptions): ServeOptions {
  return {
    port: options.port,
    host: options.host,
    microBatch: options.batching ? { maxBatchRows: options.batchRows, maxWaitMs: options.batchWaitMs } : false,
    project: options.project,
    monitoring: options.monitoring,
  };
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n >= 0)) {
    throw new InvalidArgumentError(`must be a number of milliseconds ≥ 0, got "${value}"`);
  }
  return n;
}
