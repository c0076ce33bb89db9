import {
  CompiledQuery,
  Kysely,
  type InsertQueryBuilder,
  type InsertResult,
  type Insertable,
  type RawBuilder,
  type Transaction,
} from 'kysely';
import {
  KeelError,
  newId,
  notFound,
  type AliasEvent,
  type ArtifactEntry,
  type Blessing,
  type DatasetSummary,
  type DatasetVersion,
  type Endpoint,
  type EndpointEvent,
  type FeedbackRecord,
  type LabeledPrediction,
  type MetricPoint,
  type ModelVersion,
  type ParamValue,
  type PipelineRun,
  type PredictionRecord,
  type RegisteredModel,
  type RequestRecord,
  type Run,
  type RunStatus,
  type SchemaVersion,
  type StepRun,
  type TrafficPolicy,
} from '../../core/index.js';
import type {
  AlertState,
  AlertStateUpdate,
  AlertStatus,
  AlertTransition,
  AliasChange,
  MetadataStore,
  MetricCompaction,
  MetricTotal,
  MetricWindow,
  MetricWindowData,
  MetricWindowQuery,
  NewDatasetVersion,
  NewModelVersion,
  NewRun,
  NewSchemaVersion,
  PredictionQuery,
  PutEndpointOptions,
  RecordedRun,
  RunBatch,
  RunPage,
  RunQuery,
  RunSearch,
} from '../metadata-store.js';
import type { DialectCapabilities, DriverErrorKind, SqlBackend } from './dialects.js';
import { migrateToLatest } from './migrations.js';
import {
  metricToColumn,
  paramToRow,
  toAlertState,
  toAlertTransition,
  toMetricTotal,
  toMetricWindow,
  toAliasEvent,
  toDatasetVersion,
  toEndpoint,
  toEndpointEvent,
  toFeedback,
  toMetricPoint,
  toMetricValue,
  toModelVersion,
  toParamValue,
  toPipelineRun,
  toPrediction,
  toRequest,
  toRun,
  toSchemaVersion,
  toStepRun,
} from './row-mappers.js';
import { decodePageToken, encodePageToken, fetchPage, planSearch } from './run-search.js';
import type {
  FeedbackTable,
  KeelDatabase,
  MetricTotalsTable,
  MetricWindowsTable,
  RunLatestMetricsTable,
  RunMetricsTable,
  RunRow,
} from './schema.js';
import { addWindowData, checkWindowData, emptyWindowData } from './window-data.js';

type Db = Kysely<KeelDatabase>;
type InsertInto<T extends keyof KeelDatabase> = InsertQueryBuilder<KeelDatabase, T, InsertResult>;

/**
 * The metadata store on Kysely: one implementation for every SQL backend. What differs between
 * backends arrives as `SqlBackend.capabilities`; nothing here asks which database it is on.
 *
 * Writes that must be all-or-nothing run in one transaction. Numbering (dataset and model
 * versions) increments a counter on the parent row inside that transaction: the update takes
 * the row's lock on PostgreSQL and SQLite admits one writer at a time, so concurrent callers
 * get consecutive numbers; a unique constraint guards the result.
 */
export class SqlMetadataStore implements MetadataStore {
  readonly dialect: SqlBackend['name'];
  readonly #backend: SqlBackend;
  readonly #capabilities: DialectCapabilities;
  readonly #db: Db;

  constructor(backend: SqlBackend) {
    this.dialect = backend.name;
    this.#backend = backend;
    this.#capabilities = backend.capabilities;
    this.#db = new Kysely<KeelDatabase>({ dialect: backend.dialect });
  }

