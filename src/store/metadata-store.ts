import type {
  AliasEvent,
  ArtifactEntry,
  Blessing,
  DataSchema,
  DatasetSummary,
  DatasetVersion,
  Endpoint,
  EndpointEvent,
  FeedbackRecord,
  LabeledPrediction,
  ModelVersion,
  ParamValue,
  PipelineRun,
  PredictionRecord,
  RegisteredModel,
  RequestRecord,
  Run,
  RunSource,
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
  readonly note?: string;
  readonly source?: Partial<RunSource>;
}

/**
 * A run recorded whole, e.g. imported from elsewhere: `createRuns` takes many in one
 * transaction. Omitted times are now; a run that is not `running` and has no `endedAt` ends now.
 */
export interface RecordedRun extends NewRun {
  readonly status?: RunStatus;
  readonly startedAt?: string;
  readonly endedAt?: string | null;
  readonly metrics?: RunBatch['metrics'];
}

export interface RunBatch {
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly metrics?: ReadonlyArray<{ key: string; value: number; step?: number }>;
  readonly tags?: Readonly<Record<string, string>>;
  /** Replaces the run's note (its description). */
  readonly note?: string;
}

/**
 * A parsed run filter: what `parseRunFilter` (tracking) makes of
 * `metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'`. The store turns it into SQL.
 */
export type RunFilter =
  | { readonly kind: 'and'; readonly clauses: readonly RunFilter[] }
  | { readonly kind: 'or'; readonly clauses: readonly RunFilter[] }
  | RunCondition;

/**
 * One comparison. Metrics compare as numbers (their latest value); params and tags as text
 * (`=`, `!=`, `like`, `ilike`, `in`, `not in`); a run without the metric, param or tag never
 * matches. `like` is case-sensitive, `ilike` is not; both take `%` and `_`, escaped with `\`.
 */
export interface RunCondition {
  readonly kind: 'condition';
  readonly field: RunField;
  readonly op: RunFilterOp;
  /** A list for `in` / `not in`; a number or text otherwise. */
  readonly value: RunFilterValue | readonly RunFilterValue[];
}

export type RunFilterValue = string | number;
export type RunFilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'ilike' | 'in' | 'not in';

export type RunField =
  | { readonly kind: 'metric' | 'param' | 'tag'; readonly key: string }
  | { readonly kind: 'attribute'; readonly name: RunAttribute };

/** Columns of the run itself; `start_time` and `end_time` compare as ISO-8601 timestamps. */
export type RunAttribute =
  | 'run_id'
  | 'name'
  | 'experiment'
  | 'status'
  | 'start_time'
  | 'end_time'
  | 'parent_run_id'
  | 'pipeline_run_id'
  | 'config_hash'
  | 'git_commit';

export interface RunOrder {
  readonly field: RunField;
  readonly direction: 'asc' | 'desc';
}

export interface RunQuery {
  readonly experiment?: string;
  readonly pipelineRunId?: string;
  /** Only the children (e.g. search trials) of this run. */
  readonly parentRunId?: string;
  readonly filter?: RunFilter;
  /**
   * Sort keys, in order. Runs lacking a key's value (no such metric, param or tag; NaN; no end
   * time) come after the runs that have one, whatever the direction. Without keys, newest first;
   * runs that tie on every key follow creation order in the direction of the first key.
   */
  readonly orderBy?: readonly RunOrder[];
  readonly limit?: number;
}

export interface RunSearch extends RunQuery {
  /** Page size; 100 when omitted. */
  readonly limit?: number;
  /** `nextPageToken` of the previous page of the same search. */
  readonly pageToken?: string;
}

export interface RunPage {
  readonly runs: Run[];
  /** Pass as `pageToken` for the next page; null on the last page. */
  readonly nextPageToken: string | null;
}

export interface RunStore {
  createRun(input: NewRun): Promise<Run>;
  /**
   * Creates many runs, with their params, metrics and tags, in one transaction (all or none):
   * imports and benchmarks. Returns their ids in input order; error fields name `runs[i]`.
   */
  createRuns(inputs: readonly RecordedRun[]): Promise<string[]>;
  /**
   * The one primitive for params, metrics, tags and the note; conveniences build on it. All or
   * nothing. Params are write-once (as in MLflow): the same value again is a no-op, another value
   * fails with `already_exists`. Tags and the note are overwritten. Every metric point is kept;
   * `Run.metrics` holds, per key, the point with the highest step (a later point wins a tie).
   */
  logBatch(runId: string, batch: RunBatch): Promise<void>;
  /** Logging a path again replaces its entry. */
  logArtifact(runId: string, artifact: ArtifactEntry): Promise<void>;
  endRun(runId: string, status: Exclude<RunStatus, 'running'>): Promise<Run>;
  getRun(runId: string): Promise<Run | null>;
  /** Every run the query selects (up to `limit`), newest first unless `orderBy` says otherwise. */
  listRuns(query?: RunQuery): Promise<Run[]>;
  /**
   * One page of the runs a query selects. The filter and the sort run as SQL on indexes
   * (latest metrics, params and tags by key and value; runs by experiment and start time).
   * Fails with invalid_argument for a malformed filter, order or page token.
   */
  searchRuns(query?: RunSearch): Promise<RunPage>;
  /** Every point logged for `key`, in step order (then logging order); empty for an unknown run or key. */
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
}

