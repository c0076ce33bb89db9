import type {
  AliasEvent,
  ArtifactEntry,
  DataSchema,
  DatasetSummary,
  DatasetVersion,
  Endpoint,
  EndpointEvent,
  ModelVersion,
  ParamValue,
  PipelineRun,
  PredictionRecord,
  RegisteredModel,
  RequestRecord,
  Run,
  RunStatus,
  SchemaSource,
  SchemaVersion,
  StepRun,
  MetricPoint,
  TrafficPolicy,
} from '../core/index.js';

/**
 * Keel's metadata lives behind these small interfaces. There is one implementation
 * (`SqlMetadataStore`, on Kysely) and it runs on SQLite and PostgreSQL; a server client can
 * implement the same interfaces later. Every method returns entities, never SQL rows.
 */

export type NewDatasetVersion = Omit<DatasetVersion, 'id' | 'version' | 'createdAt'>;

export interface DatasetStore {
  /** Adds a version, numbered one past the dataset's latest. Atomic under concurrency. */
  createDatasetVersion(input: NewDatasetVersion): Promise<DatasetVersion>;
  /** The latest version of `dataset` with this content hash; null when there is none. */
  findDatasetVersionByHash(dataset: string, contentHash: string): Promise<DatasetVersion | null>;
  /** A given version, or the latest when `version` is omitted; null when absent. */
  getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersion | null>;
  getDatasetVersionById(id: string): Promise<DatasetVersion | null>;
  listDatasets(): Promise<DatasetSummary[]>;
  /** Newest first. */
  listDatasetVersions(dataset: string): Promise<DatasetVersion[]>;
  /**
   * Stores a schema of an existing dataset as its next schema version (numbered from 1, atomic
   * under concurrency). Fails with not_found when the dataset, or the `basedOn` version, does not exist.
   */
  createSchemaVersion(input: NewSchemaVersion): Promise<SchemaVersion>;
  /** A given schema version, or the latest when `version` is omitted; null when absent. */
  getSchemaVersion(dataset: string, version?: number): Promise<SchemaVersion | null>;
  /** Newest first; empty when the dataset has none (or does not exist). */
  listSchemaVersions(dataset: string): Promise<SchemaVersion[]>;
}

export interface NewSchemaVersion {
  readonly dataset: string;
  readonly schema: DataSchema;
  readonly source: SchemaSource;
  /** A version number of `dataset`. */
  readonly basedOn?: number | null;
  readonly note?: string;
}

export interface NewRun {
  readonly experiment: string;
  readonly name: string;
  readonly parentRunId?: string | null;
  readonly pipelineRunId?: string | null;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly datasetVersionIds?: readonly string[];
}

export interface RunBatch {
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly metrics?: ReadonlyArray<{ key: string; value: number; step?: number }>;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface RunQuery {
  readonly experiment?: string;
  readonly pipelineRunId?: string;
  readonly limit?: number;
}

export interface RunStore {
  createRun(input: NewRun): Promise<Run>;
  /**
   * The one primitive for params, metrics and tags; conveniences build on it. All or nothing.
   * Params are write-once (as in MLflow): the same value again is a no-op, another value fails
   * with `already_exists`. Tags are overwritten. `Run.metrics` keeps, per key, the point with the
   * highest step (a later point wins a tie).
   */
  logBatch(runId: string, batch: RunBatch): Promise<void>;
  /** Logging a path again replaces its entry. */
  logArtifact(runId: string, artifact: ArtifactEntry): Promise<void>;
  endRun(runId: string, status: Exclude<RunStatus, 'running'>): Promise<Run>;
  getRun(runId: string): Promise<Run | null>;
  /** Newest first. */
  listRuns(query?: RunQuery): Promise<Run[]>;
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
}

export type NewModelVersion = Omit<ModelVersion, 'version' | 'createdAt'> & {
  readonly description?: string;
};

export interface AliasChange {
  readonly actor: string;
  readonly reason: string;
}

export interface ModelStore {
  /**
   * Creates the model on first use; numbers the version one past the latest, atomically.
   * A `description` replaces the model's description.
   */
  createModelVersion(input: NewModelVersion): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion | null>;
  getRegisteredModel(name: string): Promise<RegisteredModel | null>;
  listRegisteredModels(): Promise<RegisteredModel[]>;
  /** Newest first. */
  listModelVersions(name: string): Promise<ModelVersion[]>;
  /**
   * Points `alias` at `version` (or removes it when `version` is null) and records the move,
   * in one transaction. Fails with not_found when the version does not exist.
   */
  setAlias(name: string, alias: string, version: number | null, change: AliasChange): Promise<AliasEvent>;
  getAlias(name: string, alias: string): Promise<number | null>;
  /** Sets (merges) tags on a version, e.g. the gate's decision. The package itself never changes. */
  setModelVersionTags(name: string, version: number, tags: Readonly<Record<string, string>>): Promise<ModelVersion>;
  /** Newest first. */
  listAliasEvents(name: string): Promise<AliasEvent[]>;
}

export interface EndpointStore {
  /** Creates or replaces the endpoint's policy and records the event, in one transaction. */
  putEndpoint(
    name: string,
    policy: TrafficPolicy,
    event: { kind: string; actor: string; reason: string },
  ): Promise<Endpoint>;
  getEndpoint(name: string): Promise<Endpoint | null>;
  listEndpoints(): Promise<Endpoint[]>;
  /** Newest first. */
  listEndpointEvents(name: string, limit?: number): Promise<EndpointEvent[]>;
}

export interface PipelineStore {
  createPipelineRun(project: string): Promise<PipelineRun>;
  finishPipelineRun(id: string, status: 'succeeded' | 'failed', error?: string): Promise<PipelineRun>;
  getPipelineRun(id: string): Promise<PipelineRun | null>;
  listPipelineRuns(limit?: number): Promise<PipelineRun[]>;
  /** Records a step's start, or its end when a row for (run, step) exists. */
  putStepRun(step: StepRun): Promise<void>;
  /** In start order. */
  listStepRuns(pipelineRunId: string): Promise<StepRun[]>;
  /** The most recent succeeded (not cached) run of `step` with this input hash. */
  findCachedStep(step: string, inputHash: string): Promise<StepRun | null>;
}

export interface PredictionQuery {
  readonly endpoint: string;
  /** ISO timestamp; only records at or after it. */
  readonly since?: string;
  readonly limit?: number;
}

export interface PredictionStore {
  /** Appends many records in one transaction (the serving log writes in batches). */
  appendPredictions(records: readonly PredictionRecord[]): Promise<void>;
  appendRequests(records: readonly RequestRecord[]): Promise<void>;
  /** Newest first. */
  listPredictions(query: PredictionQuery): Promise<PredictionRecord[]>;
  getPrediction(id: string): Promise<PredictionRecord | null>;
  /** Oldest first. */
  listRequests(query: PredictionQuery): Promise<RequestRecord[]>;
}

export interface MetadataStore
  extends DatasetStore, RunStore, ModelStore, EndpointStore, PipelineStore, PredictionStore {
  /** Which backend this is, for messages; behaviour never branches on it. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs pending migrations. Called once by `openMetadataStore`. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
