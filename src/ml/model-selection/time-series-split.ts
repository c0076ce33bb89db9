import { KeelError } from '../../core/index.js';
import { show } from '../labels.js';
import { checkSplits, range, rowCount, type CrossValidator, type SplitIndices, type SplitInput } from './splits.js';

export interface TimeSeriesSplitOptions {
  /** Number of splits, ≥ 2. Default 5. */
  readonly nSplits?: number;
  /** Train on at most this many of the latest rows before each test block. Default: all earlier rows. */
  readonly maxTrainSize?: number | null;
  /** Rows per test block. Default: n / (nSplits + 1), rounded down. */
  readonly testSize?: number | null;
  /** Rows left out between the end of the training rows and the test block. Default 0. */
  readonly gap?: number;
}

function checkCount(value: number, field: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new KeelError('invalid_argument', `${field} must be an integer ≥ ${min}, got ${show(value)}`, { field });
  }
  return value;
}

/**
 * scikit-learn's `TimeSeriesSplit` for rows in time order: each test block follows its
 * training rows, so a model is never scored on rows older than what it learned from. The
 * test blocks tile the end of the data; the folds are exactly scikit-learn's.
 */
export class TimeSeriesSplit implements CrossValidator {
  readonly nSplits: number;
  readonly maxTrainSize: number | null;
  readonly testSize: number | null;
  readonly gap: number;

  constructor(options: TimeSeriesSplitOptions = {}) {
    this.nSplits = checkSplits(options.nSplits ?? 5);
    this.maxTrainSize = options.maxTrainSize == null ? null : checkCount(options.maxTrainSize, 'maxTrainSize', 1);
    this.testSize = options.testSize == null ? null : checkCount(options.testSize, 'testSize', 1);
    this.gap = checkCount(options.gap ?? 0, 'gap', 0);
  }

  split(data: SplitInput): SplitIndices[] {
    const n = rowCount(data);
    const folds = this.nSplits + 1;
    if (folds > n) {
      throw new KeelError(
        'invalid_argument',
        `nSplits is ${this.nSplits}, which needs at least ${folds} rows, but there are ${n}`,
        { field: 'nSplits' },
      );
    }
    const testSize = this.testSize ?? Math.floor(n / folds);
    if (n - this.gap - testSize * this.nSplits <= 0) {
      throw new KeelError(
        'invalid_argument',
        `${this.nSplits} splits of ${testSize} test rows with a gap of ${this.gap} leave no training rows out of ${n}`,
        { field: 'nSplits' },
      );
    }
    const splits: SplitIndices[] = [];
    for (let testStart = n - this.nSplits * testSize; testStart < n; testStart += testSize) {
      const trainEnd = testStart - this.gap;
      const trainStart = this.maxTrainSize !== null && this.maxTrainSize < trainEnd ? trainEnd - this.maxTrainSize : 0;
      splits.push({ train: range(trainStart, trainEnd), test: range(testStart, testStart + testSize) });
    }
    return splits;
  }
}
