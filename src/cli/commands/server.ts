import type { Command } from 'commander';
import { openWorkspace } from '../../server/index.js';
import { serveUntilStopped } from './serve.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Serve the API, the endpoints and the dashboard (port: --port, $PORT, default 4040)')
    .option('--port <port>', 'port to listen on')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .action(async (options: { port?: string; host: string }) => {
      const ws = await openWorkspace();
      await serveUntilStopped(ws, options, (server) => {
        process.stdout.write(
          `Keel server listening on ${server.url} (workspace ${ws.config.home})\n  Dashboard: ${server.url}/\n  API:       ${server.url}/api/v1/openapi.json\n`,
        );
      });
    });
}
