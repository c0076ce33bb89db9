import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServedRoute, ServingRuntime } from '../../serving/index.js';
import type { ServerDeps } from '../deps.js';
import type { FastRoutes } from '../fast-routes.js';
import { ErrorSchema, Name } from './schemas.js';

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

const PREDICT_PATH = /^\/v1\/endpoints\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\/predict$/;

/**
 * Inference: the prediction routes every client calls. Keel's own predict route is also a fast
 * route (see fast-routes.ts): both call `predict` below, so they answer alike; the body's shape
 * is checked by the serving runtime on both, not by the route's schema (which documents it).
 */
export function registerInferenceRoutes(app: FastifyInstance, deps: ServerDeps, fast: FastRoutes | null): void {
  const { runtime } = deps;
  app.post<{ Params: { name: string }; Body: unknown }>(
    '/v1/endpoints/:name/predict',
    {
      config: { inferenceRows: instancesOf },
      // Body errors are the runtime's to report (the same words on the fast path); a bad name is still refused here.
      attachValidation: true,
      schema: {
        tags: ['inference'],
        summary: 'Predict with the model version(s) the endpoint routes to',
        params: Type.Object({ name: Name }),
        body: Type.Object({ instances: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request) => {
      if (request.validationError?.validationContext === 'params') throw request.validationError;
      return predict(runtime, request.params.name, request.body, recordRoute(request));
    },
  );
  fast?.add({
    match: (path) => {
      const found = PREDICT_PATH.exec(path);
      return found ? { name: found[1] } : null;
    },
    state: () => ({ route: undefined as ServedRoute | undefined }),
    handle: (params, body, state) => predict(runtime, params.name, body, (route) => (state.route = route)),
    done: (params, body, state, outcome) => {
      if (outcome.status === 404) return;
      runtime.recordRequest(
        params.name,
        outcome.status,
        instancesOf(body),
        outcome.latencyMs,
        outcome.errorCode,
        state.route,
        { requestBytes: outcome.requestBytes, responseBytes: outcome.responseBytes },
      );
    },
  });
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
      {
        requestBytes: Number(request.headers['content-length']) || 0,
        responseBytes: Number(reply.getHeader('content-length')) || 0,
      },
    );
  });
}

/** Keel's predict payload: `{"instances": [row, …]}` in, predictions with their ids and the answering version out. */
async function predict(runtime: ServingRuntime, name: string, body: unknown, onRoute: (route: ServedRoute) => void) {
  const result = await runtime.predict(name, (body as { instances?: unknown } | null)?.instances, { onRoute });
  return { predictions: result.predictions, model: result.model, variant: result.variant };
}

function instancesOf(body: unknown): number {
  return lengthOf((body as { instances?: unknown } | null | undefined)?.instances);
}

/** The length of an array, 0 for anything else: row counts of request bodies of any shape. */
export function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
