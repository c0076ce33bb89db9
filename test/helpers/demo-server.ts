import { join } from 'node:path';
import { loadProject, packageRoot, rowAt } from '../../src/core/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { startServer, type Workspace } from '../../src/server/index.js';
import { readTable } from '../../src/data/index.js';
import { tempWorkspace } from './workspace.js';

export const churnProjectDir = join(packageRoot, 'examples', 'churn');

export interface DemoServer {
  readonly url: string;
  readonly workspace: Workspace;
  close(): Promise<void>;
}

/**
 * The demo as a test fixture: runs the churn project into a temp workspace, starts the real
 * server on a free port, and sends `predictions` single-row requests so monitoring has traffic.
 */
export async function startDemoServer(options: { predictions?: number } = {}): Promise<DemoServer> {
  const ws = await tempWorkspace();
  const project = loadProject(churnProjectDir);
  const result = await runProject(project, ws, { actor: 'test' });
  const server = await startServer(ws, { port: 0 });
  const version = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
  if (!version) throw new Error('demo: the imported dataset version is missing');
  const table = await readTable(await ws.artifacts.localPath(version.artifact));
  const count = options.predictions ?? 30;
  for (let i = 0; i < count; i++) {
    const instance = rowAt(table, i, ['Churn']);
    const response = await fetch(`${server.url}/v1/endpoints/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [instance] }),
    });
    if (!response.ok) throw new Error(`demo: prediction ${i} failed with ${response.status}: ${await response.text()}`);
  }
  await server.runtime.log.flush();
  return {
    url: server.url,
    workspace: ws,
    close: async () => {
      await server.close();
      await ws.dispose();
    },
  };
}
