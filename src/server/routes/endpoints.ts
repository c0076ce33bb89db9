import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound } from '../../core/index.js';
import { endpointMonitoring } from '../../monitoring/index.js';
import {
  deploy,
  measureGuardrails,
  promote,
  rollback,
  rolloutPlan,
  strategyOf,
  type RolloutPlanInput,
} from '../../serving/index.js';
import { ErrorSchema, Limit, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';
import { referenceLoader } from '../references.js';

/** Who and why, on every change of an endpoint (its audit trail). */
const ChangeFields = {
  reason: Type.Optional(Type.String({ maxLength: 2000, description: 'why, for the audit trail' })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'who; default "api"' })),
};
type ChangeBody = { reason?: string; actor?: string } | undefined;

/** The optional body of promote and rollback (a schema would make the body itself required). */
function changeOf(body: unknown): { actor: string; reason: string } {
  if (body === undefined || body === null) return { actor: 'api', reason: '' };
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidArgument('body must be an object such as {"reason": "…", "actor": "…"}', { field: 'body' });
  }
  const { reason, actor, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw invalidArgument(`body.${unknown}: unknown field`, { field: `body.${unknown}` });
  for (const [field, value] of [
    ['reason', reason],
    ['actor', actor],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length > 2000)) {
      throw invalidArgument(`body.${field} must be text`, { field: `body.${field}` });
    }
  }
  return { actor: (actor as string | undefined) || 'api', reason: (reason as string | undefined) ?? '' };
}

const Deployment = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 300, description: 'NAME@VERSION or NAME@ALIAS' }),
    strategy: Type.Optional(Type.String({ description: 'direct | canary | blue-green | shadow | ab' })),
    percent: Type.Optional(Type.Number({ description: "the candidate's share (canary, ab), between 0 and 100" })),
    stickyKey: Type.Optional(Type.String({ description: 'a request field that keeps one caller on one version' })),
    rollout: Type.Optional(
      Type.Object(
        {
          steps: Type.Optional(Type.Array(Type.Number())),
          bake: Type.Optional(Type.Union([Type.String(), Type.Number()])),
          automation: Type.Optional(Type.String({ description: 'manual | auto-until-100 | auto' })),
          guardrails: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: false, description: 'ramp a canary step by step under guardrails' },
      ),
    ),
    ...ChangeFields,
  },
  { additionalProperties: false },
);

/** Endpoints, their traffic policies, deployments and audit events, and their monitoring. */
export function registerEndpointRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata, registry, runtime } = deps;
  const referenceOf = referenceLoader(metadata, registry);
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
      const [events, guardrails] = await Promise.all([
        metadata.listEndpointEvents(endpoint.name, 50),
        measureGuardrails(metadata, endpoint),
      ]);
      // `guardrails`: the running rollout's current step, measured now (null without one).
      return { endpoint, events, guardrails };
    },
  );
  app.get<{ Params: { name: string }; Querystring: { limit: number } }>(
    '/api/v1/endpoints/:name/events',
    {
      schema: {
        tags: ['endpoints'],
        summary: "An endpoint's audit trail, newest first: who changed the policy, when, to what and why",
        params: Type.Object({ name: Name }),
        querystring: Type.Object({ limit: Limit }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const endpoint = await metadata.getEndpoint(request.params.name);
      if (!endpoint) throw notFound(`no endpoint named "${request.params.name}"`, { field: 'name' });
      return { events: await metadata.listEndpointEvents(endpoint.name, request.query.limit) };
    },
  );
  // A change answers with the endpoint as it now is and the audit event recording it.
  const changed = async (name: string) => {
    runtime.invalidate(name);
    const [endpoint, [event]] = await Promise.all([metadata.getEndpoint(name), metadata.listEndpointEvents(name, 1)]);
    return { endpoint, event };
  };
  app.post<{
    Params: { name: string };
    Body: {
      model: string;
      strategy?: string;
      percent?: number;
      stickyKey?: string;
      rollout?: RolloutPlanInput;
    } & ChangeBody;
  }>(
    '/api/v1/endpoints/:name/deployments',
    {
      schema: {
        tags: ['endpoints'],
        summary: 'Deploy a model version onto an endpoint with a strategy, optionally as a progressive rollout',
        params: Type.Object({ name: Name }),
        body: Deployment,
        response: { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { model, strategy, percent, stickyKey, rollout, reason, actor } = request.body;
      const version = await registry.resolve(model);
      await deploy(
        metadata,
        request.params.name,
        {
          model: { name: version.name, version: version.version },
          strategy: strategy === undefined ? undefined : strategyOf(strategy).name,
          percent,
          stickyKey,
          rollout: rollout ? rolloutPlan(rollout) : undefined,
        },
        { actor: actor ?? 'api', reason: reason ?? '' },
      );
      return reply.status(201).send(await changed(request.params.name));
    },
  );
  for (const [action, change] of [
    ['promote', promote],
    ['rollback', rollback],
  ] as const) {
    app.post<{ Params: { name: string }; Body: ChangeBody }>(
      `/api/v1/endpoints/:name/${action}`,
      {
        schema: {
          tags: ['endpoints'],
          summary:
            action === 'promote'
              ? "Promote the endpoint's candidate: approve a rollout's next step, or give the candidate all traffic"
              : 'Roll back in one step: withdraw the candidate or rollout, switch to the blue-green standby, or return to the version served before',
          description: 'Optional body: {"reason": "why, for the audit trail", "actor": "who; default api"}',
          params: Type.Object({ name: Name }),
          response: { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
        },
      },
      async (request) => {
        await change(metadata, request.params.name, changeOf(request.body));
        return changed(request.params.name);
      },
    );
  }
  app.get<{ Params: { name: string }; Querystring: { since?: string } }>(
    '/api/v1/endpoints/:name/monitoring',
    {
      schema: {
        tags: ['monitoring'],
        summary:
          'Traffic, errors and latency of an endpoint, with input and output drift, live quality and alerts, over the window and as time series',
        params: Type.Object({ name: Name }),
        querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })) }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) =>
      endpointMonitoring(metadata, referenceOf, request.params.name, {
        since: request.query.since,
        ...(deps.drift ? { drift: deps.drift } : {}),
      }),
  );
}
