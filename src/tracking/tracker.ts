import { hostname, platform, release } from 'node:os';
import type { MetricPoint, ParamValue, Run, RunSource } from '../core/index.js';
import type { ArtifactStore, MetadataStore, NewRun, RunPage } from '../store/index.js';
import { searchRuns, type RunSearchRequest } from './search-runs.js';
import { resolveRunSource, type RunSourceInput } from './source.js';

/** What `Tracker.startRun` takes: a new run, with its source given or read from a folder. */
export interface StartRunInput extends Omit<NewRun, 'source'> {
  readonly source?: RunSourceInput;
}

/**
 * The library API for logging from user code and from pipeline steps, in the spirit of MLflow:
 *
 *   const run = await tracker.startRun({ experiment: 'churn', name: 'lr', source: { dir: '.' } });
 *   await run.logParams({ C: 1 });
 *   await run.logMetric('loss', 0.41, 1);
 *   await run.setNote('baseline with default features');
 *   await run.end();
 *
 * Every convenience is built on the store's one primitive, `logBatch`.
 */
export class Tracker {
  constructor(
    private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore },
    private readonly keelVersion = 'dev',
  ) {}

  /**
   * Starts a run, tagged with the environment (Keel, Node, OS, host). `source.dir` records the
   * git commit checked out there, when it is a git checkout.
   */
  async startRun(input: StartRunInput): Promise<ActiveRun> {
    const source = await resolveRunSource(input.source);
    const run = await this.stores.metadata.createRun({
      ...input,
      source,
      tags: { ...environmentTags(this.keelVersion), ...input.tags },
    });
    return new ActiveRun(run.id, this.stores, run.source);
  }

  /** Resumes logging to an existing run (e.g. the evaluate step continuing what train began). */
  resume(runId: string): ActiveRun {
    return new ActiveRun(runId, this.stores);
  }

  getRun(runId: string): Promise<Run | null> {
    return this.stores.metadata.getRun(runId);
  }

  /** Every point of a metric's series, in step order. */
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return this.stores.metadata.getMetricHistory(runId, key);
  }

  /** `searchRuns` over this tracker's store. */
  searchRuns(request: RunSearchRequest = {}): Promise<RunPage> {
    return searchRuns(this.stores.metadata, request);
  }
}

export class ActiveRun {
  constructor(
    readonly id: string,
    private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore },
    /** The source recorded when this process started the run; null for a resumed run. */
    readonly source: RunSource | null = null,
  ) {}

  logParam(key: string, value: ParamValue): Promise<void> {
    return this.logParams({ [key]: value });
  }

  logParams(params: Record<string, ParamValue>): Promise<void> {
    return this.stores.metadata.logBatch(this.id, { params });
  }

  /** One point of the metric's series at `step`; the store keeps every point. */
  logMetric(key: string, value: number, step = 0): Promise<void> {
    return this.logMetrics({ [key]: value }, step);
  }

  logMetrics(metrics: Record<string, number>, step = 0): Promise<void> {
    const entries = Object.entries(metrics)
      .filter(([, value]) => Number.isFinite(value))
      .map(([key, value]) => ({ key, value, step }));
    return this.stores.metadata.logBatch(this.id, { metrics: entries });
  }

  setTag(key: string, value: string): Promise<void> {
    return this.setTags({ [key]: value });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    return this.stores.metadata.logBatch(this.id, { tags });
  }

  /** Replaces the run's note, its description in the author's words. */
  setNote(note: string): Promise<void> {
    return this.stores.metadata.logBatch(this.id, { note });
  }

  /** Stores bytes in the artifact store and records them on the run under `path`. */
  async logArtifact(path: string, data: Uint8Array | string): Promise<string> {
    const ref = await this.stores.artifacts.put(data);
    await this.stores.metadata.logArtifact(this.id, { path, digest: ref.digest, size: ref.size });
    return ref.digest;
  }

  getMetricHistory(key: string): Promise<MetricPoint[]> {
    return this.stores.metadata.getMetricHistory(this.id, key);
  }

  end(status: 'finished' | 'failed' = 'finished'): Promise<Run> {
    return this.stores.metadata.endRun(this.id, status);
  }
}

function environmentTags(keelVersion: string): Record<string, string> {
  return {
    'keel.version': keelVersion,
    'env.node': process.version,
    'env.os': `${platform()} ${release()}`,
    'env.host': hostname(),
  };
}
