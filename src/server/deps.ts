import type { Registry } from '../registry/index.js';
import type { ServingRuntime } from '../serving/index.js';
import type { ArtifactStore, MetadataStore } from '../store/index.js';

/** What the HTTP server is built from. */
export interface ServerDeps {
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  readonly registry: Registry;
  readonly runtime: ServingRuntime;
  /** Folder with the built dashboard; default `dist/web` of the package. */
  readonly webRoot?: string;
  readonly logger?: boolean;
  /** Largest request body in bytes. */
  readonly bodyLimit?: number;
}
