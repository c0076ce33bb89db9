import { userInfo } from 'node:os';
import type { AliasEvent, ModelVersion } from '../../core/index.js';
import { openWorkspace, type Workspace } from '../../server/index.js';

/** Runs `work` with the workspace open, closing it however `work` ends. */
export async function withWorkspace<T>(work: (workspace: Workspace) => Promise<T>): Promise<T> {
  const workspace = await openWorkspace();
  try {
    return await work(workspace);
  } finally {
    await workspace.close();
  }
}

/** Who runs the command, for the alias history: `$KEEL_ACTOR`, else the login name. */
export function cliActor(): string {
  if (process.env.KEEL_ACTOR?.trim()) return process.env.KEEL_ACTOR.trim();
  try {
    return userInfo().username || 'cli';
  } catch {
    // No user entry for this uid (some containers).
    return 'cli';
  }
}

export function describeMove(event: AliasEvent): string {
  if (event.fromVersion === null) return `set to v${event.toVersion}`;
  if (event.toVersion === null) return `removed from v${event.fromVersion}`;
  return `v${event.fromVersion} → v${event.toVersion}`;
}

/** blessed / not blessed / not gated, as the tables show a version's gate decision. */
export function gateStatus(version: ModelVersion): string {
  if (!version.blessing) return 'not gated';
  return version.blessing.passed ? 'blessed' : 'not blessed';
}
