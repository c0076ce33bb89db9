import type {
  AliasEvent,
  ArtifactEntry,
  DatasetVersion,
  Endpoint,
  EndpointEvent,
  FeedbackRecord,
  MetricPoint,
  ModelVersion,
  ParamValue,
  PipelineRun,
  PredictionRecord,
  RequestRecord,
  Run,
  SchemaVersion,
  StepRun,
} from '../../core/index.js';
import type { AlertState, AlertTransition, MetricTotal, MetricWindow, MetricWindowData } from '../metadata-store.js';
import type {
  AlertStateRow,
  AlertTransitionRow,
  MetricTotalRow,
  MetricWindowRow,
  AliasEventRow,
  DatasetVersionRow,
  EndpointEventRow,
  EndpointRow,
  FeedbackRow,
  MetricRow,
  ModelVersionRow,
  PipelineRunRow,
  PredictionRow,
  RequestRow,
  RunParamRow,
  RunParamsTable,
  RunRow,
  SchemaVersionRow,
  StepRunRow,
} from './schema.js';

/**
 * Storage rows to entities and back, for the columns whose storage form differs from the
 * entity's (JSON text, typed params, NaN metrics). Rows never leave the store.
 */

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function toDatasetVersion(row: DatasetVersionRow): DatasetVersion {
  return {
    id: row.id,
    dataset: row.dataset,
    version: row.version,
    contentHash: row.content_hash,
    artifact: row.artifact,
    source: parseJson(row.source),
    rows: row.rows,
    columns: parseJson(row.columns),
    schema: parseJson(row.schema),
    profile: parseJson(row.profile),
    createdAt: row.created_at,
  };
}

export function toSchemaVersion(row: SchemaVersionRow): SchemaVersion {
  return {
    dataset: row.dataset,
    version: row.version,
    schema: parseJson(row.schema),
    source: row.source,
    basedOn: row.based_on,
    note: row.note,
    createdAt: row.created_at,
  };
}

export function paramToRow(runId: string, key: string, value: ParamValue): RunParamsTable {
  return { run_id: runId, key, value: String(value), type: typeof value as RunParamsTable['type'] };
}

export function toParamValue(row: Pick<RunParamRow, 'value' | 'type'>): ParamValue {
  if (row.type === 'number') return Number(row.value);
  if (row.type === 'boolean') return row.value === 'true';
  return row.value;
}

