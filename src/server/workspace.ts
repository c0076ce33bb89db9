import { workspaceConfig, type WorkspaceConfig } from '../core/index.js';
import { keelVersion } from '../core/index.js';
import { Registry } from '../registry/index.js';
import { openStores, type ArtifactStore, type MetadataStore } from '../store/index.js';
import { Tracker } from '../tracking/index.js';

/** Everything a command or the server works with, opened from `$KEEL_HOME`. */
export interface Workspace {
  readonly config: WorkspaceConfig;
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  readonly registry: Registry;
  readonly tracker: Tracker;
  close(): Promise<void>;
}

export async function openWorkspace(config: WorkspaceConfig = workspaceConfig()): Promise<Workspace> {
  const stores = await openStores(config);
  const deps = { metadata: stores.metadata, artifacts: stores.artifacts };
  return {
    config,
    ...deps,
    registry: new Registry(deps),
    tracker: new Tracker(deps, keelVersion),
    close: () => stores.close(),
  };
}
