import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../core/index.js';
import { searchRuns } from '../../tracking/index.js';
import { ErrorSchema, Limit, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** Tracked runs: search, one run, metric series, evaluation reports. */
export function registerRunRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata } = deps;
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
}
