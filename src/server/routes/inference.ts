import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorSchema, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** Inference: the prediction routes every client calls. */
export function registerInferenceRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { runtime } = deps;
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
}
