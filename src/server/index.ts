export { createApp, type ServerDeps } from './app.js';
export { startServer, type RunningServer, type StartServerOptions } from './start-server.js';
export { openWorkspace, type Workspace } from './workspace.js';
export { referenceLoader } from './references.js';
