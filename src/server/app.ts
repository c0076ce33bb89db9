import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeEvaluationReport, keelVersion, notFound, packageRoot } from '../core/index.js';
import { endpointMonitoring } from '../monitoring/index.js';
import { EVALUATION_REPORT_PATH, type Registry } from '../registry/index.js';
import type { ServingRuntime } from '../serving/index.js';
import { searchRuns } from '../tracking/index.js';
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
  app.get<{
    Querystring: { limit?: number; experiment?: string; filter?: string; orderBy?: string; pageToken?: string };
  }>(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Search runs: newest first, or those a filter selects in the order asked',
        description:
          "`filter` is MLflow's search syntax, e.g. `metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'`; " +
          '`orderBy` e.g. `metrics.roc_auc DESC, attributes.start_time`. A malformed filter is a 400 naming the column.',
        querystring: Type.Object({
          limit: Limit,
          experiment: Type.Optional(Type.String()),
          filter: Type.Optional(Type.String({ maxLength: 4_000 })),
          orderBy: Type.Optional(Type.String({ maxLength: 1_000 })),
          pageToken: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 400: ErrorSchema },
      },
    },
    async (request) => {
      const { limit, experiment, filter, orderBy, pageToken } = request.query;
      return searchRuns(metadata, { limit: limit ?? 100, experiment, filter, orderBy, pageToken });
    },
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
  app.get<{ Params: { id: string; key: string } }>(
    '/api/v1/runs/:id/metrics/:key',
    {
      schema: {
        tags: ['runs'],
        summary: "A metric's series: every point logged for it, in step order",
        params: Type.Object({ id: Name, key: Type.String({ minLength: 1, maxLength: 250 }) }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const { id, key } = request.params;
      const run = await metadata.getRun(id);
      if (!run) throw notFound(`no run with id "${id}"`, { field: 'id' });
      if (!Object.hasOwn(run.metrics, key)) throw notFound(`run ${id} has no metric "${key}"`, { field: 'key' });
      return { runId: id, key, points: await metadata.getMetricHistory(id, key) };
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

  // --- registry: versions, model cards, lineage, evaluation reports
  const VersionRef = Type.String({
    pattern: '^[A-Za-z0-9_-]+$',
    maxLength: 128,
    description: 'a version number or an alias (champion)',
  });
  const versionOf = (name: string, ref: string) => registry.resolve(`${name}@${ref}`);
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: "A model version (by number or alias) with its gate decision and its package's manifest",
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const version = await versionOf(request.params.name, request.params.version);
      const pkg = await registry.readPackage(version);
      // The manifest only: the fitted state, an imported graph and the reference statistics stay in the package.
      const { format, formatVersion, keelVersion: writtenBy, createdAt, algorithm, signature, metrics, lineage } = pkg;
      const manifest = {
        format,
        formatVersion,
        keelVersion: writtenBy,
        createdAt,
        algorithm,
        signature,
        metrics,
        lineage,
      };
      return { version, package: { ...manifest, runtime: pkg.runtime ?? 'keel' } };
    },
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version/lineage',
    {
      schema: {
        tags: ['models'],
        summary: 'Lineage of a model version: dataset versions → run → the version → endpoints',
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => ({
      lineage: await registry.modelLineage(await versionOf(request.params.name, request.params.version)),
    }),
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version/card',
    {
      schema: {
        tags: ['models'],
        summary: "A model version's generated model card, as JSON and Markdown",
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const version = await versionOf(request.params.name, request.params.version);
      const stored = await registry.readCard(version);
      if (!stored) {
        throw notFound(
          `${version.name}@${version.version} has no model card yet (keel models card ${version.name}@${version.version} --regenerate makes one)`,
        );
      }
      return stored;
    },
  );
  app.get<{ Params: { name: string; version: number } }>(
    '/api/v1/datasets/:name/versions/:version/lineage',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Lineage of a dataset version: derived versions, runs, model versions and endpoints downstream of it',
        params: Type.Object({ name: Name, version: Type.Integer({ minimum: 1 }) }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const dataset = await metadata.getDatasetVersion(request.params.name, request.params.version);
      if (!dataset)
        throw notFound(`no dataset version ${request.params.name}@${request.params.version}`, { field: 'version' });
      return { lineage: await registry.datasetLineage(dataset) };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/api/v1/runs/:id/evaluation',
    {
      schema: {
        tags: ['runs'],
        summary: "A run's evaluation report: metrics, curves, confusion matrix, slices, largest errors",
        params: Type.Object({ id: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await metadata.getRun(request.params.id);
      if (!run) throw notFound(`no run with id "${request.params.id}"`, { field: 'id' });
      const entry = run.artifacts.find((a) => a.path === EVALUATION_REPORT_PATH);
      if (!entry) throw notFound(`run ${run.id} has no evaluation report`, { field: 'id' });
      return {
        report: decodeEvaluationReport(await deps.artifacts.get(entry.digest), `evaluation report of run ${run.id}`),
      };
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