export type NewModelVersion = Omit<ModelVersion, 'version' | 'createdAt' | 'blessing'> & {
  readonly description?: string;
};

export interface AliasChange {
  readonly actor: string;
  readonly reason: string;
  /** The move puts a gated alias on a version the gate did not bless; recorded in the history. */
  readonly override?: boolean;
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
  /** Removes tags from a version; keys it does not have are ignored. Fails with not_found for a missing version. */
  removeModelVersionTags(name: string, version: number, keys: readonly string[]): Promise<ModelVersion>;
  /**
   * Records the gate's decision on a version, replacing an earlier one, and mirrors it in the
   * tags `gate.passed` and `gate.reasons` (for listing and search), in one transaction.
   */
  setModelVersionBlessing(name: string, version: number, blessing: Blessing): Promise<ModelVersion>;
  /** Newest first. */
  listAliasEvents(name: string): Promise<AliasEvent[]>;
}

/** Lookups that walk lineage downstream: from a dataset version to its runs and models, from a run to its models. */
export interface LineageStore {
  /** Runs that read the dataset version (`Run.datasetVersionIds`), newest first. */
  listRunsByDatasetVersion(datasetVersionId: string): Promise<Run[]>;
  /** Model versions built from the dataset version or produced by the run (both when both are given), by name then version. */
  listModelVersionsByLineage(query: {
    readonly datasetVersionId?: string;
    readonly runId?: string;
  }): Promise<ModelVersion[]>;
}

export interface PutEndpointOptions {
  /**
   * Compare-and-set: write only if the endpoint's revision is still this one (0: only if the
   * endpoint does not exist yet); otherwise fail with `conflict` and change nothing.
   */
  readonly expectedRevision?: number;
}