/** NaN is stored as null: SQLite turns a NaN REAL into NULL anyway, so both backends agree. */
export function metricToColumn(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export function toMetricValue(value: number | null): number {
  return value === null ? Number.NaN : value;
}

export function toMetricPoint(row: MetricRow): MetricPoint {
  return { key: row.key, value: toMetricValue(row.value), step: row.step, timestamp: row.timestamp };
}

export interface RunParts {
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly metricPoints: Readonly<Record<string, number>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly datasetVersionIds: readonly string[];
  readonly artifacts: readonly ArtifactEntry[];
}

export function toRun(row: Omit<RunRow, 'seq'>, parts: RunParts): Run {
  return {
    id: row.id,
    experiment: row.experiment,
    name: row.name,
    status: row.status,
    parentRunId: row.parent_run_id,
    pipelineRunId: row.pipeline_run_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.ended_at === null ? null : Date.parse(row.ended_at) - Date.parse(row.started_at),
    note: row.note,
    source: { configHash: row.config_hash, gitCommit: row.git_commit },
    params: parts.params,
    metrics: parts.metrics,
    metricPoints: parts.metricPoints,
    tags: parts.tags,
    datasetVersionIds: parts.datasetVersionIds,
    artifacts: parts.artifacts,
  };
}

export function toModelVersion(row: ModelVersionRow): ModelVersion {
  return {
    name: row.model,
    version: row.version,
    runId: row.run_id,
    datasetVersionId: row.dataset_version_id,
    artifact: row.artifact,
    algorithm: row.algorithm,
    signature: parseJson(row.signature),
    metrics: parseJson(row.metrics),
    tags: parseJson(row.tags),
    createdAt: row.created_at,
    ...(row.blessing !== null ? { blessing: parseJson(row.blessing) } : {}),
  };
}

export function toAliasEvent(row: Omit<AliasEventRow, 'seq'>): AliasEvent {
  return {
    model: row.model,
    alias: row.alias,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
    ...(row.override ? { override: true as const } : {}),
  };
}

export function toEndpoint(row: EndpointRow): Endpoint {
  return {
    name: row.name,
    policy: parseJson(row.policy),
    revision: Number(row.revision),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toEndpointEvent(row: Omit<EndpointEventRow, 'seq'>): EndpointEvent {
  return {
    endpoint: row.endpoint,
    kind: row.kind,
    actor: row.actor,
    reason: row.reason,
    policy: parseJson(row.policy),
    at: row.at,
  };
}

export function toPipelineRun(row: Omit<PipelineRunRow, 'seq'>): PipelineRun {
  return {
    id: row.id,
    project: row.project,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
  };
}

export function toStepRun(row: StepRunRow): StepRun {
  return {
    pipelineRunId: row.pipeline_run_id,
    step: row.step,
    inputHash: row.input_hash,
    status: row.status,
    outputs: parseJson(row.outputs),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
  };
}

export function toPrediction(row: PredictionRow): PredictionRecord {
  return {
    id: row.id,
    endpoint: row.endpoint,
    model: row.model,
    version: row.version,
    variant: row.variant,
    inputs: parseJson(row.inputs),
    output: parseJson(row.output),
    latencyMs: row.latency_ms,
    at: row.at,
  };
}

export function toRequest(row: RequestRow): RequestRecord {
  return {
    endpoint: row.endpoint,
    status: row.status,
    rows: row.rows,
    latencyMs: row.latency_ms,
    errorCode: row.error_code,
    at: row.at,
    // Absent rather than null: a request refused before a route was chosen names none.
    ...(row.variant !== null && row.model !== null && row.version !== null
      ? { model: row.model, version: row.version, variant: row.variant }
      : {}),
  };
}

export function toFeedback(row: FeedbackRow): FeedbackRecord {
  return {
    predictionId: row.prediction_id,
    endpoint: row.endpoint,
    label: row.label,
    value: row.value === null ? null : Number(row.value),
    at: row.at,
  };
}

export function toMetricWindow(row: MetricWindowRow): MetricWindow {
  return {
    endpoint: row.endpoint,
    model: row.model,
    version: Number(row.version),
    variant: row.variant,
    processId: row.process_id,
    bucketStart: row.bucket_start,
    bucketMs: Number(row.bucket_ms),
    data: parseJson<MetricWindowData>(row.data),
  };
}

export function toMetricTotal(row: MetricTotalRow): MetricTotal {
  return {
    endpoint: row.endpoint,
    model: row.model,
    version: Number(row.version),
    variant: row.variant,
    processId: row.process_id,
    data: parseJson<MetricWindowData>(row.data),
    updatedAt: row.updated_at,
  };
}

export function toAlertState(row: AlertStateRow): AlertState {
  return {
    rule: row.rule,
    endpoint: row.endpoint,
    status: row.status,
    since: row.since,
    value: row.value === null ? null : Number(row.value),
    severity: row.severity,
    evaluatedAt: row.evaluated_at,
    revision: Number(row.revision),
  };
}

export function toAlertTransition(row: Omit<AlertTransitionRow, 'seq'>): AlertTransition {
  return {
    rule: row.rule,
    endpoint: row.endpoint,
    from: row.from_status,
    to: row.to_status,
    value: row.value === null ? null : Number(row.value),
    severity: row.severity,
    actor: row.actor,
    message: row.message,
    at: row.at,
  };
}
