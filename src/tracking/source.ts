import { execFile } from 'node:child_process';
import type { RunSource } from '../core/index.js';

/** Where a run comes from, as `Tracker.startRun` takes it. */
export interface RunSourceInput {
  /** sha256 (hex) of the configuration, e.g. of the project file. */
  readonly configHash?: string | null;
  /** The code's commit; read from `dir` when omitted. */
  readonly gitCommit?: string | null;
  /** The project folder: its `git rev-parse HEAD` becomes `gitCommit` (none outside a git checkout). */
  readonly dir?: string;
}

const GIT_TIMEOUT_MS = 5_000;
const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * The commit checked out in `dir` (`git rev-parse HEAD`), or null when there is none to read:
 * no git installed, not a checkout, a repository without commits, a folder git refuses.
 * Never fails: a run without a commit is still a run.
 */
export function gitCommitOf(dir: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['rev-parse', '--verify', '--quiet', 'HEAD'],
      // Reading HEAD must not take the index lock a concurrent `git` may hold.
      { cwd: dir, timeout: GIT_TIMEOUT_MS, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } },
      (error, stdout) => {
        const commit = String(stdout ?? '').trim();
        resolve(error || !COMMIT.test(commit) ? null : commit);
      },
    );
  });
}

/** The source to record: what was given, with the git commit read from `dir` when not given. */
export async function resolveRunSource(input: RunSourceInput | undefined): Promise<RunSource> {
  const gitCommit =
    input?.gitCommit !== undefined ? input.gitCommit : input?.dir !== undefined ? await gitCommitOf(input.dir) : null;
  return { configHash: input?.configHash ?? null, gitCommit };
}
