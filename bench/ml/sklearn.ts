import { join } from 'node:path';
import { packageRoot } from '../../src/core/index.js';
import { callPython, findPython } from '../python.js';

const SCRIPT = join(packageRoot, 'bench', 'ml', 'sklearn_bench.py');

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

  /** Finds a Python with scikit-learn (see findPython). */
  static open(log: (line: string) => void): Promise<SklearnSide> {
    return Promise.resolve(new SklearnSide(findPython(['sklearn', 'scipy', 'numpy'], log)));
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

  private call<T>(args: string[]): Promise<T> {
    return callPython<T>(this.python, SCRIPT, args, THREADS);
  }
}
