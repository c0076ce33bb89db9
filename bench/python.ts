import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's packages for the Python references: scikit-learn, SciPy and pandas. */
const PACKAGES = ['python3-sklearn', 'python3-scipy', 'python3-pandas'];

/**
 * The Python that runs the reference side of a benchmark: `KEEL_BENCH_PYTHON`, else Debian's
 * /usr/bin/python3. When it lacks `modules`, Debian's packages are installed if this process
 * is root; otherwise the error says what to run.
 */
export function findPython(modules: readonly string[], log: (line: string) => void): string {
  const python = process.env.KEEL_BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const check = (): boolean =>
    spawnSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
  if (check()) return python;
  const install = `apt-get update && apt-get install -y ${PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${modules.join(', ')} not installed for ${python}, and installing needs root. Run \`sudo ${install}\`, or pass --keel-only to time Keel alone.`,
    );
  }
  log(`${modules.join(', ')} missing for ${python}: ${install}`);
  const inherit = { stdio: ['ignore', process.stderr, process.stderr] as ('ignore' | NodeJS.WriteStream)[] };
  const steps = [
    spawnSync('apt-get', ['update'], inherit),
    spawnSync('apt-get', ['install', '-y', ...PACKAGES], inherit),
  ];
  if (steps.some((step) => step.status !== 0) || !check()) {
    throw new Error(`installing ${PACKAGES.join(', ')} failed (see above); fix it or pass --keel-only`);
  }
  return python;
}

/**
 * Runs `python script args…` limited to `threads` threads (OpenMP and BLAS) and parses the
 * one JSON object it prints.
 */
export async function callPython<T>(
  python: string,
  script: string,
  args: readonly string[],
  threads: number,
): Promise<T> {
  const n = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
  try {
    const { stdout } = await run(python, [script, ...args], { env, maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as T;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${script.split('/').pop()} ${args[0]} failed: ${stderr || String(error)}`);
  }
}
