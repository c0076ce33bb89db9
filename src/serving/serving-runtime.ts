import {
  invalidArgument,
  KeelError,
  newId,
  notFound,
  type Endpoint,
  type ModelVersion,
  type PredictionRecord,
  type Row,
  type TrafficRoute,
} from '../core/index.js';
import { validateRows, type ValidatedRow } from '../data/index.js';
import type { Prediction, Registry, ServableModel } from '../registry/index.js';
import { LiveDrift, type MetricsRecorder } from '../monitoring/index.js';
import type { MetadataStore } from '../store/index.js';
import { MicroBatcher, type MicroBatchSettings } from './micro-batcher.js';
import { PredictionLog, type PredictionLogStore } from './prediction-log.js';
import { ShadowRunner, type ShadowJob, type ShadowOptions } from './shadow-runner.js';
import { routeRequest, type RouteChoice } from './strategies/index.js';

export interface ServingOptions {
  /** How long an endpoint's traffic policy is reused before it is read again (ms). */
  readonly policyTtlMs?: number;
  /** Largest batch one request may carry. */
  readonly maxRows?: number;
  /** Coalescing of concurrent requests to one model version (default 64 rows, 1 ms); false turns it off. */
  readonly microBatch?: Partial<MicroBatchSettings> | false;
  /** Where the prediction log goes; default the metadata store, on this thread (see ThreadedLogWriter). */
  readonly logStore?: PredictionLogStore;
  /** How often the prediction log's buffer is written (ms; default 250). */
  readonly logFlushIntervalMs?: number;
  /** Concurrency and queue bound of shadow predictions (see ShadowRunner). */
  readonly shadow?: Omit<ShadowOptions, 'newId'>;
  /**
   * Windowed software metrics of every request (monitoring's recorder). Its owner starts and
   * stops it (`startServer` does); without one, requests go to the request log only.
   */
  readonly metrics?: MetricsRecorder;
}

/** The route that answered a request: what the request log records for per-variant metrics. */
export interface ServedRoute {
  readonly model: string;
  readonly version: number;
  readonly variant: string;
}

export interface PredictOptions {
  /** Answer with this model version, one of the endpoint's routes, instead of the policy's choice. */
  readonly version?: number;
  /** Told the route as soon as it is chosen, before the rows are checked: failures count for their variant too. */
  readonly onRoute?: (route: ServedRoute) => void;
}

export interface PredictResult {
  readonly predictions: ReadonlyArray<Prediction & { readonly id: string }>;
  readonly model: { readonly name: string; readonly version: number };
  readonly variant: string;
}

/**
 * Serves endpoints: resolves the endpoint's traffic policy, picks the route, checks the rows
 * against the model's signature, predicts with the loaded package and logs every prediction.
 * Packages are loaded once and reused; policies are re-read at most every `policyTtlMs`, so a
 * deployment reaches a running server within that time without a restart.
 */
export class ServingRuntime {
  readonly log: PredictionLog;
  /** Runs the shadow route's copies of answered requests, off the response path. */
  readonly shadows: ShadowRunner;
  private readonly policies = new Map<string, { endpoint: Promise<Endpoint>; readAt: number }>();
  private readonly versions = new Map<string, Promise<ModelVersion>>();
  private readonly policyTtlMs: number;
  private readonly maxRows: number;
  private readonly microBatch: Partial<MicroBatchSettings> | false;
  /** Where `recordRequest` counts requests; null when the runtime was made without one. */
  readonly metrics: MetricsRecorder | null;
  /** Counts served rows and outputs into the reference's bins: live drift (with `metrics` only). */
  private readonly liveDrift: LiveDrift | null;
  /** One batcher per loaded model (a model version's package is loaded once). */
  private readonly batchers = new WeakMap<ServableModel, MicroBatcher<ValidatedRow, Prediction>>();

