import { hostname, platform, release } from 'node:os';
import type { ParamValue, Run } from '../core/index.js';
import type { ArtifactStore, MetadataStore, NewRun } from '../store/index.js';

/**
 * The library API for logging from user code and from pipeline steps, in the spirit of MLflow:
 *
 *   const run = await tracker.startRun({ experiment: 'churn', name: 'lr' });
 *   await run.logParams({ C: 1 });
 *   await run.logMetric('roc_auc', 0.84);
 *   await run.end();
 *
 * Every convenience is built on the store's one primitive, `logBatch`.
 */
export class Tracker {
  constructor(
    private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore },
    private readonly keelVersion = 'dev',
  ) {}

  async startRun(input: NewRun): Promise<ActiveRun> {
    const run = await this.stores.metadata.createRun({
      ...input,
      tags: { ...environmentTags(this.keelVersion), ...input.tags },
    });
    return new ActiveRun(run.id, this.stores);
  }

  /** Resumes logging to an existing run (e.g. the evaluate step continuing what train began). */
  resume(runId: string): ActiveRun {
    return new ActiveRun(runId, this.stores);
  }
}

export class ActiveRun {
  constructor(
    readonly id: string,
    private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore },
  ) {}

  logParams(params: Record<string, ParamValue>): Promise<void> {
    return this.stores.metadata.logBatch(this.id, { params });
  }

  logMetric(key: string, value: number, step = 0): Promise<void> {
    return this.logMetrics({ [key]: value }, step);
  }

  logMetrics(metrics: Record<string, number>, step = 0): Promise<void> {
    const entries = Object.entries(metrics)
      .filter(([, value]) => Number.isFinite(value))
      .map(([key, value]) => ({ key, value, step }));
    return this.stores.metadata.logBatch(this.id, { metrics: entries });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    return this.stores.metadata.logBatch(this.id, { tags });
  }

  /** Stores bytes in the artifact store and records them on the run under `path`. */
  async logArtifact(path: string, data: Uint8Array | string): Promise<string> {
    const ref = await this.stores.artifacts.put(data);
    await this.stores.metadata.logArtifact(this.id, { path, digest: ref.digest, size: ref.size });
    return ref.digest;
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
