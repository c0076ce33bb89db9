import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServedRoute } from '../../serving/index.js';
import { ErrorSchema, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Marks an inference route (Keel's, KServe v2's, MLflow's): every request to it, answered or
     * refused, is logged for the endpoint in `:name` with the rows its body carries, as counted
     * by this function (which must not throw on any body).
     */
    inferenceRows?: (body: unknown) => number;
  }
}

/** The route that answered each request, for the request log (per-variant metrics, rollout guardrails). */
const servedRoutes = new WeakMap<FastifyRequest, ServedRoute>();

/**
 * Pass as `onRoute` to `runtime.predict` from an inference route: the request is then logged
 * for the variant and version that answered (or failed) it.
 */
export function recordRoute(request: FastifyRequest): (route: ServedRoute) => void {
  return (route) => servedRoutes.set(request, route);
}

/** Inference: the prediction routes every client calls. */
export function registerInferenceRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { runtime } = deps;
  app.post<{ Params: { name: string }; Body: { instances: unknown } }>(
    '/v1/endpoints/:name/predict',
    {
      config: { inferenceRows: (body) => lengthOf((body as { instances?: unknown } | undefined)?.instances) },
      schema: {
        tags: ['inference'],
        summary: 'Predict with the model version(s) the endpoint routes to',
        params: Type.Object({ name: Name }),
        body: Type.Object({ instances: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request) => {
      const result = await runtime.predict(request.params.name, request.body.instances, {
        onRoute: recordRoute(request),
      });
      return {
        predictions: result.predictions,
        model: result.model,
        variant: result.variant,
      };
    },
  );
  // Every request to an endpoint, answered or refused, on any protocol, feeds its software metrics.
  app.addHook('onResponse', async (request, reply) => {
    const countRows = request.routeOptions.config.inferenceRows;
    // A 404 here means the endpoint (or version) does not exist, so there is nothing to count it for.
    if (!countRows || reply.statusCode === 404) return;
    const rows = countRows(request.body);
    const errorCode = reply.statusCode >= 400 ? String(reply.statusCode) : null;
    runtime.recordRequest(
      (request.params as { name: string }).name,
      reply.statusCode,
      rows,
      reply.elapsedTime,
      errorCode,
      servedRoutes.get(request),
    );
  });
}

/** The length of an array, 0 for anything else: row counts of request bodies of any shape. */
export function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
