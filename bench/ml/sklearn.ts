import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/core/index.js';

const run = promisify(execFile);

const SCRIPT = join(packageRoot, 'bench', 'ml', 'sklearn_bench.py');
const PACKAGES = ['python3-sklearn', 'python3-scipy', 'python3-pandas'];

/** Both sides run on this many threads. */
export const THREADS = 2;

/** One scikit-learn fit (and predict) as sklearn_bench.py reports it. */
export interface SklearnRun {
  readonly fitSeconds?: number;
  readonly predictSeconds?: number;
  readonly metric?: number;
}

export interface SklearnVersions {
  readonly python: string;
  readonly sklearn: string;
  readonly numpy: string;
  readonly scipy: string;
  readonly threadpools: unknown[];
}

/**
 * scikit-learn in a Python subprocess. Every call is a fresh process limited to THREADS
 * threads (OpenMP for histogram boosting, BLAS for lbfgs; n_jobs is passed per estimator),
 * and only fit and predict are timed, so process start and data loading do not count.
 */
export class SklearnSide {
  private constructor(readonly python: string) {}

  /**
   * Finds a Python with scikit-learn, installing Debian's packages when they are missing and
   * this process is root. Fails with what to do otherwise.
   */
  static async open(log: (line: string) => void): Promise<SklearnSide> {
    const python = process.env.KEEL_BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const check = (): boolean =>
      spawnSync(python, ['-c', 'import sklearn, scipy, numpy'], { stdio: 'ignore' }).status === 0;
    if (!check()) {
      const install = `apt-get update && apt-get install -y ${PACKAGES.join(' ')}`;
      if (process.getuid?.() !== 0) {
        throw new Error(
          `scikit-learn is not installed for ${python}, and installing it needs root. Run \`sudo ${install}\`, or pass --keel-only to time Keel alone.`,
        );
      }
      log(`scikit-learn is missing for ${python}: ${install}`);
      const inherit = { stdio: ['ignore', process.stderr, process.stderr] as ('ignore' | NodeJS.WriteStream)[] };
      const steps = [
        spawnSync('apt-get', ['update'], inherit),
        spawnSync('apt-get', ['install', '-y', ...PACKAGES], inherit),
      ];
      if (steps.some((step) => step.status !== 0) || !check()) {
        throw new Error(`installing ${PACKAGES.join(', ')} failed (see above); fix it or pass --keel-only`);
      }
    }
    return new SklearnSide(python);
  }

  versions(): Promise<SklearnVersions> {
    return this.call<SklearnVersions>(['versions']);
  }

  /** Writes make_classification data: `rows` rows, the first `train` for fitting. */
  generate(spec: { kind: 'classification'; rows: number; cols: number; train: number; seed: number }, out: string) {
    return this.call<{ rows: number }>(['generate', JSON.stringify(spec), out]);
  }

  /** Writes one of scikit-learn's bundled datasets (breast_cancer, wine, digits), shuffled once. */
  dataset(name: string, out: string): Promise<{ rows: number; cols: number; classes: number }> {
    return this.call(['dataset', name, out]);
  }

  fit(spec: Record<string, unknown>): Promise<SklearnRun> {
    return this.call<SklearnRun>(['run', JSON.stringify({ nJobs: THREADS, ...spec })]);
  }

  private async call<T>(args: string[]): Promise<T> {
    const threads = String(THREADS);
    const env = { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads };
    try {
      const { stdout } = await run(this.python, [SCRIPT, ...args], { env, maxBuffer: 1 << 20 });
      return JSON.parse(stdout) as T;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`scikit-learn ${args[0]} failed: ${stderr || String(error)}`);
    }
  }
}
