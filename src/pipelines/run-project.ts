import type { Project } from '../core/index.js';
import type { Registry } from '../registry/index.js';
import type { ArtifactStore, MetadataStore } from '../store/index.js';
import type { Tracker } from '../tracking/index.js';
import { checkSplit, lifecyclePipeline, type LifecycleContext, type LifecycleOutputs } from './lifecycle.js';
import { checkCandidates } from './task.js';
import { LocalExecutor, type ExecutorOptions, type PipelineResult } from './local-executor.js';

export interface RunProjectOptions extends ExecutorOptions {
  readonly actor?: string;
}

/** Runs a project's lifecycle pipeline with the local executor. */
export async function runProject(
  project: Project,
  deps: {
    readonly metadata: MetadataStore;
    readonly artifacts: ArtifactStore;
    readonly registry: Registry;
    readonly tracker: Tracker;
  },
  options: RunProjectOptions = {},
): Promise<PipelineResult<LifecycleOutputs>> {
  const ctx: LifecycleContext = {
    project,
    stores: { metadata: deps.metadata, artifacts: deps.artifacts },
    registry: deps.registry,
    tracker: deps.tracker,
    actor: options.actor ?? 'keel run',
  };
  checkCandidates(project);
  checkSplit(project);
  const executor = new LocalExecutor(deps.metadata);
  return executor.run(lifecyclePipeline(project), ctx, options);
}
