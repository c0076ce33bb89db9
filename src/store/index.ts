export type * from './metadata-store.js';
export type * from './artifact-store.js';
export { openStores, type Stores } from './open-stores.js';
export { openMetadataStore, parseDatabaseUrl, type DatabaseLocation } from './sql/open-metadata-store.js';
export { LocalArtifactStore } from './local/local-artifact-store.js';
