import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Limit } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** Pipeline runs and their steps. */
export function registerPipelineRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata } = deps;
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
}
