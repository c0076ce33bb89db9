import { join } from 'node:path';
import type { Command } from 'commander';
import { loadProject, packageRoot, rowAt, type Table } from '../../core/index.js';
import { readTable } from '../../data/index.js';
import { endpointName, runProject } from '../../pipelines/index.js';
import { openWorkspace } from '../../server/index.js';
import { nonNegativeInt, stepProgress } from '../output.js';
import { serveUntilStopped } from './serve.js';

export const demoProjectDir = join(packageRoot, 'examples', 'churn');

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the churn example end to end, deploy endpoint "churn" and serve it with the dashboard')
    .option('--port <port>', 'port to listen on (default $PORT or 4040)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--sample-requests <n>', 'predictions to send first so the dashboard has traffic', nonNegativeInt, 500)
    .action(async (options: { port?: string; host: string; sampleRequests: number }) => {
      const project = loadProject(demoProjectDir);
      const ws = await openWorkspace();
      process.stderr.write(`Keel demo: the churn project (${project.file})\nWorkspace: ${ws.config.home}\n\n`);
      const result = await runProject(project, ws, { onEvent: stepProgress(), actor: 'keel demo' });
      if (result.allCached)
        process.stderr.write('\nNothing changed since the last run: every step came from the cache.\n');
      const endpoint = endpointName(project);
      const version = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
      const table = version ? await readTable(await ws.artifacts.localPath(version.artifact)) : null;
      const target = project.config.task.target;

      await serveUntilStopped(ws, options, async (server) => {
        const sent = table ? await sendSampleTraffic(server.url, endpoint, table, target, options.sampleRequests) : 0;
        const example = table ? rowAt(table, 0, [target]) : {};
        const body = JSON.stringify({ instances: [example] });
        process.stdout.write(
          `\nKeel is serving on ${server.url}\n` +
            `  Dashboard  ${server.url}/\n` +
            `  API        ${server.url}/api/v1/openapi.json\n` +
            `  Endpoint   ${endpoint} → ${result.outputs.deploy.model}@${result.outputs.deploy.version}` +
            (sent ? ` (sent ${sent} sample predictions so the dashboard has traffic)` : '') +
            `\n\nTry a prediction:\n\n  curl -s -X POST ${server.url}/v1/endpoints/${endpoint}/predict \\\n    -H 'content-type: application/json' \\\n    -d '${body}'\n\n` +
            `Monitor it:  npx keel monitor ${endpoint}\nStop with Ctrl+C.\n`,
        );
      });
    });
}

async function sendSampleTraffic(
  url: string,
  endpoint: string,
  table: Table,
  target: string,
  count: number,
): Promise<number> {
  let sent = 0;
  for (let i = 0; i < Math.min(count, table.rows); i++) {
    // Spread over the file so the sample looks like real traffic, not its first rows.
    const index = Math.floor((i * table.rows) / count);
    const response = await fetch(`${url}/v1/endpoints/${endpoint}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [rowAt(table, index, [target])] }),
    });
    if (response.ok) sent++;
  }
  return sent;
}
