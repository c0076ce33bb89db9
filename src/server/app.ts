import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { keelVersion, notFound, packageRoot } from '../core/index.js';
import { endpointMonitoring } from '../monitoring/index.js';
import type { Registry } from '../registry/index.js';
import type { ServingRuntime } from '../serving/index.js';
import type { ArtifactStore, MetadataStore } from '../store/index.js';
import { errorHandler, toErrorBody } from './errors.js';

export interface ServerDeps {
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  readonly registry: Registry;
  readonly runtime: ServingRuntime;
  /** Folder with the built dashboard; default `dist/web` of the package. */
  readonly webRoot?: string;
  readonly logger?: boolean;
  /** Largest request body in bytes. */
  readonly bodyLimit?: number;
}

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 128 });
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }));
const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  }),
});

/**
 * Keel's HTTP server: the JSON API under /api/v1 (described by a generated OpenAPI document),
 * inference under /v1/endpoints, health, and the dashboard at /. Built as a function of its
 * dependencies so tests drive it in-process with `app.inject()`.
 */
export async function createApp(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: deps.bodyLimit ?? 10 * 1024 * 1024 });
  app.setErrorHandler(errorHandler);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Keel API',
        version: keelVersion,
        description: 'Datasets, runs, models, endpoints, monitoring and inference.',
      },
    },
  });

  const { metadata, registry, runtime } = deps;
  const referenceOf = async (model: string, version: number) => {
    const found = await metadata.getModelVersion(model, version);
    if (!found) throw notFound(`model version ${model}@${version} does not exist`);
    return (await registry.readPackage(found)).reference;
  };

  app.get('/healthz', { schema: { tags: ['health'] } }, async () => ({ status: 'ok', version: keelVersion }));

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // --- datasets
  app.get('/api/v1/datasets', { schema: { tags: ['datasets'], summary: 'List datasets' } }, async () => ({
    datasets: await metadata.listDatasets(),
  }));
  app.get<{ Params: { name: string } }>(
    '/api/v1/datasets/:name',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Versions of a dataset, newest first, with profile and schema',
        params: Type.Object({ name: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const versions = await metadata.listDatasetVersions(request.params.name);
      if (versions.length === 0) throw notFound(`no dataset named "${request.params.name}"`, { field: 'name' });
      return { dataset: request.params.name, versions };
    },
  );

  // --- runs
  app.get<{ Querystring: { limit?: number; experiment?: string } }>(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Runs, newest first',
        querystring: Type.Object({ limit: Limit, experiment: Type.Optional(Type.String()) }),
      },
    },
    async (request) => ({
      runs: await metadata.listRuns({ limit: request.query.limit ?? 100, experiment: request.query.experiment }),
    }),
  );
  app.get<{ Params: { id: string } }>(
    '/api/v1/runs/:id',
    {
      schema: { tags: ['runs'], summary: 'One run', params: Type.Object({ id: Name }), response: { 404: ErrorSchema } },
    },
    async (request) => {
      const run = await metadata.getRun(request.params.id);
      if (!run) throw notFound(`no run with id "${request.params.id}"`, { field: 'id' });
      return { run };
    },
  );

  // --- models
  app.get('/api/v1/models', { schema: { tags: ['models'], summary: 'Registered models' } }, async () => ({
    models: await metadata.listRegisteredModels(),
  }));
  app.get<{ Params: { name: string } }>(
    '/api/v1/models/:name',
    {
      schema: {
        tags: ['models'],
        summary: 'A model with its versions and alias history',
        params: Type.Object({ name: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const model = await metadata.getRegisteredModel(request.params.name);
      if (!model) throw notFound(`no model named "${request.params.name}"`, { field: 'name' });
      const [versions, aliasEvents] = await Promise.all([
        metadata.listModelVersions(model.name),
        metadata.listAliasEvents(model.name),
      ]);
      return { model, versions, aliasEvents };
    },
  );

  // --- endpoints
  app.get(
    '/api/v1/endpoints',
    { schema: { tags: ['endpoints'], summary: 'Endpoints and their traffic policies' } },
    async () => ({
      endpoints: await metadata.listEndpoints(),
    }),
  );
  app.get<{ Params: { name: string } }>(
    '/api/v1/endpoints/:name',
    {
      schema: {
        tags: ['endpoints'],
        summary: 'An endpoint with its audit events',
        params: Type.Object({ name: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const endpoint = await metadata.getEndpoint(request.params.name);
      if (!endpoint) throw notFound(`no endpoint named "${request.params.name}"`, { field: 'name' });
      return { endpoint, events: await metadata.listEndpointEvents(endpoint.name, 50) };
    },
  );
  app.get<{ Params: { name: string }; Querystring: { since?: string } }>(
    '/api/v1/endpoints/:name/monitoring',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Traffic, errors, latency quantiles, a per-minute series and input drift (PSI) of an endpoint',
        params: Type.Object({ name: Name }),
        querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })) }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => endpointMonitoring(metadata, referenceOf, request.params.name, { since: request.query.since }),
  );

  // --- pipelines
  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/pipeline-runs',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Pipeline runs with their steps, newest first',
        querystring: Type.Object({ limit: Limit }),
      },
    },
    async (request) => {
      const runs = await metadata.listPipelineRuns(request.query.limit ?? 20);
      return {
        pipelineRuns: await Promise.all(
          runs.map(async (run) => ({ ...run, steps: await metadata.listStepRuns(run.id) })),
        ),
      };
    },
  );

  // --- inference
  app.post<{ Params: { name: string }; Body: { instances: unknown } }>(
    '/v1/endpoints/:name/predict',
    {
      schema: {
        tags: ['inference'],
        summary: 'Predict with the model version(s) the endpoint routes to',
        params: Type.Object({ name: Name }),
        body: Type.Object({ instances: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request) => {
      const result = await runtime.predict(request.params.name, request.body.instances);
      return {
        predictions: result.predictions,
        model: result.model,
        variant: result.variant,
      };
    },
  );
  // Every request to an endpoint, answered or refused, feeds its software metrics.
  app.addHook('onResponse', async (request, reply) => {
    // A 404 here means the endpoint does not exist, so there is no endpoint to count it for.
    if (request.routeOptions.url !== '/v1/endpoints/:name/predict' || reply.statusCode === 404) return;
    const body = request.body as { instances?: unknown } | undefined;
    const rows = Array.isArray(body?.instances) ? body.instances.length : 0;
    const errorCode = reply.statusCode >= 400 ? String(reply.statusCode) : null;
    runtime.recordRequest(
      (request.params as { name: string }).name,
      reply.statusCode,
      rows,
      reply.elapsedTime,
      errorCode,
    );
  });

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
