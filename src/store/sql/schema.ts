import type { Generated, Insertable, Selectable } from 'kysely';
import type { PipelineRun, RunStatus, SchemaSource, StepStatus } from '../../core/index.js';
import type { AlertStatus } from '../metadata-store.js';

/**
 * The tables of the metadata store, as Kysely sees them. Nothing outside `store/sql` uses these
 * types: rows become entities (`row-mappers.ts`) before they leave the store.
 *
 * Conventions, chosen so one set of migrations runs unchanged on SQLite and PostgreSQL:
 * timestamps are ISO-8601 UTC text (sortable as text), JSON is text, booleans do not exist, and
 * tables listed "newest first" have an auto-numbered `seq` so ties within a millisecond still
 * have an order.
 */
export interface KeelDatabase {
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  schema_versions: SchemaVersionsTable;
  runs: RunsTable;
  run_params: RunParamsTable;
  run_metrics: RunMetricsTable;
  run_latest_metrics: RunLatestMetricsTable;
  run_tags: RunTagsTable;
  run_datasets: RunDatasetsTable;
  run_artifacts: RunArtifactsTable;
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  alias_events: AliasEventsTable;
  endpoints: EndpointsTable;
  endpoint_events: EndpointEventsTable;
  pipeline_runs: PipelineRunsTable;
  step_runs: StepRunsTable;
  predictions: PredictionsTable;
  requests: RequestsTable;
  feedback: FeedbackTable;
  metric_windows: MetricWindowsTable;
  metric_totals: MetricTotalsTable;
  alert_states: AlertStatesTable;
  alert_transitions: AlertTransitionsTable;
}

/**
 * The parent row of a dataset's versions; `latest_version` numbers dataset versions and
 * `latest_schema_version` numbers stored schemas.
 */
export interface DatasetsTable {
  name: string;
  latest_version: number;
  latest_schema_version: Generated<number>;
  created_at: string;
}

export interface DatasetVersionsTable {
  id: string;
  dataset: string;
  version: number;
  content_hash: string;
  artifact: string;
  source: string;
  rows: number;
  columns: string;
  schema: string;
  profile: string;
  created_at: string;
}

export interface SchemaVersionsTable {
  dataset: string;
  version: number;
  schema: string;
  source: SchemaSource;
  based_on: number | null;
  note: string;
  created_at: string;
}

export interface RunsTable {
  seq: Generated<number>;
  id: string;
  experiment: string;
  name: string;
  status: RunStatus;
  parent_run_id: string | null;
  pipeline_run_id: string | null;
  started_at: string;
  ended_at: string | null;
  note: string;
  config_hash: string | null;
  git_commit: string | null;
}

/** `value` is the text form (what run search compares); `type` restores the JSON type. */
export interface RunParamsTable {
  run_id: string;
  key: string;
  value: string;
  type: 'string' | 'number' | 'boolean';
}

/** Every logged point. `value` is null for NaN, which SQLite cannot store in a REAL column. */
export interface RunMetricsTable {
  run_id: string;
  key: string;
  value: number | null;
  step: number;
  timestamp: string;
}

/**
 * The point with the highest step per (run, key): `Run.metrics`, and what run search filters
 * and sorts on. `points` counts the key's series, so a run reports its series lengths without
 * reading them.
 */
export interface RunLatestMetricsTable extends RunMetricsTable {
  points: number;
}

export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunDatasetsTable {
  run_id: string;
  dataset_version_id: string;
  position: number;
}

export interface RunArtifactsTable {
  run_id: string;
  path: string;
  digest: string;
  size: number;
}

/** The parent row of a model's versions; `latest_version` is the numbering counter. */
export interface RegisteredModelsTable {
  name: string;
  description: string;
  latest_version: number;
  created_at: string;
}

export interface ModelVersionsTable {
  model: string;
  version: number;
  run_id: string | null;
  dataset_version_id: string | null;
  artifact: string;
  algorithm: string;
  signature: string;
  metrics: string;
  tags: string;
  created_at: string;
  /** The gate's decision as JSON; null until the version is gated (migration 0004). */
  blessing: string | null;
}

export interface ModelAliasesTable {
  model: string;
  alias: string;
  version: number;
}