  constructor(
    private readonly metadata: MetadataStore,
    private readonly registry: Registry,
    options: ServingOptions = {},
  ) {
    this.policyTtlMs = options.policyTtlMs ?? 1000;
    this.maxRows = options.maxRows ?? 10_000;
    this.microBatch = options.microBatch ?? {};
    this.metrics = options.metrics ?? null;
    this.liveDrift = this.metrics ? new LiveDrift(this.metrics) : null;
    this.log = new PredictionLog(options.logStore ?? metadata, {
      flushIntervalMs: options.logFlushIntervalMs,
      onError: (error) => console.error('keel: prediction log write failed, will retry:', error),
    });
    this.shadows = new ShadowRunner((job) => this.predictShadow(job), this.log, {
      ...options.shadow,
      newId: () => newId('pred'),
    });
  }

  async predict(endpointName: string, instances: unknown, options: PredictOptions = {}): Promise<PredictResult> {
    const started = performance.now();
    const endpoint = await this.endpoint(endpointName);
    const rows = checkInstances(instances, this.maxRows);
    const choice: RouteChoice =
      options.version === undefined
        ? routeRequest(endpoint.policy, rows[0])
        : { answer: routeOfVersion(endpoint, options.version), mirrors: [] };
    const route = choice.answer;
    options.onRoute?.({ model: route.model, version: route.version, variant: route.variant });
    const version = await this.version(route.model, route.version);
    const model = await this.registry.loadServable(version);

    const checked = validateRows(rows, version.signature.inputs);
    if (!checked.ok) {
      const first = checked.problems[0];
      throw new KeelError('invalid_argument', first.message, {
        row: first.row,
        field: first.field,
        problems: checked.problems.slice(0, 20),
      });
    }
    const predictions = await this.predictBatched(model, checked.rows);
    const latencyMs = performance.now() - started;
    const at = new Date().toISOString();
    const withIds = predictions.map((p) => ({ id: newId('pred'), ...p }));
    const records: PredictionRecord[] = withIds.map((p, i) => ({
      id: p.id,
      endpoint: endpointName,
      model: version.name,
      version: version.version,
      variant: route.variant,
      inputs: checked.rows[i],
      output: outputOf(p),
      latencyMs,
      at,
    }));
    this.log.addPredictions(records);
    this.liveDrift?.observe(
      { endpoint: endpointName, model: version.name, version: version.version, variant: route.variant },
      model.reference,
      checked.rows,
      predictions,
    );
    for (const mirror of choice.mirrors) {
      this.shadows.submit({ endpoint: endpointName, route: mirror, rows, answered: records });
    }
    return { predictions: withIds, model: { name: version.name, version: version.version }, variant: route.variant };
  }

  /**
   * Records the outcome of one HTTP request (the software metrics of monitoring): in the request
   * log, and in the metrics recorder's windows with the payload sizes when the caller knows them.
   */
  recordRequest(
    endpoint: string,
    status: number,
    rows: number,
    latencyMs: number,
    errorCode: string | null,
    served?: ServedRoute,
    payload?: { readonly requestBytes?: number; readonly responseBytes?: number },
  ): void {
    const at = new Date().toISOString();
    this.log.addRequest(
      served
        ? {
            endpoint,
            status,
            rows,
            latencyMs,
            errorCode,
            at,
            model: served.model,
            version: served.version,
            variant: served.variant,
          }
        : { endpoint, status, rows, latencyMs, errorCode, at },
    );
    this.metrics?.observeRequest({
      endpoint,
      model: served?.model,
      version: served?.version,
      variant: served?.variant,
      status,
      rows,
      latencyMs,
      errorCode,
      requestBytes: payload?.requestBytes,
      responseBytes: payload?.responseBytes,
    });
  }

  /** The endpoint and the model versions its routes name (from the same caches as predictions). */
  async versionsOf(endpointName: string): Promise<{ endpoint: Endpoint; versions: ModelVersion[] }> {
    const endpoint = await this.endpoint(endpointName);
    const versions = await Promise.all(endpoint.policy.routes.map((r) => this.version(r.model, r.version)));
    return { endpoint, versions: versions.filter((v, i) => versions.indexOf(v) === i) };
  }

