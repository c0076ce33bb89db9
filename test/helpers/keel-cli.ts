import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { packageRoot } from '../../src/core/index.js';

const run = promisify(execFile);

/** The built `keel` binary (`npm run build:lib` makes it; `npm test` builds first). */
export const keelBinary = join(packageRoot, 'dist', 'src', 'cli', 'main.js');

export interface KeelResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KeelInvocation {
  /** The workspace (KEEL_HOME). */
  readonly home: string;
  /** KEEL_DATABASE_URL; default empty, which means the workspace's SQLite file. */
  readonly databaseUrl?: string;
  /** Where the command runs; default `home`. */
  readonly cwd?: string;
  /** More environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs the built `keel` binary the way a user does, never throwing: the exit code is in the result. */
export async function runKeel(invocation: KeelInvocation, ...args: string[]): Promise<KeelResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [keelBinary, ...args], {
      env: {
        ...process.env,
        KEEL_HOME: invocation.home,
        KEEL_DATABASE_URL: invocation.databaseUrl ?? '',
        ...invocation.env,
      },
      cwd: invocation.cwd ?? invocation.home,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `keel …` in the workspace `home`. */
export function keel(home: string, ...args: string[]): Promise<KeelResult> {
  return runKeel({ home }, ...args);
}

/** Runs keel with `--json`, expecting exit code 0, and returns its stdout parsed. */
export async function keelJson<T>(home: string, ...args: string[]): Promise<T> {
  const result = await keel(home, ...args, '--json');
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}