export interface EndpointStore {
  /**
   * Creates or replaces the endpoint's policy and records the event, in one transaction; the
   * revision starts at 1 and grows by one per change.
   */
  putEndpoint(
    name: string,
    policy: TrafficPolicy,
    event: { kind: string; actor: string; reason: string },
    options?: PutEndpointOptions,
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
  /** Only records of this variant (requests: answered by it). */
  readonly variant?: string;
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
  /** The predictions with these ids, in no particular order; ids that are not logged are left out. */
  getPredictions(ids: readonly string[]): Promise<PredictionRecord[]>;
  /**
   * Stores ground truth of logged predictions in one transaction (all or nothing). Feedback for
   * a prediction that already has some replaces it. Fails with not_found, naming every unknown
   * prediction id in `details.ids`, when one is not logged.
   */
  addFeedback(records: readonly FeedbackRecord[]): Promise<void>;
  /**
   * The endpoint's logged predictions that have feedback, with it: newest prediction first;
   * `since`, `variant` and `limit` apply to the predictions.
   */
  listFeedback(query: PredictionQuery): Promise<LabeledPrediction[]>;
}

// ---------------------------------------------------------------------------------------------
// Monitoring: windowed aggregates and alert states

/**
 * What a metric series is about. Software metrics use all four parts; a process-level series
 * (memory, CPU, event-loop lag) uses the reserved `PROCESS_SERIES` key of `monitoring`, and a
 * request refused before a route was chosen has model '' and version 0.
 */
export interface MetricSeriesKey {
  readonly endpoint: string;
  readonly model: string;
  readonly version: number;
  readonly variant: string;
}

/**
 * The additive content of a window: named counters and named histograms (bin counts). Two
 * windows of a series merge by element-wise addition, so any module can put its own counters or
 * histograms (e.g. `feature:MonthlyCharges` drift bins) into the same rows.
 */
export interface MetricWindowData {
  readonly counters: Readonly<Record<string, number>>;
  readonly histograms: Readonly<Record<string, readonly number[]>>;
}

/**
 * One process's aggregate of one series over one bucket. A process writes only its own rows
 * (`processId` is unique per process lifetime), always with the bucket's full value so far, so a
 * write is idempotent and readers sum the processes' rows.
 */
export interface MetricWindow extends MetricSeriesKey {
  readonly processId: string;
  /** ISO-8601 start of the bucket (a multiple of `bucketMs` since the epoch). */
  readonly bucketStart: string;
  readonly bucketMs: number;
  readonly data: MetricWindowData;
}

/** One process's total of one series since it started: what `/metrics` exposes as counters. */
export interface MetricTotal extends MetricSeriesKey {
  readonly processId: string;
  readonly data: MetricWindowData;
  readonly updatedAt: string;
}

export interface MetricWindowQuery {
  /** Omit for every endpoint (and the process series). */
  readonly endpoint?: string;
  /** ISO timestamps: buckets that start at or after `since` and before `until`. */
  readonly since: string;
  readonly until: string;
  /** Only buckets of this width (ms); every width when omitted. */
  readonly bucketMs?: number;
  readonly model?: string;
  readonly version?: number;
  readonly variant?: string;
}

export interface MetricCompaction {
  /** Buckets of this width that start before `before` … */
  readonly fromBucketMs: number;
  readonly before: string;
  /** … are summed into buckets of this width (a multiple of `fromBucketMs`). */
  readonly toBucketMs: number;
}

export type AlertStatus = 'ok' | 'pending' | 'firing' | 'resolved';

/** The current state of one alert rule on one endpoint. */
export interface AlertState {
  readonly rule: string;
  readonly endpoint: string;
  readonly status: AlertStatus;
  /** When the rule entered `status`. */
  readonly since: string;
  /** The metric's value at the last evaluation; null when there was no data. */
  readonly value: number | null;
  readonly severity: string;
  readonly evaluatedAt: string;
  /** Numbered from 1, incremented by every update, for compare-and-set. */
  readonly revision: number;
}

export interface AlertTransition {
  readonly rule: string;
  readonly endpoint: string;
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly value: number | null;
  readonly severity: string;
  /** Who made the transition: the evaluating process. */
  readonly actor: string;
  readonly message: string;
  readonly at: string;
}

export interface AlertStateUpdate {
  readonly rule: string;
  readonly endpoint: string;
  readonly status: AlertStatus;
  readonly since: string;
  readonly value: number | null;
  readonly severity: string;
  readonly evaluatedAt: string;
  /** Recorded in the history in the same transaction; omit when the status did not change. */
  readonly transition?: { readonly from: AlertStatus; readonly actor: string; readonly message: string };
}

export interface MonitoringStore {
  /**
   * Writes windows in one transaction; a row for the same (series, process, bucket) is replaced
   * (its writer always sends the bucket's full value), so retrying a write never double-counts.
   */
  putMetricWindows(windows: readonly MetricWindow[]): Promise<void>;
  /** The rows a query selects, every process's separately: by bucket start, endpoint, variant, model, version, process. */
  listMetricWindows(query: MetricWindowQuery): Promise<MetricWindow[]>;
  /**
   * Sums old fine buckets into coarse ones (per series and process) and deletes the fine ones,
   * in one transaction; safe when several processes compact at once. Returns the rows removed.
   */
  compactMetricWindows(compaction: MetricCompaction): Promise<number>;
  /** Replaces each (series, process) total, like `putMetricWindows`, in one transaction. */
  putMetricTotals(totals: readonly MetricTotal[]): Promise<void>;
  /** Every process's totals, of one endpoint or of all. */
  listMetricTotals(query?: { readonly endpoint?: string }): Promise<MetricTotal[]>;
  getAlertState(rule: string, endpoint: string): Promise<AlertState | null>;
  /** By rule, then endpoint. */
  listAlertStates(query?: { readonly endpoint?: string }): Promise<AlertState[]>;
  /**
   * Compare-and-set: writes only if the state's revision is still `expectedRevision` (0: only if
   * there is no state yet), and records the transition with it; otherwise fails with `conflict`
   * and changes nothing. So of several processes evaluating one rule, one makes each transition.
   */
  putAlertState(update: AlertStateUpdate, expectedRevision: number): Promise<AlertState>;
  /** Newest first. */
  listAlertTransitions(query?: {
    readonly endpoint?: string;
    readonly rule?: string;
    readonly limit?: number;
  }): Promise<AlertTransition[]>;
}

export interface MetadataStore
  extends
    DatasetStore,
    RunStore,
    ModelStore,
    LineageStore,
    EndpointStore,
    PipelineStore,
    PredictionStore,
    MonitoringStore {
  /** Which backend this is, for messages; behaviour never branches on it. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs pending migrations. Called once by `openMetadataStore`. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
