import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { keelVersion, notFound, packageRoot } from '../core/index.js';
import type { ServerDeps } from './deps.js';
import { clientErrorHandler, errorHandler, toErrorBody } from './errors.js';
import { FastRoutes } from './fast-routes.js';
import { parseJsonBody } from './json-body.js';
import { registerDatasetRoutes } from './routes/datasets.js';
import { registerEndpointRoutes } from './routes/endpoints.js';
import { registerFeedbackRoutes } from './routes/feedback.js';
import { registerInferenceRoutes } from './routes/inference.js';
import { registerKserveV2Routes } from './routes/kserve-v2.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerMlflowRoutes } from './routes/mlflow.js';
import { registerModelRoutes } from './routes/models.js';
import { registerMonitoringRoutes } from './routes/monitoring.js';
import { registerPipelineRoutes } from './routes/pipelines.js';
import { registerRunRoutes } from './routes/runs.js';

export type { ServerDeps } from './deps.js';

/**
 * Keel's HTTP server: the JSON API under /api/v1 (described by a generated OpenAPI document),
 * inference under /v1/endpoints, health, and the dashboard at /. Built as a function of its
 * dependencies so tests drive it in-process with `app.inject()`.
 */
export async function createApp(deps: ServerDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 10 * 1024 * 1024;
  // With request logging on, every request goes through Fastify, so every request is logged.
  const fast = deps.logger ? null : new FastRoutes({ bodyLimit, headers: deps.responseHeaders });
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit,
    ...(fast ? { serverFactory: fast.serverFactory } : {}),
    // While closing (SIGTERM), a request that reached the server is still answered, not refused
    // with a 503: closing stops new connections, and every request taken is served (drain.ts).
    return503OnClosing: false,
    // A URL the router cannot take (a stray "%", an overlong name) gets Keel's error shape too.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler,
  });
  app.setErrorHandler(errorHandler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const headers = Object.entries(deps.responseHeaders ?? {});
  if (headers.length > 0) {
    app.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of headers) reply.header(name, value);
      done();
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Keel API',
        version: keelVersion,
        description: 'Datasets, runs, models, endpoints, monitoring and inference.',
      },
    },
  });

  app.get('/healthz', { schema: { tags: ['health'] } }, async () => ({ status: 'ok', version: keelVersion }));

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Each route file registers one area of the API (see routes/).
  registerDatasetRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerModelRoutes(app, deps);
  registerEndpointRoutes(app, deps);
  registerPipelineRoutes(app, deps);
  registerInferenceRoutes(app, deps, fast);
  registerKserveV2Routes(app, deps);
  registerMlflowRoutes(app, deps);
  registerFeedbackRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerMonitoringRoutes(app, deps);

  // --- dashboard
  const webRoot = deps.webRoot ?? join(packageRoot, 'dist', 'web');
  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const isApi = /^\/(api|v1|v2)(\/|$)/.test(path) || path === '/healthz' || path === '/metrics';
    // A path naming a file (an extension) is a missing asset, not a page: it gets a 404, not the HTML shell.
    const isFile = /\.[A-Za-z0-9]+$/.test(path);
    if (!isApi && !isFile && request.method === 'GET' && existsSync(join(webRoot, 'index.html'))) {
      // The dashboard routes in the browser: any other page path gets the app shell.
      return reply.type('text/html').sendFile('index.html');
    }
    const { status, body } = toErrorBody(notFound(`no route ${request.method} ${path}`));
    return reply.status(status).send(body);
  });

  return app;
}
