import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The load generator of the serving benchmark: Debian's `wrk` (C, event-driven, so it needs
 * a fraction of a core where the servers need all of one). Missing, it is installed with
 * apt-get when this process is root; otherwise the error says what to run.
 */
export function findWrk(log: (line: string) => void): string {
  const wrk = process.env.KEEL_BENCH_WRK ?? 'wrk';
  const version = (): string | null => {
    const result = spawnSync(wrk, ['-v'], { encoding: 'utf8' });
    if (result.error) return null;
    return /wrk (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'unknown';
  };
  if (version()) return wrk;
  const install = 'apt-get update && apt-get install -y wrk';
  if (process.getuid?.() !== 0) {
    throw new Error(`the serving benchmark needs wrk, and installing it needs root: run \`sudo ${install}\``);
  }
  log(`wrk missing: ${install}`);
  const inherit = { stdio: ['ignore', process.stderr, process.stderr] as ('ignore' | NodeJS.WriteStream)[] };
  const steps = [spawnSync('apt-get', ['update'], inherit), spawnSync('apt-get', ['install', '-y', 'wrk'], inherit)];
  if (steps.some((step) => step.status !== 0) || !version()) throw new Error('installing wrk failed (see above)');
  return wrk;
}

export function wrkVersion(wrk: string): string {
  const result = spawnSync(wrk, ['-v'], { encoding: 'utf8' });
  return /wrk (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'unknown';
}

export interface WrkRun {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Socket errors and non-2xx answers; a valid run has none. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface WrkLoad {
  readonly url: string;
  /** The JSON body POSTed with every request. */
  readonly body: string;
  readonly connections: number;
  readonly seconds: number;
  /** Each connection waits this long after an answer before its next request (rate-limited load). */
  readonly delayMs?: number;
}

/**
 * One wrk run: one thread, `connections` keep-alive connections, one request in flight per
 * connection (wrk never pipelines unless a script asks it to). A Lua script sets the request
 * and prints the summary as JSON.
 */
export async function runWrk(wrk: string, dir: string, load: WrkLoad): Promise<WrkRun> {
  const bodyFile = join(dir, 'wrk-body.json');
  writeFileSync(bodyFile, load.body);
  const script = join(dir, `wrk-${load.delayMs ?? 0}.lua`);
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["content-type"] = "application/json"',
      `local file = io.open(${JSON.stringify(bodyFile)}, "rb")`,
      'wrk.body = file:read("*a")',
      'file:close()',
      ...(load.delayMs ? [`delay = function() return ${Math.round(load.delayMs)} end`] : []),
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(\'KEEL_WRK {"requests":%d,"us":%d,"errors":%d,"p50":%d,"p99":%d,"max":%d}\\n\',',
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,',
      '    latency:percentile(50), latency:percentile(99), latency.max))',
      'end',
    ].join('\n'),
  );
  const args = ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--timeout', '10s', '-s', script, load.url];
  const { stdout } = await run(wrk, args, { maxBuffer: 1 << 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('KEEL_WRK '));
  if (!line) throw new Error(`wrk printed no summary: ${stdout.slice(-500)}`);
  const raw = JSON.parse(line.slice('KEEL_WRK '.length)) as Record<string, number>;
  const seconds = raw.us / 1e6;
  return {
    requests: raw.requests,
    seconds,
    requestsPerSecond: raw.requests / seconds,
    errors: raw.errors,
    p50Ms: raw.p50 / 1000,
    p99Ms: raw.p99 / 1000,
    maxMs: raw.max / 1000,
  };
}