  async migrate(): Promise<void> {
    await migrateToLatest(this.#db, this.#backend);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // Datasets

  async createDatasetVersion(input: NewDatasetVersion): Promise<DatasetVersion> {
    requireName(input.dataset, 'dataset');
    const createdAt = now();
    return this.#transaction(async (trx) => {
      await trx
        .insertInto('datasets')
        .values({ name: input.dataset, latest_version: 0, created_at: createdAt })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const { latest_version: version } = await trx
        .updateTable('datasets')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1) }))
        .where('name', '=', input.dataset)
        .returning('latest_version')
        .executeTakeFirstOrThrow();
      const row = {
        id: newId('dsv'),
        dataset: input.dataset,
        version,
        content_hash: input.contentHash,
        artifact: input.artifact,
        source: JSON.stringify(input.source),
        rows: input.rows,
        columns: JSON.stringify(input.columns),
        schema: JSON.stringify(input.schema),
        profile: JSON.stringify(input.profile),
        created_at: createdAt,
      };
      await trx.insertInto('dataset_versions').values(row).execute();
      return toDatasetVersion(row);
    });
  }

  async findDatasetVersionByHash(dataset: string, contentHash: string): Promise<DatasetVersion | null> {
    const row = await this.#db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .where('content_hash', '=', contentHash)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDatasetVersion(row) : null;
  }

  async getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersion | null> {
    const row = await this.#db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .$if(version !== undefined, (qb) => qb.where('version', '=', version as number))
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDatasetVersion(row) : null;
  }

  async getDatasetVersionById(id: string): Promise<DatasetVersion | null> {
    const row = await this.#db.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDatasetVersion(row) : null;
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    const rows = await this.#db
      .selectFrom('datasets')
      .innerJoin('dataset_versions', (join) =>
        join
          .onRef('dataset_versions.dataset', '=', 'datasets.name')
          .onRef('dataset_versions.version', '=', 'datasets.latest_version'),
      )
      .selectAll('dataset_versions')
      .orderBy('datasets.name')
      .execute();
    // Versions are numbered 1…latest without gaps, so the latest number is also the count.
    return rows.map((row) => ({ name: row.dataset, versions: row.version, latest: toDatasetVersion(row) }));
  }

  async listDatasetVersions(dataset: string): Promise<DatasetVersion[]> {
    const rows = await this.#db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toDatasetVersion);
  }

  async createSchemaVersion(input: NewSchemaVersion): Promise<SchemaVersion> {
    requireName(input.dataset, 'dataset');
    if (input.source !== 'inferred' && input.source !== 'edited') {
      throw new KeelError('invalid_argument', `source must be "inferred" or "edited", not "${String(input.source)}".`, {
        field: 'source',
      });
    }
    if (!Array.isArray(input.schema?.columns)) {
      throw new KeelError('invalid_argument', 'schema must have a list of columns.', { field: 'schema.columns' });
    }
    const basedOn = input.basedOn ?? null;
    if (basedOn !== null && !(Number.isSafeInteger(basedOn) && basedOn >= 1)) {
      throw new KeelError('invalid_argument', `basedOn must be a dataset version number, not ${String(basedOn)}.`, {
        field: 'basedOn',
      });
    }
    return this.#transaction(async (trx) => {
      const counter = await trx
        .updateTable('datasets')
        .set((eb) => ({ latest_schema_version: eb('latest_schema_version', '+', 1) }))
        .where('name', '=', input.dataset)
        .returning('latest_schema_version')
        .executeTakeFirst();
      if (!counter) throw notFound(`Dataset "${input.dataset}" does not exist.`, { field: 'dataset' });
      if (basedOn !== null) {
        const based = await trx
          .selectFrom('dataset_versions')
          .select('version')
          .where('dataset', '=', input.dataset)
          .where('version', '=', basedOn)
          .executeTakeFirst();
        if (!based) throw notFound(`Dataset "${input.dataset}" has no version ${basedOn}.`, { field: 'basedOn' });
      }
      const row = {
        dataset: input.dataset,
        version: counter.latest_schema_version,
        schema: JSON.stringify(input.schema),
        source: input.source,
        based_on: basedOn,
        note: input.note ?? '',
        created_at: now(),
      };
      await trx.insertInto('schema_versions').values(row).execute();
      return toSchemaVersion(row);
    });
  }

  async getSchemaVersion(dataset: string, version?: number): Promise<SchemaVersion | null> {
    const row = await this.#db
      .selectFrom('schema_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .$if(version !== undefined, (qb) => qb.where('version', '=', version as number))
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toSchemaVersion(row) : null;
  }

  async listSchemaVersions(dataset: string): Promise<SchemaVersion[]> {
    const rows = await this.#db
      .selectFrom('schema_versions')
      .selectAll()
      .where('dataset', '=', dataset)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toSchemaVersion);
  }

  // -------------------------------------------------------------------------------------------
  // Runs

  async createRun(input: NewRun): Promise<Run> {
    const [id] = await this.#createRuns([input], () => '');
    return this.#requireRun(id);
  }

  createRuns(inputs: readonly RecordedRun[]): Promise<string[]> {
    return this.#createRuns(inputs, (i) => `runs[${i}].`);
  }

  /** Validates and inserts whole runs in one transaction, with multi-row inserts; `field` prefixes error fields. */
  async #createRuns(inputs: readonly RecordedRun[], field: (i: number) => string): Promise<string[]> {
    const createdAt = now();
    const runs = inputs.map((input, i) => {
      const id = newId('run');
      const at = field(i);
      requireName(input.experiment, `${at}experiment`);
      if (typeof input.name !== 'string') {
        throw new KeelError('invalid_argument', 'A run name must be text.', { field: `${at}name` });
      }
      const params = Object.entries(input.params ?? {});
      params.forEach(([key, value]) => checkParam(key, value, at));
      const status = checkStatus(input.status ?? 'running', `${at}status`);
      const startedAt = input.startedAt === undefined ? createdAt : toTimestamp(input.startedAt, `${at}startedAt`);
      const endedAt =
        input.endedAt !== undefined && input.endedAt !== null
          ? toTimestamp(input.endedAt, `${at}endedAt`)
          : status === 'running'
            ? null
            : createdAt;
      const row = {
        id,
        experiment: input.experiment,
        name: input.name,
        status,
        parent_run_id: input.parentRunId ?? null,
        pipeline_run_id: input.pipelineRunId ?? null,
        started_at: startedAt,
        ended_at: endedAt,
        note: checkNote(input.note ?? '', at),
        config_hash: checkSource(input.source?.configHash, `${at}source.configHash`),
        git_commit: checkSource(input.source?.gitCommit, `${at}source.gitCommit`),
      };
      const points = metricRows(id, input.metrics ?? [], startedAt, at);
      return {
        row,
        params: params.map(([key, value]) => paramToRow(id, key, value)),
        tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({ run_id: id, key, value })),
        datasets: [...new Set(input.datasetVersionIds ?? [])].map((dataset, position) => ({
          run_id: id,
          dataset_version_id: dataset,
          position,
        })),
        points,
        latest: latestPoints(points),
      };
    });
    await this.#transaction(async (trx) => {
      await this.#requireRows(
        trx,
        'runs',
        runs.flatMap((r, i) => (r.row.parent_run_id === null ? [] : [[r.row.parent_run_id, `${field(i)}parentRunId`]])),
        'Run',
      );
      await this.#requireRows(
        trx,
        'pipeline_runs',
        runs.flatMap((r, i) =>
          r.row.pipeline_run_id === null ? [] : [[r.row.pipeline_run_id, `${field(i)}pipelineRunId`]],
        ),
        'Pipeline run',
      );
      await this.#requireRows(
        trx,
        'dataset_versions',
        runs.flatMap((r, i) =>
          r.datasets.map((d, j): [string, string] => [d.dataset_version_id, `${field(i)}datasetVersionIds[${j}]`]),
        ),
        'Dataset version',
      );
      await this.#insertInChunks(
        trx,
        'runs',
        runs.map((r) => r.row),
      );
      await this.#insertInChunks(
        trx,
        'run_params',
        runs.flatMap((r) => r.params),
      );
      await this.#insertInChunks(
        trx,
        'run_tags',
        runs.flatMap((r) => r.tags),
      );
      await this.#insertInChunks(
        trx,
        'run_datasets',
        runs.flatMap((r) => r.datasets),
      );
      await this.#insertInChunks(
        trx,
        'run_metrics',
        runs.flatMap((r) => r.points),
      );
      await this.#insertInChunks(
        trx,
        'run_latest_metrics',
        runs.flatMap((r) => r.latest),
      );
    });
    return runs.map((r) => r.row.id);
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    // Rows go in key order: two concurrent batches then lock shared keys in the same order
    // and cannot deadlock on PostgreSQL.
    const params = Object.entries(batch.params ?? {}).sort(byKey);
    const tags = Object.entries(batch.tags ?? {}).sort(byKey);
    params.forEach(([key, value]) => checkParam(key, value));
    const note = batch.note === undefined ? undefined : checkNote(batch.note);
    const points = metricRows(runId, batch.metrics ?? [], now(), '');
    const latest = latestPoints(points);

    await this.#transaction(async (trx) => {
      await requireRow(trx, 'runs', runId, 'runId', 'Run');

      // Insert first, then compare: under concurrency the row that won is the one to compare to.
      const paramRows = params.map(([key, value]) => paramToRow(runId, key, value));
      await this.#insertInChunks(trx, 'run_params', paramRows, (qb) =>
        qb.onConflict((oc) => oc.columns(['run_id', 'key']).doNothing()),
      );
      const wanted = new Map(paramRows.map((row) => [row.key, row]));
      for (const keys of chunk([...wanted.keys()], this.#maxInList)) {
        const stored = await trx
          .selectFrom('run_params')
          .select(['key', 'value', 'type'])
          .where('run_id', '=', runId)
          .where('key', 'in', keys)
          .execute();
        for (const existing of stored) {
          // Compared in stored form, so NaN equals NaN and a param's text is what counts.
          const logged = wanted.get(existing.key)!; // `stored` only holds keys of `wanted`
          if (existing.value !== logged.value || existing.type !== logged.type) {
            throw new KeelError(
              'already_exists',
              `Param "${existing.key}" of run ${runId} is already ${JSON.stringify(toParamValue(existing))}; ` +
                `params cannot change (log ${JSON.stringify(toParamValue(logged))} in a new run).`,
              { field: `params.${existing.key}` },
            );
          }
        }
      }

      await this.#insertInChunks(trx, 'run_metrics', points);
      await this.#insertInChunks(trx, 'run_latest_metrics', latest, (qb) =>
        qb.onConflict((oc) =>
          oc.columns(['run_id', 'key']).doUpdateSet((eb) => {
            // The stored point stays unless the new one has a step at least as high; the count always grows.
            const newer = eb('excluded.step', '>=', eb.ref('run_latest_metrics.step'));
            return {
              value: eb
                .case()
                .when(newer)
                .then(eb.ref('excluded.value'))
                .else(eb.ref('run_latest_metrics.value'))
                .end(),
              step: eb.case().when(newer).then(eb.ref('excluded.step')).else(eb.ref('run_latest_metrics.step')).end(),
              timestamp: eb
                .case()
                .when(newer)
                .then(eb.ref('excluded.timestamp'))
                .else(eb.ref('run_latest_metrics.timestamp'))
                .end(),
              points: eb('run_latest_metrics.points', '+', eb.ref('excluded.points')),
            };
          }),
        ),
      );

      await this.#insertInChunks(
        trx,
        'run_tags',
        tags.map(([key, value]) => ({ run_id: runId, key, value })),
        (qb) =>
          qb.onConflict((oc) =>
            oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
          ),
      );

      if (note !== undefined) await trx.updateTable('runs').set({ note }).where('id', '=', runId).execute();
    });
  }

  async logArtifact(runId: string, artifact: ArtifactEntry): Promise<void> {
    await this.#transaction(async (trx) => {
      await requireRow(trx, 'runs', runId, 'runId', 'Run');
      await trx
        .insertInto('run_artifacts')
        .values({ run_id: runId, path: artifact.path, digest: artifact.digest, size: artifact.size })
        .onConflict((oc) =>
          oc.columns(['run_id', 'path']).doUpdateSet((eb) => ({
            digest: eb.ref('excluded.digest'),
            size: eb.ref('excluded.size'),
          })),
        )
        .execute();
    });
  }

  async endRun(runId: string, status: Exclude<RunStatus, 'running'>): Promise<Run> {
    if (status !== 'finished' && status !== 'failed') {
      throw new KeelError('invalid_argument', `A run ends "finished" or "failed", not "${String(status)}".`, {
        field: 'status',
      });
    }
    const updated = await this.#transaction((trx) =>
      trx.updateTable('runs').set({ status, ended_at: now() }).where('id', '=', runId).executeTakeFirst(),
    );
    if (updated.numUpdatedRows === 0n) throw notFound(`Run ${runId} does not exist.`, { field: 'runId' });
    return this.#requireRun(runId);
  }

  async getRun(runId: string): Promise<Run | null> {
    const row = await this.#db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
    return row ? (await this.#assembleRuns([row]))[0] : null;
  }

  async listRuns(query: RunQuery = {}): Promise<Run[]> {
    const limit = query.limit === undefined ? null : checkLimit(query.limit);
    const { rows } = await fetchPage(planSearch(query), { phase: 0, offset: 0 }, limit, this.#selectRuns);
    return this.#assembleRuns(rows);
  }

  async searchRuns(query: RunSearch = {}): Promise<RunPage> {
    const limit = query.limit === undefined ? DEFAULT_RUN_PAGE : checkLimit(query.limit);
    const plan = planSearch(query);
    const { rows, next } = await fetchPage(plan, decodePageToken(query.pageToken), limit, this.#selectRuns);
    return { runs: await this.#assembleRuns(rows), nextPageToken: next === null ? null : encodePageToken(next) };
  }

  readonly #selectRuns = async (statement: RawBuilder<RunRow>): Promise<RunRow[]> =>
    (await statement.execute(this.#db)).rows;

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const rows = await this.#db
      .selectFrom('run_metrics')
      .selectAll()
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .orderBy('step')
      .orderBy('timestamp')
      .execute();
    return rows.map(toMetricPoint);
  }

  async #requireRun(runId: string): Promise<Run> {
    const run = await this.getRun(runId);
    if (!run) throw notFound(`Run ${runId} does not exist.`, { field: 'runId' });
    return run;
  }

  /** Loads the params, latest metrics, tags, inputs and artifacts of many runs in a few queries. */
  async #assembleRuns(rows: readonly RunRow[]): Promise<Run[]> {
    const parts = new Map(
      rows.map((row) => [
        row.id,
        {
          params: {} as Record<string, ParamValue>,
          metrics: {} as Record<string, number>,
          metricPoints: {} as Record<string, number>,
          tags: {} as Record<string, string>,
          datasetVersionIds: [] as string[],
          artifacts: [] as ArtifactEntry[],
        },
      ]),
    );
    const partsOf = (runId: string) => parts.get(runId)!; // every row below belongs to one of `rows`
    const runIds = rows.map((row) => row.id);
    for (const ids of chunk(runIds, this.#maxInList)) {
      const [params, metrics, tags, datasets, artifacts] = await Promise.all([
        this.#db.selectFrom('run_params').selectAll().where('run_id', 'in', ids).orderBy('key').execute(),
        this.#db.selectFrom('run_latest_metrics').selectAll().where('run_id', 'in', ids).orderBy('key').execute(),
        this.#db.selectFrom('run_tags').selectAll().where('run_id', 'in', ids).orderBy('key').execute(),
        this.#db.selectFrom('run_datasets').selectAll().where('run_id', 'in', ids).orderBy('position').execute(),
        this.#db.selectFrom('run_artifacts').selectAll().where('run_id', 'in', ids).orderBy('path').execute(),
      ]);
      for (const p of params) partsOf(p.run_id).params[p.key] = toParamValue(p);
      for (const m of metrics) {
        partsOf(m.run_id).metrics[m.key] = toMetricValue(m.value);
        partsOf(m.run_id).metricPoints[m.key] = m.points;
      }
      for (const t of tags) partsOf(t.run_id).tags[t.key] = t.value;
      for (const d of datasets) partsOf(d.run_id).datasetVersionIds.push(d.dataset_version_id);
      for (const a of artifacts) partsOf(a.run_id).artifacts.push({ path: a.path, digest: a.digest, size: a.size });
    }
    return rows.map((row) => toRun(row, partsOf(row.id)));
  }

  // -------------------------------------------------------------------------------------------
  // Registry

  async createModelVersion(input: NewModelVersion): Promise<ModelVersion> {
    requireName(input.name, 'name');
    const createdAt = now();
    return this.#transaction(async (trx) => {
      if (input.runId !== null) await requireRow(trx, 'runs', input.runId, 'runId', 'Run');
      if (input.datasetVersionId !== null) {
        await requireRow(trx, 'dataset_versions', input.datasetVersionId, 'datasetVersionId', 'Dataset version');
      }
      await trx
        .insertInto('registered_models')
        .values({ name: input.name, description: input.description ?? '', latest_version: 0, created_at: createdAt })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const { latest_version: version } = await trx
        .updateTable('registered_models')
        .set((eb) => ({
          latest_version: eb('latest_version', '+', 1),
          ...(input.description !== undefined ? { description: input.description } : {}),
        }))
        .where('name', '=', input.name)
        .returning('latest_version')
        .executeTakeFirstOrThrow();
      const row = {
        model: input.name,
        version,
        run_id: input.runId,
        dataset_version_id: input.datasetVersionId,
        artifact: input.artifact,
        algorithm: input.algorithm,
        signature: JSON.stringify(input.signature),
        metrics: JSON.stringify(input.metrics),
        tags: JSON.stringify(input.tags),
        created_at: createdAt,
        blessing: null,
      };
      await trx.insertInto('model_versions').values(row).execute();
      return toModelVersion(row);
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion | null> {
    const row = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .where('model', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toModelVersion(row) : null;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    const row = await this.#db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return null;
    const aliases = await this.#db.selectFrom('model_aliases').selectAll().where('model', '=', name).execute();
    return toRegisteredModel(row, aliases);
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const [rows, aliases] = await Promise.all([
      this.#db.selectFrom('registered_models').selectAll().orderBy('name').execute(),
      this.#db.selectFrom('model_aliases').selectAll().execute(),
    ]);
    return rows.map((row) =>
      toRegisteredModel(
        row,
        aliases.filter((alias) => alias.model === row.name),
      ),
    );
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    const rows = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .where('model', '=', name)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toModelVersion);
  }

  async setAlias(name: string, alias: string, version: number | null, change: AliasChange): Promise<AliasEvent> {
    requireName(alias, 'alias');
    return this.#transaction(async (trx) => {
      // Lock the model so concurrent moves of its aliases queue up and each event records
      // the version its move really replaced.
      const model = await trx
        .selectFrom('registered_models')
        .select('name')
        .where('name', '=', name)
        .$if(this.#capabilities.supportsRowLocks, (qb) => qb.forUpdate())
        .executeTakeFirst();
      if (!model) throw notFound(`Model "${name}" does not exist.`, { field: 'name' });
      if (version !== null) {
        const target = await trx
          .selectFrom('model_versions')
          .select('version')
          .where('model', '=', name)
          .where('version', '=', version)
          .executeTakeFirst();
        if (!target) throw notFound(`Model "${name}" has no version ${version}.`, { field: 'version' });
      }
      const current = await trx
        .selectFrom('model_aliases')
        .select('version')
        .where('model', '=', name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (version === null) {
        await trx.deleteFrom('model_aliases').where('model', '=', name).where('alias', '=', alias).execute();
      } else {
        await trx
          .insertInto('model_aliases')
          .values({ model: name, alias, version })
          .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version }))
          .execute();
      }
      const event = {
        model: name,
        alias,
        from_version: current?.version ?? null,
        to_version: version,
        actor: change.actor,
        reason: change.reason,
        at: now(),
        override: change.override ? 1 : 0,
      };
      await trx.insertInto('alias_events').values(event).execute();
      return toAliasEvent(event);
    });
  }

  async getAlias(name: string, alias: string): Promise<number | null> {
    const row = await this.#db
      .selectFrom('model_aliases')
      .select('version')
      .where('model', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return row?.version ?? null;
  }

  async setModelVersionTags(
    name: string,
    version: number,
    tags: Readonly<Record<string, string>>,
  ): Promise<ModelVersion> {
    return this.#updateModelVersion(name, version, (current) => ({ tags: { ...current.tags, ...tags } }));
  }

  async removeModelVersionTags(name: string, version: number, keys: readonly string[]): Promise<ModelVersion> {
    return this.#updateModelVersion(name, version, (current) => ({
      tags: Object.fromEntries(Object.entries(current.tags).filter(([key]) => !keys.includes(key))),
    }));
  }

  async setModelVersionBlessing(name: string, version: number, blessing: Blessing): Promise<ModelVersion> {
    return this.#updateModelVersion(name, version, (current) => ({
      tags: { ...current.tags, 'gate.passed': String(blessing.passed), 'gate.reasons': blessing.reasons.join('; ') },
      blessing,
    }));
  }

  /** Read-modify-write of a version's tags and blessing, the row locked so concurrent changes do not drop each other's. */
  async #updateModelVersion(
    name: string,
    version: number,
    change: (current: ModelVersion) => { tags: Readonly<Record<string, string>>; blessing?: Blessing },
  ): Promise<ModelVersion> {
    return this.#transaction(async (trx) => {
      const row = await trx
        .selectFrom('model_versions')
        .selectAll()
        .where('model', '=', name)
        .where('version', '=', version)
        .$if(this.#capabilities.supportsRowLocks, (qb) => qb.forUpdate())
        .executeTakeFirst();
      if (!row) throw notFound(`Model "${name}" has no version ${version}.`, { field: 'version' });
      const next = change(toModelVersion(row));
      const updated = {
        ...row,
        tags: JSON.stringify(next.tags),
        blessing: next.blessing !== undefined ? JSON.stringify(next.blessing) : row.blessing,
      };
      await trx
        .updateTable('model_versions')
        .set({ tags: updated.tags, blessing: updated.blessing })
        .where('model', '=', name)
        .where('version', '=', version)
        .execute();
      return toModelVersion(updated);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Lineage

  async listRunsByDatasetVersion(datasetVersionId: string): Promise<Run[]> {
    const rows = await this.#db
      .selectFrom('runs')
      .innerJoin('run_datasets', 'run_datasets.run_id', 'runs.id')
      .selectAll('runs')
      .where('run_datasets.dataset_version_id', '=', datasetVersionId)
      .orderBy('runs.seq', 'desc')
      .execute();
    return this.#assembleRuns(rows);
  }

  async listModelVersionsByLineage(query: {
    readonly datasetVersionId?: string;
    readonly runId?: string;
  }): Promise<ModelVersion[]> {
    if (query.datasetVersionId === undefined && query.runId === undefined) return [];
    const rows = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .$if(query.datasetVersionId !== undefined, (qb) =>
        qb.where('dataset_version_id', '=', query.datasetVersionId as string),
      )
      .$if(query.runId !== undefined, (qb) => qb.where('run_id', '=', query.runId as string))
      .orderBy('model')
      .orderBy('version')
      .execute();
    return rows.map(toModelVersion);
  }

  async listAliasEvents(name: string): Promise<AliasEvent[]> {
    const rows = await this.#db
      .selectFrom('alias_events')
      .selectAll()
      .where('model', '=', name)
      .orderBy('seq', 'desc')
      .execute();
    return rows.map(toAliasEvent);
  }

  // -------------------------------------------------------------------------------------------
  // Endpoints

  async putEndpoint(
    name: string,
    policy: TrafficPolicy,
    event: { kind: string; actor: string; reason: string },
    options: PutEndpointOptions = {},
  ): Promise<Endpoint> {
    requireName(name, 'name');
    const expected = options.expectedRevision;
    if (expected !== undefined && (!Number.isInteger(expected) || expected < 0)) {
      throw new KeelError('invalid_argument', `expectedRevision must be a whole number ≥ 0, got ${expected}`, {
        field: 'expectedRevision',
      });
    }
    const at = now();
    const policyJson = JSON.stringify(policy);
    return this.#transaction(async (trx) => {
      const insert = trx.insertInto('endpoints').values({ name, policy: policyJson, created_at: at, updated_at: at });
      // Compare-and-set: the update names the revision it read, so of two writers that read the
      // same revision only the first changes a row (the row lock on PostgreSQL, the single
      // writer on SQLite); the other finds none and gets a conflict.
      const row =
        expected === undefined
          ? await insert
              .onConflict((oc) =>
                oc.column('name').doUpdateSet((eb) => ({
                  policy: policyJson,
                  updated_at: at,
                  revision: eb(eb.ref('endpoints.revision'), '+', 1),
                })),
              )
              .returningAll()
              .executeTakeFirstOrThrow()
          : expected === 0
            ? await insert
                .onConflict((oc) => oc.column('name').doNothing())
                .returningAll()
                .executeTakeFirst()
            : await trx
                .updateTable('endpoints')
                .set((eb) => ({ policy: policyJson, updated_at: at, revision: eb('revision', '+', 1) }))
                .where('name', '=', name)
                .where('revision', '=', expected)
                .returningAll()
                .executeTakeFirst();
      if (!row) {
        const current = await trx
          .selectFrom('endpoints')
          .select('revision')
          .where('name', '=', name)
          .executeTakeFirst();
        throw new KeelError(
          'conflict',
          current
            ? `endpoint "${name}" changed meanwhile (revision ${current.revision}, expected ${expected}); read it again and retry`
            : `endpoint "${name}" does not exist (expected revision ${expected})`,
          { field: 'revision', revision: current ? Number(current.revision) : null },
        );
      }
      await trx
        .insertInto('endpoint_events')
        .values({ endpoint: name, kind: event.kind, actor: event.actor, reason: event.reason, policy: policyJson, at })
        .execute();
      return toEndpoint(row);
    });
  }

  async getEndpoint(name: string): Promise<Endpoint | null> {
    const row = await this.#db.selectFrom('endpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toEndpoint(row) : null;
  }

  async listEndpoints(): Promise<Endpoint[]> {
    const rows = await this.#db.selectFrom('endpoints').selectAll().orderBy('name').execute();
    return rows.map(toEndpoint);
  }

  async listEndpointEvents(name: string, limit?: number): Promise<EndpointEvent[]> {
    const rows = await this.#db
      .selectFrom('endpoint_events')
      .selectAll()
      .where('endpoint', '=', name)
      .orderBy('seq', 'desc')
      .$if(limit !== undefined, (qb) => qb.limit(checkLimit(limit)))
      .execute();
    return rows.map(toEndpointEvent);
  }

  // -------------------------------------------------------------------------------------------
  // Pipelines

  async createPipelineRun(project: string): Promise<PipelineRun> {
    const row = {
      id: newId('pipe'),
      project,
      status: 'running' as const,
      started_at: now(),
      ended_at: null,
      error: null,
    };
    await this.#transaction((trx) => trx.insertInto('pipeline_runs').values(row).execute());
    return toPipelineRun(row);
  }

  async finishPipelineRun(id: string, status: 'succeeded' | 'failed', error?: string): Promise<PipelineRun> {
    const row = await this.#transaction((trx) =>
      trx
        .updateTable('pipeline_runs')
        .set({ status, ended_at: now(), error: error ?? null })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
    );
    if (!row) throw notFound(`Pipeline run ${id} does not exist.`, { field: 'id' });
    return toPipelineRun(row);
  }

  async getPipelineRun(id: string): Promise<PipelineRun | null> {
    const row = await this.#db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPipelineRun(row) : null;
  }

  async listPipelineRuns(limit?: number): Promise<PipelineRun[]> {
    const rows = await this.#db
      .selectFrom('pipeline_runs')
      .selectAll()
      .orderBy('seq', 'desc')
      .$if(limit !== undefined, (qb) => qb.limit(checkLimit(limit)))
      .execute();
    return rows.map(toPipelineRun);
  }

  async putStepRun(step: StepRun): Promise<void> {
    requireName(step.step, 'step');
    const row = {
      pipeline_run_id: step.pipelineRunId,
      step: step.step,
      input_hash: step.inputHash,
      status: step.status,
      outputs: JSON.stringify(step.outputs ?? null),
      started_at: toTimestamp(step.startedAt, 'startedAt'),
      ended_at: step.endedAt === null ? null : toTimestamp(step.endedAt, 'endedAt'),
      error: step.error,
    };
    try {
      await this.#transaction((trx) =>
        trx
          .insertInto('step_runs')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['pipeline_run_id', 'step']).doUpdateSet({
              input_hash: row.input_hash,
              status: row.status,
              outputs: row.outputs,
              started_at: row.started_at,
              ended_at: row.ended_at,
              error: row.error,
            }),
          )
          .execute(),
      );
    } catch (error) {
      if (this.#errorKind(error) === 'foreign_key_violation') {
        throw notFound(`Pipeline run ${step.pipelineRunId} does not exist.`, { field: 'pipelineRunId' });
      }
      throw error;
    }
  }

  async listStepRuns(pipelineRunId: string): Promise<StepRun[]> {
    const rows = await this.#db
      .selectFrom('step_runs')
      .selectAll()
      .where('pipeline_run_id', '=', pipelineRunId)
      .orderBy('started_at')
      .orderBy('step')
      .execute();
    return rows.map(toStepRun);
  }

  async findCachedStep(step: string, inputHash: string): Promise<StepRun | null> {
    const row = await this.#db
      .selectFrom('step_runs')
      .selectAll()
      .where('step', '=', step)
      .where('input_hash', '=', inputHash)
      .where('status', '=', 'succeeded')
      .orderBy('started_at', 'desc')
      .orderBy('pipeline_run_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toStepRun(row) : null;
  }

  // -------------------------------------------------------------------------------------------
  // Prediction and request logs

  async appendPredictions(records: readonly PredictionRecord[]): Promise<void> {
    const rows = records.map((record, i) => ({
      id: record.id,
      endpoint: record.endpoint,
      model: record.model,
      version: record.version,
      variant: record.variant,
      inputs: JSON.stringify(record.inputs),
      output: JSON.stringify(record.output),
      latency_ms: record.latencyMs,
      at: toTimestamp(record.at, `[${i}].at`),
    }));
    try {
      await this.#transaction((trx) => this.#insertInChunks(trx, 'predictions', rows));
    } catch (error) {
      if (this.#errorKind(error) === 'unique_violation') {
        throw new KeelError(
          'already_exists',
          'A prediction with one of these ids is already logged; nothing was written.',
          {
            field: 'id',
          },
        );
      }
      throw error;
    }
  }

  async appendRequests(records: readonly RequestRecord[]): Promise<void> {
    const rows = records.map((record, i) => ({
      endpoint: record.endpoint,
      status: record.status,
      rows: record.rows,
      latency_ms: record.latencyMs,
      error_code: record.errorCode,
      at: toTimestamp(record.at, `[${i}].at`),
      model: record.model ?? null,
      version: record.version ?? null,
      variant: record.variant ?? null,
    }));
    await this.#transaction((trx) => this.#insertInChunks(trx, 'requests', rows));
  }

  async listPredictions(query: PredictionQuery): Promise<PredictionRecord[]> {
    const rows = await this.#db
      .selectFrom('predictions')
      .selectAll()
      .where('endpoint', '=', query.endpoint)
      .$if(query.variant !== undefined, (qb) => qb.where('variant', '=', query.variant as string))
      .$if(query.since !== undefined, (qb) => qb.where('at', '>=', toTimestamp(query.since as string, 'since')))
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .$if(query.limit !== undefined, (qb) => qb.limit(checkLimit(query.limit)))
      .execute();
    return rows.map(toPrediction);
  }

  async getPrediction(id: string): Promise<PredictionRecord | null> {
    const row = await this.#db.selectFrom('predictions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPrediction(row) : null;
  }

  async listRequests(query: PredictionQuery): Promise<RequestRecord[]> {
    const rows = await this.#db
      .selectFrom('requests')
      .selectAll()
      .where('endpoint', '=', query.endpoint)
      .$if(query.variant !== undefined, (qb) => qb.where('variant', '=', query.variant as string))
      .$if(query.since !== undefined, (qb) => qb.where('at', '>=', toTimestamp(query.since as string, 'since')))
      .orderBy('at')
      .orderBy('seq')
      .$if(query.limit !== undefined, (qb) => qb.limit(checkLimit(query.limit)))
      .execute();
    return rows.map(toRequest);
  }

  async getPredictions(ids: readonly string[]): Promise<PredictionRecord[]> {
    const found: PredictionRecord[] = [];
    for (const part of chunk([...new Set(ids)], this.#maxInList)) {
      const rows = await this.#db.selectFrom('predictions').selectAll().where('id', 'in', part).execute();
      for (const row of rows) found.push(toPrediction(row));
    }
    return found;
  }

  // -------------------------------------------------------------------------------------------
  // Feedback (ground truth of logged predictions)

  async addFeedback(records: readonly FeedbackRecord[]): Promise<void> {
    // One row per prediction, the last feedback winning: an upsert cannot touch a row twice.
    const byPrediction = new Map(records.map((record, i) => [record.predictionId, feedbackRow(record, i)]));
    const rows = [...byPrediction.values()];
    if (rows.length === 0) return;
    await this.#transaction(async (trx) => {
      const logged = new Set<string>();
      for (const part of chunk([...byPrediction.keys()], this.#maxInList)) {
        const found = await trx.selectFrom('predictions').select(['id', 'endpoint']).where('id', 'in', part).execute();
        for (const row of found) if (row.endpoint === byPrediction.get(row.id)?.endpoint) logged.add(row.id);
      }
      const unknown = rows.filter((row) => !logged.has(row.prediction_id));
      if (unknown.length > 0) {
        const ids = unknown.map((row) => row.prediction_id);
        throw notFound(
          `${unknown.length === 1 ? 'prediction' : `${unknown.length} predictions`} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''} ${unknown.length === 1 ? 'is' : 'are'} not logged for endpoint "${unknown[0].endpoint}"; nothing was written.`,
          { field: 'predictionId', ids },
        );
      }
      await this.#insertInChunks(trx, 'feedback', rows, (insert) =>
        insert.onConflict((oc) =>
          oc.column('prediction_id').doUpdateSet((eb) => ({
            label: eb.ref('excluded.label'),
            value: eb.ref('excluded.value'),
            at: eb.ref('excluded.at'),
          })),
        ),
      );
    });
  }

  async listFeedback(query: PredictionQuery): Promise<LabeledPrediction[]> {
    const rows = await this.#db
      .selectFrom('predictions')
      .innerJoin('feedback', 'feedback.prediction_id', 'predictions.id')
      .selectAll('predictions')
      .select([
        'feedback.endpoint as feedback_endpoint',
        'feedback.label as feedback_label',
        'feedback.value as feedback_value',
        'feedback.at as feedback_at',
      ])
      .where('predictions.endpoint', '=', query.endpoint)
      .$if(query.variant !== undefined, (qb) => qb.where('predictions.variant', '=', query.variant as string))
      .$if(query.since !== undefined, (qb) =>
        qb.where('predictions.at', '>=', toTimestamp(query.since as string, 'since')),
      )
      .orderBy('predictions.at', 'desc')
      .orderBy('predictions.id', 'desc')
      .$if(query.limit !== undefined, (qb) => qb.limit(checkLimit(query.limit)))
      .execute();
    return rows.map((row) => ({
      prediction: toPrediction(row),
      feedback: toFeedback({
        prediction_id: row.id,
        endpoint: row.feedback_endpoint,
        label: row.feedback_label,
        value: row.feedback_value,
        at: row.feedback_at,
      }),
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Monitoring: windowed aggregates and alert states

  async putMetricWindows(windows: readonly MetricWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const updatedAt = now();
    const rows: MetricWindowsTable[] = windows.map((window, i) => ({
      ...seriesRow(window, `[${i}]`),
      bucket_ms: checkBucketMs(window.bucketMs, `[${i}].bucketMs`),
      bucket_start: toTimestamp(window.bucketStart, `[${i}].bucketStart`),
      data: JSON.stringify(checkWindowData(window.data, `[${i}].data`)),
      updated_at: updatedAt,
    }));
    await this.#transaction((trx) =>
      this.#insertInChunks(trx, 'metric_windows', rows, (insert) =>
        insert.onConflict((oc) =>
          oc
            .columns(['endpoint', 'model', 'version', 'variant', 'process_id', 'bucket_ms', 'bucket_start'])
            .doUpdateSet((eb) => ({ data: eb.ref('excluded.data'), updated_at: eb.ref('excluded.updated_at') })),
        ),
      ),
    );
  }

  async listMetricWindows(query: MetricWindowQuery): Promise<MetricWindow[]> {
    const since = toTimestamp(query.since, 'since');
    const until = toTimestamp(query.until, 'until');
    const rows = await this.#db
      .selectFrom('metric_windows')
      .selectAll()
      .where('bucket_start', '>=', since)
      .where('bucket_start', '<', until)
      .$if(query.endpoint !== undefined, (qb) => qb.where('endpoint', '=', query.endpoint as string))
      .$if(query.bucketMs !== undefined, (qb) =>
        qb.where('bucket_ms', '=', checkBucketMs(query.bucketMs as number, 'bucketMs')),
      )
      .$if(query.model !== undefined, (qb) => qb.where('model', '=', query.model as string))
      .$if(query.version !== undefined, (qb) => qb.where('version', '=', query.version as number))
      .$if(query.variant !== undefined, (qb) => qb.where('variant', '=', query.variant as string))
      .orderBy('bucket_start')
      .orderBy('endpoint')
      .orderBy('variant')
      .orderBy('model')
      .orderBy('version')
      .orderBy('process_id')
      .execute();
    return rows.map(toMetricWindow);
  }

  async compactMetricWindows(compaction: MetricCompaction): Promise<number> {
    const from = checkBucketMs(compaction.fromBucketMs, 'fromBucketMs');
    const to = checkBucketMs(compaction.toBucketMs, 'toBucketMs');
    if (to <= from || to % from !== 0) {
      throw new KeelError(
        'invalid_argument',
        `toBucketMs (${to}) must be a larger multiple of fromBucketMs (${from}).`,
        {
          field: 'toBucketMs',
        },
      );
    }
    const before = toTimestamp(compaction.before, 'before');
    return this.#transaction(async (trx) => {
      // `delete … returning` hands each fine row to exactly one of several concurrent compactions.
      const removed = await trx
        .deleteFrom('metric_windows')
        .where('bucket_ms', '=', from)
        .where('bucket_start', '<', before)
        .returningAll()
        .execute();
      const coarse = new Map<string, MetricWindowsTable & { merged: MetricWindowData }>();
      for (const row of removed) {
        const start = new Date(Math.floor(Date.parse(row.bucket_start) / to) * to).toISOString();
        const key = JSON.stringify([row.endpoint, row.model, row.version, row.variant, row.process_id, start]);
        const found = coarse.get(key);
        const data = JSON.parse(row.data) as MetricWindowData;
        if (found) found.merged = addWindowData(found.merged, data);
        else coarse.set(key, { ...row, bucket_ms: to, bucket_start: start, merged: data });
      }
      const updatedAt = now();
      for (const { merged, ...row } of coarse.values()) {
        // Make sure the coarse row exists, then add to it under its lock: a concurrent compaction
        // that produced the same coarse bucket waits here and adds to what this one wrote.
        await trx
          .insertInto('metric_windows')
          .values({ ...row, data: JSON.stringify(emptyWindowData()), updated_at: updatedAt })
          .onConflict((oc) => oc.doNothing())
          .execute();
        const existing = await trx
          .selectFrom('metric_windows')
          .select('data')
          .where('endpoint', '=', row.endpoint)
          .where('model', '=', row.model)
          .where('version', '=', row.version)
          .where('variant', '=', row.variant)
          .where('process_id', '=', row.process_id)
          .where('bucket_ms', '=', to)
          .where('bucket_start', '=', row.bucket_start)
          .$if(this.#capabilities.supportsRowLocks, (qb) => qb.forUpdate())
          .executeTakeFirstOrThrow();
        const sum = addWindowData(JSON.parse(existing.data) as MetricWindowData, merged);
        await trx
          .updateTable('metric_windows')
          .set({ data: JSON.stringify(sum), updated_at: updatedAt })
          .where('endpoint', '=', row.endpoint)
          .where('model', '=', row.model)
          .where('version', '=', row.version)
          .where('variant', '=', row.variant)
          .where('process_id', '=', row.process_id)
          .where('bucket_ms', '=', to)
          .where('bucket_start', '=', row.bucket_start)
          .execute();
      }
      return removed.length;
    });
  }

  async putMetricTotals(totals: readonly MetricTotal[]): Promise<void> {
    if (totals.length === 0) return;
    const rows: MetricTotalsTable[] = totals.map((total, i) => ({
      ...seriesRow(total, `[${i}]`),
      data: JSON.stringify(checkWindowData(total.data, `[${i}].data`)),
      updated_at: toTimestamp(total.updatedAt, `[${i}].updatedAt`),
    }));
    await this.#transaction((trx) =>
      this.#insertInChunks(trx, 'metric_totals', rows, (insert) =>
        insert.onConflict((oc) =>
          oc
            .columns(['endpoint', 'model', 'version', 'variant', 'process_id'])
            .doUpdateSet((eb) => ({ data: eb.ref('excluded.data'), updated_at: eb.ref('excluded.updated_at') })),
        ),
      ),
    );
  }

  async listMetricTotals(query: { readonly endpoint?: string } = {}): Promise<MetricTotal[]> {
    const rows = await this.#db
      .selectFrom('metric_totals')
      .selectAll()
      .$if(query.endpoint !== undefined, (qb) => qb.where('endpoint', '=', query.endpoint as string))
      .orderBy('endpoint')
      .orderBy('model')
      .orderBy('version')
      .orderBy('variant')
      .orderBy('process_id')
      .execute();
    return rows.map(toMetricTotal);
  }

  async getAlertState(rule: string, endpoint: string): Promise<AlertState | null> {
    const row = await this.#db
      .selectFrom('alert_states')
      .selectAll()
      .where('rule', '=', rule)
      .where('endpoint', '=', endpoint)
      .executeTakeFirst();
    return row ? toAlertState(row) : null;
  }

  async listAlertStates(query: { readonly endpoint?: string } = {}): Promise<AlertState[]> {
    const rows = await this.#db
      .selectFrom('alert_states')
      .selectAll()
      .$if(query.endpoint !== undefined, (qb) => qb.where('endpoint', '=', query.endpoint as string))
      .orderBy('rule')
      .orderBy('endpoint')
      .execute();
    return rows.map(toAlertState);
  }

  async putAlertState(update: AlertStateUpdate, expectedRevision: number): Promise<AlertState> {
    requireName(update.rule, 'rule');
    requireName(update.endpoint, 'endpoint');
    checkAlertStatus(update.status, 'status');
    if (!Number.isInteger(expectedRevision) || expectedRevision < 0) {
      throw new KeelError('invalid_argument', `expectedRevision must be a whole number ≥ 0, got ${expectedRevision}`, {
        field: 'expectedRevision',
      });
    }
    if (update.value !== null && !Number.isFinite(update.value)) {
      throw new KeelError('invalid_argument', `value must be a finite number or null, got ${update.value}`, {
        field: 'value',
      });
    }
    const fields = {
      status: update.status,
      since: toTimestamp(update.since, 'since'),
      value: update.value,
      severity: update.severity,
      evaluated_at: toTimestamp(update.evaluatedAt, 'evaluatedAt'),
    };
    return this.#transaction(async (trx) => {
      // Compare-and-set on the revision, as `putEndpoint` does: of two evaluators that read the
      // same revision only the first changes the row; the other gets a conflict.
      const row =
        expectedRevision === 0
          ? await trx
              .insertInto('alert_states')
              .values({ rule: update.rule, endpoint: update.endpoint, ...fields, revision: 1 })
              .onConflict((oc) => oc.columns(['rule', 'endpoint']).doNothing())
              .returningAll()
              .executeTakeFirst()
          : await trx
              .updateTable('alert_states')
              .set((eb) => ({ ...fields, revision: eb('revision', '+', 1) }))
              .where('rule', '=', update.rule)
              .where('endpoint', '=', update.endpoint)
              .where('revision', '=', expectedRevision)
              .returningAll()
              .executeTakeFirst();
      if (!row) {
        throw new KeelError(
          'conflict',
          `alert "${update.rule}" on endpoint "${update.endpoint}" changed meanwhile (expected revision ${expectedRevision}); read it again`,
          { field: 'revision' },
        );
      }
      if (update.transition) {
        checkAlertStatus(update.transition.from, 'transition.from');
        await trx
          .insertInto('alert_transitions')
          .values({
            rule: update.rule,
            endpoint: update.endpoint,
            from_status: update.transition.from,
            to_status: update.status,
            value: update.value,
            severity: update.severity,
            actor: update.transition.actor,
            message: update.transition.message,
            at: fields.evaluated_at,
          })
          .execute();
      }
      return toAlertState(row);
    });
  }

  async listAlertTransitions(
    query: { readonly endpoint?: string; readonly rule?: string; readonly limit?: number } = {},
  ): Promise<AlertTransition[]> {
    const rows = await this.#db
      .selectFrom('alert_transitions')
      .selectAll()
      .$if(query.endpoint !== undefined, (qb) => qb.where('endpoint', '=', query.endpoint as string))
      .$if(query.rule !== undefined, (qb) => qb.where('rule', '=', query.rule as string))
      .orderBy('seq', 'desc')
      .$if(query.limit !== undefined, (qb) => qb.limit(checkLimit(query.limit)))
      .execute();
    return rows.map(toAlertTransition);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** Runs `work` in one transaction; a backend too busy to take the write becomes a `conflict`. */
  async #transaction<T>(work: (trx: Transaction<KeelDatabase>) => Promise<T>): Promise<T> {
    try {
      return await this.#db.transaction().execute(work);
    } catch (error) {
      if (this.#errorKind(error) === 'busy') {
        throw new KeelError(
          'conflict',
          `The metadata store at ${this.#backend.location} is busy with another writer; try again.`,
          {},
          { cause: error },
        );
      }
      throw error;
    }
  }

  #errorKind(error: unknown): DriverErrorKind | null {
    return this.#backend.classifyError(error);
  }

  /** Fails with not_found, naming the field of the first id that no row of `table` has. */
  async #requireRows(
    db: Db,
    table: 'runs' | 'pipeline_runs' | 'dataset_versions',
    references: ReadonlyArray<readonly [id: string, field: string]>,
    what: string,
  ): Promise<void> {
    if (references.length === 1) return requireRow(db, table, references[0][0], references[0][1], what);
    const found = new Set<string>();
    for (const ids of chunk([...new Set(references.map(([id]) => id))], this.#maxInList)) {
      const rows = await db.selectFrom(table).select('id').where('id', 'in', ids).execute();
      for (const row of rows) found.add(row.id);
    }
    const missing = references.find(([id]) => !found.has(id));
    if (missing) throw notFound(`${what} ${missing[0]} does not exist.`, { field: missing[1] });
  }

  /** Leaves room for the other parameters of a statement that also has an `in (…)` list. */
  get #maxInList(): number {
    return this.#capabilities.maxParameters - 100;
  }

  /** Multi-row inserts, each statement below the backend's bound-parameter limit. */
  async #insertInChunks<T extends keyof KeelDatabase & string>(
    db: Db,
    table: T,
    rows: readonly Insertable<KeelDatabase[T]>[],
    finish: (insert: InsertInto<T>) => InsertInto<T> = keepInsert,
  ): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]);
    const rowsPerStatement = Math.max(1, Math.floor(this.#capabilities.maxParameters / columns.length));
    // Building and compiling Kysely's query tree costs ~20 µs a row of ten columns, more than the
    // database's own work: plain appends (the prediction log's) go as hand-built SQL instead.
    const plain = finish === keepInsert && rows.every((row) => sameColumns(row, columns));
    if (!plain) {
      for (const part of chunk(rows, rowsPerStatement)) await finish(db.insertInto(table).values(part)).execute();
      return;
    }
    // Statements of power-of-two row counts: few distinct SQL texts, so the backend's prepared
    // statements are reused from one append to the next (see the SQLite statement cache).
    let block = 1;
    while (block * 2 <= Math.min(rowsPerStatement, MAX_ROWS_PER_INSERT)) block *= 2;
    for (let start = 0; start < rows.length;) {
      while (block > rows.length - start) block /= 2;
      await db.executeQuery(this.#plainInsert(table, columns, rows.slice(start, start + block)));
      start += block;
    }
  }

  /** `insert into t (c…) values (…), (…)` with every value bound, undefined as null. */
  #plainInsert(table: string, columns: readonly string[], rows: readonly object[]): CompiledQuery {
    const { placeholder } = this.#capabilities;
    const parameters: unknown[] = [];
    const tuples: string[] = [];
    for (const row of rows) {
      const values = row as Record<string, unknown>;
      const marks: string[] = [];
      for (const column of columns) {
        marks.push(placeholder(parameters.length));
        parameters.push(values[column] ?? null);
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    const names = columns.map((c) => `"${c}"`).join(', ');
    return CompiledQuery.raw(`insert into "${table}" (${names}) values ${tuples.join(', ')}`, parameters);
  }
}

function toRegisteredModel(
  row: { name: string; description: string; created_at: string; latest_version: number },
  aliases: ReadonlyArray<{ alias: string; version: number }>,
): RegisteredModel {
  return {
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    latestVersion: row.latest_version,
    aliases: Object.fromEntries(
      [...aliases].sort((a, b) => a.alias.localeCompare(b.alias)).map((a) => [a.alias, a.version]),
    ),
  };
}

/** Fails with not_found, naming `field`, when no row of `table` has this id. */
async function requireRow(
  db: Db,
  table: 'runs' | 'pipeline_runs' | 'dataset_versions',
  id: string,
  field: string,
  what: string,
): Promise<void> {
  const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`${what} ${id} does not exist.`, { field });
}

function requireName(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KeelError('invalid_argument', `${field} must be a non-empty string.`, { field });
  }
}

