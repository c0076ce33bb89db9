import {
  invalidArgument,
  KeelError,
  newId,
  notFound,
  type Endpoint,
  type ModelVersion,
  type PredictionRecord,
  type Row,
} from '../core/index.js';
import { validateRows } from '../data/index.js';
import type { Prediction, Registry } from '../registry/index.js';
import type { MetadataStore } from '../store/index.js';
import { PredictionLog } from './prediction-log.js';
import { chooseRoute } from './routing.js';

export interface ServingOptions {
  /** How long an endpoint's traffic policy is reused before it is read again (ms). */
  readonly policyTtlMs?: number;
  /** Largest batch one request may carry. */
  readonly maxRows?: number;
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
  private readonly policies = new Map<string, { endpoint: Promise<Endpoint>; readAt: number }>();
  private readonly versions = new Map<string, Promise<ModelVersion>>();
  private readonly policyTtlMs: number;
  private readonly maxRows: number;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly registry: Registry,
    options: ServingOptions = {},
  ) {
    this.policyTtlMs = options.policyTtlMs ?? 1000;
    this.maxRows = options.maxRows ?? 10_000;
    this.log = new PredictionLog(metadata, {
      onError: (error) => console.error('keel: prediction log write failed, will retry:', error),
    });
  }

  async predict(endpointName: string, instances: unknown): Promise<PredictResult> {
    const started = performance.now();
    const endpoint = await this.endpoint(endpointName);
    const rows = checkInstances(instances, this.maxRows);
    const route = chooseRoute(endpoint.policy, rows[0]);
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
    const predictions = await model.predict(checked.rows);
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
    return { predictions: withIds, model: { name: version.name, version: version.version }, variant: route.variant };
  }

  /** Records the outcome of one HTTP request (the software metrics of monitoring). */
  recordRequest(endpoint: string, status: number, rows: number, latencyMs: number, errorCode: string | null): void {
    this.log.addRequest({ endpoint, status, rows, latencyMs, errorCode, at: new Date().toISOString() });
  }

  /** Forgets cached policies, so the next request reads them again. */
  invalidate(endpointName?: string): void {
    if (endpointName) this.policies.delete(endpointName);
    else this.policies.clear();
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private endpoint(name: string): Promise<Endpoint> {
    const cached = this.policies.get(name);
    if (cached && performance.now() - cached.readAt < this.policyTtlMs) return cached.endpoint;
    const endpoint = this.metadata.getEndpoint(name).then((found) => {
      if (!found) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
      return found;
    });
    endpoint.catch(() => this.policies.delete(name));
    this.policies.set(name, { endpoint, readAt: performance.now() });
    return endpoint;
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