  /** Forgets cached policies, so the next request reads them again. */
  invalidate(endpointName?: string): void {
    if (endpointName) this.policies.delete(endpointName);
    else this.policies.clear();
  }

  async close(): Promise<void> {
    await this.shadows.drain();
    return this.log.close();
  }

  /** A shadow's prediction of a copied request: its own signature check and model; never the client's answer. */
  private async predictShadow(job: ShadowJob) {
    const version = await this.version(job.route.model, job.route.version);
    const model = await this.registry.loadServable(version);
    const checked = validateRows(job.rows, version.signature.inputs);
    if (!checked.ok) throw new KeelError('invalid_argument', checked.problems[0].message);
    return { version, predictions: await model.predict(checked.rows) };
  }

  /** Predicts checked rows, coalesced with concurrent requests to the same model (see MicroBatcher). */
  private predictBatched(model: ServableModel, rows: readonly ValidatedRow[]): Promise<Prediction[]> | Prediction[] {
    if (this.microBatch === false) return model.predict(rows);
    let batcher = this.batchers.get(model);
    if (!batcher) {
      batcher = new MicroBatcher((batch) => model.predict(batch), this.microBatch);
      this.batchers.set(model, batcher);
    }
    return batcher.submit(rows);
  }

  private endpoint(name: string): Promise<Endpoint> {
    const cached = this.policies.get(name);
    if (cached && performance.now() - cached.readAt < this.policyTtlMs) return cached.endpoint;
    const endpoint = this.metadata.getEndpoint(name).then((found) => {
      if (!found) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
      this.warm(found);
      return found;
    });
    endpoint.catch(() => this.policies.delete(name));
    this.policies.set(name, { endpoint, readAt: performance.now() });
    return endpoint;
  }

  /** Loads every version on the policy, the standby and the shadow too, so a switch to them is instant. */
  private warm(endpoint: Endpoint): void {
    for (const route of endpoint.policy.routes) {
      this.version(route.model, route.version)
        .then((v) => this.registry.loadServable(v))
        .catch(() => {}); // a version that fails to load fails its own requests, with their error
    }
  }

  private version(name: string, version: number): Promise<ModelVersion> {
    const key = `${name}@${version}`;
    let found = this.versions.get(key);
    if (!found) {
      found = this.metadata.getModelVersion(name, version).then((v) => {
        if (!v) throw notFound(`model version ${key} does not exist`, { field: 'model' });
        return v;
      });
      found.catch(() => this.versions.delete(key));
      this.versions.set(key, found);
    }
    return found;
  }
}

/** The route of a version the client asked for by number (KServe's `/versions/{v}` paths). */
function routeOfVersion(endpoint: Endpoint, version: number): TrafficRoute {
  const routes = endpoint.policy.routes.filter((r) => r.version === version);
  const route = routes.find((r) => r.percent > 0) ?? routes[0];
  if (!route) {
    const served = [...new Set(endpoint.policy.routes.map((r) => r.version))].join(', ');
    throw notFound(`endpoint "${endpoint.name}" serves no version ${version} (it serves ${served || 'none'})`, {
      field: 'version',
    });
  }
  return route;
}

function checkInstances(instances: unknown, maxRows: number): Row[] {
  if (!Array.isArray(instances)) {
    throw invalidArgument('"instances" must be an array of rows, e.g. {"instances": [{"tenure": 3, …}]}', {
      field: 'instances',
    });
  }
  if (instances.length === 0)
    throw invalidArgument('"instances" is empty: send at least one row', { field: 'instances' });
  if (instances.length > maxRows) {
    throw new KeelError('payload_too_large', `"instances" has ${instances.length} rows; the limit is ${maxRows}`, {
      field: 'instances',
    });
  }
  instances.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw invalidArgument(`row ${i} must be an object of column → value`, { row: i, field: 'instances' });
    }
  });
  return instances as Row[];
}

function outputOf(p: Prediction): Record<string, unknown> {
  return 'label' in p ? { label: p.label, probabilities: p.probabilities } : { value: p.value };
}
