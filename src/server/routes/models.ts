import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { decodeEvaluationReport, notFound } from '../../core/index.js';
import { EVALUATION_REPORT_PATH } from '../../registry/index.js';
import { ErrorSchema, Name } from './schemas.js';
import type { ServerDeps } from '../deps.js';

/** The registry: models, versions, model cards, lineage. */
export function registerModelRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata, registry, artifacts } = deps;
  app.get('/api/v1/models', { schema: { tags: ['models'], summary: 'Registered models' } }, async () => ({
    models: await metadata.listRegisteredModels(),
  }));
  app.get<{ Params: { name: string } }>(
    '/api/v1/models/:name',
    {
      schema: {
        tags: ['models'],
        summary: 'A model with its versions and alias history',
        params: Type.Object({ name: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const model = await metadata.getRegisteredModel(request.params.name);
      if (!model) throw notFound(`no model named "${request.params.name}"`, { field: 'name' });
      const [versions, aliasEvents] = await Promise.all([
        metadata.listModelVersions(model.name),
        metadata.listAliasEvents(model.name),
      ]);
      return { model, versions, aliasEvents };
    },
  );
  const VersionRef = Type.String({
    pattern: '^[A-Za-z0-9_-]+$',
    maxLength: 128,
    description: 'a version number or an alias (champion)',
  });
  const versionOf = (name: string, ref: string) => registry.resolve(`${name}@${ref}`);
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: "A model version (by number or alias) with its gate decision and its package's manifest",
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const version = await versionOf(request.params.name, request.params.version);
      const pkg = await registry.readPackage(version);
      // The manifest only: the fitted state, an imported graph and the reference statistics stay in the package.
      const { format, formatVersion, keelVersion: writtenBy, createdAt, algorithm, signature, metrics, lineage } = pkg;
      const manifest = {
        format,
        formatVersion,
        keelVersion: writtenBy,
        createdAt,
        algorithm,
        signature,
        metrics,
        lineage,
      };
      return { version, package: { ...manifest, runtime: pkg.runtime ?? 'keel' } };
    },
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version/lineage',
    {
      schema: {
        tags: ['models'],
        summary: 'Lineage of a model version: dataset versions → run → the version → endpoints',
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => ({
      lineage: await registry.modelLineage(await versionOf(request.params.name, request.params.version)),
    }),
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version/card',
    {
      schema: {
        tags: ['models'],
        summary: "A model version's generated model card, as JSON and Markdown",
        params: Type.Object({ name: Name, version: VersionRef }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const version = await versionOf(request.params.name, request.params.version);
      const stored = await registry.readCard(version);
      if (!stored) {
        throw notFound(
          `${version.name}@${version.version} has no model card yet (keel models card ${version.name}@${version.version} --regenerate makes one)`,
        );
      }
      return stored;
    },
  );
  app.get<{ Params: { name: string; version: number } }>(
    '/api/v1/datasets/:name/versions/:version/lineage',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Lineage of a dataset version: derived versions, runs, model versions and endpoints downstream of it',
        params: Type.Object({ name: Name, version: Type.Integer({ minimum: 1 }) }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const dataset = await metadata.getDatasetVersion(request.params.name, request.params.version);
      if (!dataset)
        throw notFound(`no dataset version ${request.params.name}@${request.params.version}`, { field: 'version' });
      return { lineage: await registry.datasetLineage(dataset) };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/api/v1/runs/:id/evaluation',
    {
      schema: {
        tags: ['runs'],
        summary: "A run's evaluation report: metrics, curves, confusion matrix, slices, largest errors",
        params: Type.Object({ id: Name }),
        response: { 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await metadata.getRun(request.params.id);
      if (!run) throw notFound(`no run with id "${request.params.id}"`, { field: 'id' });
      const entry = run.artifacts.find((a) => a.path === EVALUATION_REPORT_PATH);
      if (!entry) throw notFound(`run ${run.id} has no evaluation report`, { field: 'id' });
      return {
        report: decodeEvaluationReport(await artifacts.get(entry.digest), `evaluation report of run ${run.id}`),
      };
    },
  );
}
