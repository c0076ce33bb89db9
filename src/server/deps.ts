import type { DriftSettings } from '../monitoring/index.js';
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
  /** Headers every response carries (`x-keel-worker` under `keel server --workers N`). */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** The drift tests and thresholds of monitoring (the project file's `monitoring.drift`); default auto. */
  readonly drift?: DriftSettings;
  /** Largest request body in bytes. */
  readonly bodyLimit?: number;
}
