import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../core/index.js';
import { ErrorSchema, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** Datasets and their versions, profiles, schemas and lineage. */
export function registerDatasetRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata } = deps;
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
}