function checkParam(key: string, value: unknown, at = ''): void {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new KeelError('invalid_argument', `Param "${key}" must be a string, number or boolean.`, {
      field: `${at}params.${key}`,
    });
  }
}

/** Validated metric points as rows; `at` prefixes error fields. */
function metricRows(
  runId: string,
  metrics: RunBatch['metrics'] & object,
  timestamp: string,
  at: string,
): RunMetricsTable[] {
  return metrics.map((metric, i) => {
    const step = metric.step ?? 0;
    if (typeof metric.value !== 'number') {
      throw new KeelError('invalid_argument', `Metric "${metric.key}" must be a number.`, {
        field: `${at}metrics[${i}].value`,
      });
    }
    if (!Number.isSafeInteger(step)) {
      throw new KeelError('invalid_argument', `Metric "${metric.key}" has step ${step}; steps are integers.`, {
        field: `${at}metrics[${i}].step`,
      });
    }
    return { run_id: runId, key: metric.key, value: metricToColumn(metric.value), step, timestamp };
  });
}

/** Per key, the point with the highest step (the later one on a tie) and how many points there are; in key order. */
function latestPoints(points: readonly RunMetricsTable[]): RunLatestMetricsTable[] {
  const latestByKey = new Map<string, RunLatestMetricsTable>();
  for (const point of points) {
    const seen = latestByKey.get(point.key);
    const counted = (seen?.points ?? 0) + 1;
    latestByKey.set(
      point.key,
      !seen || point.step >= seen.step ? { ...point, points: counted } : { ...seen, points: counted },
    );
  }
  return [...latestByKey.values()].sort((a, b) => compareText(a.key, b.key));
}

