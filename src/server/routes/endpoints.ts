import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../core/index.js';
import { endpointMonitoring } from '../../monitoring/index.js';
import { ErrorSchema, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** Endpoints, their traffic policies and audit events, and their monitoring. */
export function registerEndpointRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata, registry } = deps;
  const referenceOf = async (model: string, version: number) => {
    const found = await metadata.getModelVersion(model, version);
    if (!found) throw notFound(`model version ${model}@${version} does not exist`);
    return (await registry.readPackage(found)).reference;
  };
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
}
