import type {
  AliasEvent,
  DatasetSummary,
  DatasetVersion,
  Endpoint,
  EndpointEvent,
  EndpointMonitoring,
  ModelVersion,
  PipelineRun,
  RegisteredModel,
  Run,
  StepRun,
} from '../../src/core/entities.js';
import type { EvaluationReport, Lineage, ModelCard } from '../../src/core/reports.js';

/** An error answered by the API (`{ error: { code, message, details } }`) or by the network. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, signal });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError('network_error', `Could not reach the Keel server (${String(cause)})`, 0);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError('bad_response', `${path} answered ${response.status} with a body that is not JSON`, 0);
  }
  if (!response.ok) {
    const error = (body as ErrorBody | undefined)?.error;
    throw new ApiError(
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${path} answered ${response.status} ${response.statusText}`,
      response.status,
    );
  }
  return body as T;
}

const enc = encodeURIComponent;

export type PipelineRunWithSteps = PipelineRun & { readonly steps: readonly StepRun[] };

/** The JSON API of `keel server`, one function per route the dashboard reads. */
export const api = {
  datasets: (signal?: AbortSignal) => getJson<{ datasets: DatasetSummary[] }>('/api/v1/datasets', signal),
  dataset: (name: string, signal?: AbortSignal) =>
    getJson<{ dataset: string; versions: DatasetVersion[] }>(`/api/v1/datasets/${enc(name)}`, signal),
  runs: (limit: number, signal?: AbortSignal) => getJson<{ runs: Run[] }>(`/api/v1/runs?limit=${limit}`, signal),
  run: (id: string, signal?: AbortSignal) => getJson<{ run: Run }>(`/api/v1/runs/${enc(id)}`, signal),
  models: (signal?: AbortSignal) => getJson<{ models: RegisteredModel[] }>('/api/v1/models', signal),
  model: (name: string, signal?: AbortSignal) =>
    getJson<{ model: RegisteredModel; versions: ModelVersion[]; aliasEvents: AliasEvent[] }>(
      `/api/v1/models/${enc(name)}`,
      signal,
    ),
  runEvaluation: (id: string, signal?: AbortSignal) =>
    getJson<{ report: EvaluationReport }>(`/api/v1/runs/${enc(id)}/evaluation`, signal),
  modelLineage: (name: string, version: string | number, signal?: AbortSignal) =>
    getJson<{ lineage: Lineage }>(`/api/v1/models/${enc(name)}/versions/${enc(String(version))}/lineage`, signal),
  modelCard: (name: string, version: string | number, signal?: AbortSignal) =>
    getJson<{ card: ModelCard; markdown: string }>(
      `/api/v1/models/${enc(name)}/versions/${enc(String(version))}/card`,
      signal,
    ),
  endpoints: (signal?: AbortSignal) => getJson<{ endpoints: Endpoint[] }>('/api/v1/endpoints', signal),
  endpoint: (name: string, signal?: AbortSignal) =>
    getJson<{ endpoint: Endpoint; events: EndpointEvent[] }>(`/api/v1/endpoints/${enc(name)}`, signal),
  monitoring: (name: string, since: Date, signal?: AbortSignal) =>
    getJson<EndpointMonitoring>(`/api/v1/endpoints/${enc(name)}/monitoring?since=${enc(since.toISOString())}`, signal),
  pipelineRuns: (limit: number, signal?: AbortSignal) =>
    getJson<{ pipelineRuns: PipelineRunWithSteps[] }>(`/api/v1/pipeline-runs?limit=${limit}`, signal),
};
