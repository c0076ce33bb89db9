import type { FastifyInstance } from 'fastify';
import { PrometheusExporter } from '../../monitoring/index.js';
import type { ServerDeps } from '../deps.js';

/**
 * `GET /metrics`: Prometheus' text format. The numbers come from the metadata store's totals,
 * summed over every process writing to it (each worker of `keel server --workers N` flushes
 * there), so whichever worker answers a scrape, the counters are the same and only grow. This
 * process flushes its own buffer first, so its latest requests are included.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const exporter = new PrometheusExporter({ store: deps.metadata, recorder: deps.runtime.metrics ?? undefined });
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['monitoring'],
        summary:
          'Prometheus metrics: requests, errors, latency histograms per endpoint × model version × variant, process metrics',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const text = await exporter.metrics();
      return reply.type(exporter.contentType).send(text);
    },
  );
}
