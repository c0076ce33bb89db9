import type { FastifyInstance } from 'fastify';
import { ServingRuntime } from '../serving/index.js';
import { createApp } from './app.js';
import type { Workspace } from './workspace.js';

export interface StartServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly logger?: boolean;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly runtime: ServingRuntime;
  readonly url: string;
  /** Stops accepting requests, lets in-flight ones finish, then flushes the prediction log. */
  close(): Promise<void>;
}

export async function startServer(workspace: Workspace, options: StartServerOptions = {}): Promise<RunningServer> {
  const runtime = new ServingRuntime(workspace.metadata, workspace.registry);
  const app = await createApp({ ...workspace, runtime, logger: options.logger });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 4040, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | null = null;
  return {
    app,
    runtime,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await runtime.close();
      })()),
  };
}