/** How many runs a page of `searchRuns` holds when the query names no limit. */
const DEFAULT_RUN_PAGE = 100;

function checkStatus(status: unknown, field: string): RunStatus {
  if (status !== 'running' && status !== 'finished' && status !== 'failed') {
    const message = `A run is "running", "finished" or "failed", not "${String(status)}".`;
    throw new KeelError('invalid_argument', message, { field });
  }
  return status;
}

function checkNote(note: unknown, at = ''): string {
  if (typeof note !== 'string') {
    throw new KeelError('invalid_argument', 'A run note must be text.', { field: `${at}note` });
  }
  return note;
}

function checkSource(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') {
    throw new KeelError('invalid_argument', `${field} must be a non-empty string or null.`, { field });
  }
  return value;
}

function checkLimit(limit: number | undefined): number {
  if (!Number.isSafeInteger(limit) || (limit as number) < 0) {
    throw new KeelError('invalid_argument', `limit must be a whole number ≥ 0, not ${String(limit)}.`, {
      field: 'limit',
    });
  }
  return limit as number;
}

/** A feedback record as a row, checked; `i` names it in errors (`[i].label`). */
function feedbackRow(record: FeedbackRecord, i: number): FeedbackTable {
  requireName(record.predictionId, `[${i}].predictionId`);
  requireName(record.endpoint, `[${i}].endpoint`);
  const { label, value } = record;
  if (label !== null && typeof label !== 'string') {
    throw new KeelError('invalid_argument', 'A feedback label must be text or null.', { field: `[${i}].label` });
  }
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new KeelError('invalid_argument', 'A feedback value must be a finite number or null.', {
      field: `[${i}].value`,
    });
  }
  if (label === null && value === null) {
    throw new KeelError('invalid_argument', 'Feedback needs a label (classifiers) or a value (regressors).', {
      field: `[${i}]`,
    });
  }
  return {
    prediction_id: record.predictionId,
    endpoint: record.endpoint,
    label,
    value,
    at: toTimestamp(record.at, `[${i}].at`),
  };
}

