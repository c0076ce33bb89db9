/**
 * Keel as a library: `import { … } from 'keel'`.
 *
 * Estimators and metrics (ml), transforms (features), data import and validation (data),
 * tracking, the registry, pipelines, serving, monitoring, and the server itself.
 */
export * from './core/index.js';
export * from './store/index.js';
export * from './data/index.js';
export * from './features/index.js';
export * from './ml/index.js';
export * from './tracking/index.js';
export * from './registry/index.js';
export * from './pipelines/index.js';
export * from './serving/index.js';
export * from './monitoring/index.js';
export * from './server/index.js';