export interface AliasEventsTable {
  seq: Generated<number>;
  model: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string;
  at: string;
  /** 1 when the move overrode the gate (migration 0004). */
  override: Generated<number>;
}

export interface EndpointsTable {
  name: string;
  policy: string;
  created_at: string;
  updated_at: string;
  /** Incremented on every change, for compare-and-set (migration 0005). */
  revision: Generated<number>;
}

export interface EndpointEventsTable {
  seq: Generated<number>;
  endpoint: string;
  kind: string;
  actor: string;
  reason: string;
  policy: string;
  at: string;
}

export interface PipelineRunsTable {
  seq: Generated<number>;
  id: string;
  project: string;
  status: PipelineRun['status'];
  started_at: string;
  ended_at: string | null;
  error: string | null;
}

export interface StepRunsTable {
  pipeline_run_id: string;
  step: string;
  input_hash: string;
  status: StepStatus;
  outputs: string;
  started_at: string;
  ended_at: string | null;
  error: string | null;
}

export interface PredictionsTable {
  id: string;
  endpoint: string;
  model: string;
  version: number;
  variant: string;
  inputs: string;
  output: string;
  latency_ms: number;
  at: string;
}

export interface RequestsTable {
  seq: Generated<number>;
  endpoint: string;
  status: number;
  rows: number;
  latency_ms: number;
  error_code: string | null;
  at: string;
  /** The route that answered; null when none was chosen (migration 0005). */
  model: Generated<string | null>;
  version: Generated<number | null>;
  variant: Generated<string | null>;
}

/** Ground truth of one logged prediction (migration 0006): `label` for classifiers, `value` for regressors. */
export interface FeedbackTable {
  prediction_id: string;
  endpoint: string;
  label: string | null;
  value: number | null;
  at: string;
}

/** One process's aggregate of one series over one bucket (migration 0007); `data` is JSON. */
export interface MetricWindowsTable {
  endpoint: string;
  model: string;
  version: number;
  variant: string;
  process_id: string;
  bucket_ms: number;
  bucket_start: string;
  data: string;
  updated_at: string;
}

/** One process's lifetime totals of one series (migration 0007). */
export interface MetricTotalsTable {
  endpoint: string;
  model: string;
  version: number;
  variant: string;
  process_id: string;
  data: string;
  updated_at: string;
}

/** The current state of an alert rule on an endpoint; `revision` is for compare-and-set (migration 0007). */
export interface AlertStatesTable {
  rule: string;
  endpoint: string;
  status: AlertStatus;
  since: string;
  value: number | null;
  severity: string;
  evaluated_at: string;
  revision: number;
}

export interface AlertTransitionsTable {
  seq: Generated<number>;
  rule: string;
  endpoint: string;
  from_status: AlertStatus;
  to_status: AlertStatus;
  value: number | null;
  severity: string;
  actor: string;
  message: string;
  at: string;
}

export type DatasetVersionRow = Selectable<DatasetVersionsTable>;
export type SchemaVersionRow = Selectable<SchemaVersionsTable>;
export type RunRow = Selectable<RunsTable>;
export type RunParamRow = Selectable<RunParamsTable>;
export type MetricRow = Selectable<RunMetricsTable>;
export type ModelVersionRow = Selectable<ModelVersionsTable>;
export type RegisteredModelRow = Selectable<RegisteredModelsTable>;
export type AliasEventRow = Selectable<AliasEventsTable>;
export type EndpointRow = Selectable<EndpointsTable>;
export type EndpointEventRow = Selectable<EndpointEventsTable>;
export type PipelineRunRow = Selectable<PipelineRunsTable>;
export type StepRunRow = Selectable<StepRunsTable>;
export type PredictionRow = Selectable<PredictionsTable>;
export type RequestRow = Selectable<RequestsTable>;
export type NewPredictionRow = Insertable<PredictionsTable>;
export type NewRequestRow = Insertable<RequestsTable>;
export type FeedbackRow = Selectable<FeedbackTable>;
export type MetricWindowRow = Selectable<MetricWindowsTable>;
export type MetricTotalRow = Selectable<MetricTotalsTable>;
export type AlertStateRow = Selectable<AlertStatesTable>;
export type AlertTransitionRow = Selectable<AlertTransitionsTable>;
