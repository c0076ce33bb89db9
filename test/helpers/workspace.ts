import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceConfig } from '../../src/core/index.js';
import { openWorkspace, type Workspace } from '../../src/server/index.js';

/** A workspace in a fresh temp folder (SQLite + local artifacts), removed by `dispose`. */
export async function tempWorkspace(): Promise<Workspace & { dispose(): Promise<void>; home: string }> {
  const home = mkdtempSync(join(tmpdir(), 'keel-test-'));
  const ws = await openWorkspace(workspaceConfig({ KEEL_HOME: home }));
  return {
    ...ws,
    home,
    dispose: async () => {
      await ws.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
