import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound } from '../../core/index.js';
import { endpointTimeSeries, MINUTE_MS } from '../../monitoring/index.js';
import type { ServerDeps } from '../deps.js';
import { ErrorSchema, Limit, Name } from './schemas.js';

const HOUR_MS = 3_600_000;
const DURATION = /^([0-9]+)(m|h|d)$/;
const UNIT_MS: Record<string, number> = { m: MINUTE_MS, h: HOUR_MS, d: 24 * HOUR_MS };

interface SeriesQuery {
  since?: string;
  until?: string;
  bucket?: string;
}

/** The dashboard's monitoring API: an endpoint's software-metric time series, and alert states. */
export function registerMonitoringRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata } = deps;
  app.get<{ Params: { name: string }; Querystring: SeriesQuery }>(
    '/api/v1/endpoints/:name/metrics',
    {
      schema: {
        tags: ['monitoring'],
        summary:
          'Software metrics of an endpoint per time bucket: requests, errors, rps, latency p50/p95/p99, bytes, overall and per variant',
        description:
          '`since` and `until` are ISO-8601 times (default: the last hour); `bucket` is a width such as 1m, 5m, 1h (default: chosen for ≤ 360 buckets).',
        params: Type.Object({ name: Name }),
        querystring: Type.Object({
          since: Type.Optional(Type.String({ description: 'ISO-8601; default one hour before `until`' })),
          until: Type.Optional(Type.String({ description: 'ISO-8601; default now' })),
          bucket: Type.Optional(Type.String({ description: 'bucket width: 1m, 5m, 15m, 1h, 1d …' })),
        }),
        response: { 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      const until = request.query.until === undefined ? Date.now() : timeParam(request.query.until, 'until');
      const since = request.query.since === undefined ? until - HOUR_MS : timeParam(request.query.since, 'since');
      if (since >= until) throw invalidArgument('since must be before until', { field: 'since' });
      const bucketMs = request.query.bucket === undefined ? undefined : bucketParam(request.query.bucket);
      if (!(await metadata.getEndpoint(name))) throw notFound(`no endpoint named "${name}"`, { field: 'name' });
      return endpointTimeSeries(metadata, { endpoint: name, since, until, ...(bucketMs ? { bucketMs } : {}) });
    },
  );
  app.get<{ Querystring: { endpoint?: string; limit: number } }>(
    '/api/v1/alerts',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Current alert states (per rule and endpoint) and the most recent transitions, newest first',
        querystring: Type.Object({ endpoint: Type.Optional(Name), limit: Limit }),
        response: { 400: ErrorSchema },
      },
    },
    async (request) => {
      const { endpoint, limit } = request.query;
      const filter = endpoint === undefined ? {} : { endpoint };
      const [alerts, transitions] = await Promise.all([
        metadata.listAlertStates(filter),
        metadata.listAlertTransitions({ ...filter, limit }),
      ]);
      return { alerts, transitions };
    },
  );
}

function timeParam(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw invalidArgument(`querystring.${field}: "${value}" is not an ISO-8601 time such as 2026-01-01T12:00:00Z`, {
      field: `querystring.${field}`,
    });
  }
  return ms;
}

function bucketParam(value: string): number {
  const match = DURATION.exec(value);
  if (!match || Number(match[1]) === 0) {
    throw invalidArgument(`querystring.bucket: "${value}" is not a bucket width such as 1m, 5m, 1h or 1d`, {
      field: 'querystring.bucket',
    });
  }
  return Number(match[1]) * UNIT_MS[match[2]];
}