/** The series columns of a window or total, checked; `at` names the record in errors. */
function seriesRow(
  key: { endpoint: string; model: string; version: number; variant: string; processId: string },
  at: string,
): Pick<MetricWindowsTable, 'endpoint' | 'model' | 'version' | 'variant' | 'process_id'> {
  for (const field of ['endpoint', 'model', 'variant', 'processId'] as const) {
    if (typeof key[field] !== 'string') {
      throw new KeelError('invalid_argument', `${at}.${field} must be text.`, { field: `${at}.${field}` });
    }
  }
  requireName(key.endpoint, `${at}.endpoint`);
  requireName(key.processId, `${at}.processId`);
  if (!Number.isSafeInteger(key.version) || key.version < 0) {
    throw new KeelError('invalid_argument', `${at}.version must be a whole number ≥ 0 (0: no model version).`, {
      field: `${at}.version`,
    });
  }
  return {
    endpoint: key.endpoint,
    model: key.model,
    version: key.version,
    variant: key.variant,
    process_id: key.processId,
  };
}

function checkBucketMs(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KeelError('invalid_argument', `${field} must be a whole number of milliseconds > 0, not ${value}.`, {
      field,
    });
  }
  return value;
}

const ALERT_STATUSES: readonly AlertStatus[] = ['ok', 'pending', 'firing', 'resolved'];

