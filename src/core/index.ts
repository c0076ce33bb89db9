export * from './entities.js';
export * from './reports.js';
export * from './errors.js';
export * from './ids.js';
export * from './table.js';
export * from './project.js';
export * from './workspace.js';
export * from './version.js';
