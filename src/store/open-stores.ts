import type { WorkspaceConfig } from '../core/index.js';
import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';
import type { MetadataStore } from './metadata-store.js';
import { openMetadataStore } from './sql/open-metadata-store.js';

export interface Stores {
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  close(): Promise<void>;
}

/** The workspace's metadata store (migrated) and artifact store. */
export async function openStores(config: WorkspaceConfig): Promise<Stores> {
  const metadata = await openMetadataStore(config.databaseUrl);
  return {
    metadata,
    artifacts: new LocalArtifactStore(config.artifactsDir),
    close: () => metadata.close(),
  };
}