function checkAlertStatus(status: unknown, field: string): void {
  if (!ALERT_STATUSES.includes(status as AlertStatus)) {
    throw new KeelError(
      'invalid_argument',
      `${field} must be one of ${ALERT_STATUSES.join(', ')}, not "${String(status)}".`,
      {
        field,
      },
    );
  }
}

/** Stored timestamps share one format (ISO-8601 UTC, milliseconds) so they compare as text. */
/** The most rows one hand-built insert carries (bigger statements bind no faster). */
const MAX_ROWS_PER_INSERT = 256;

/** The last timestamp `toTimestamp` normalised: log records made in the same millisecond share it. */
let lastTimestamp = { value: '', normal: '' };

function toTimestamp(value: string, field: string): string {
  if (value === lastTimestamp.value) return lastTimestamp.normal;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new KeelError('invalid_argument', `${field} must be an ISO-8601 timestamp, not "${value}".`, { field });
  }
  lastTimestamp = { value, normal: time.toISOString() };
  return lastTimestamp.normal;
}

function now(): string {
  return new Date().toISOString();
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return compareText(a, b);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** The default of `#insertInChunks`'s `finish`: the insert as built. */
function keepInsert<T>(insert: T): T {
  return insert;
}

/** Whether `row` has exactly `columns` as its keys (so one column list fits every row of a batch). */
function sameColumns(row: object, columns: readonly string[]): boolean {
  const keys = Object.keys(row);
  return keys.length === columns.length && keys.every((key, i) => key === columns[i]);
}
