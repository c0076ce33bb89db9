import { KeelError } from '../../core/index.js';
import { Rng } from '../random.js';
import {
  checkRowsForSplits,
  checkSplits,
  fromFoldNumbers,
  rowCount,
  type CrossValidator,
  type SplitIndices,
  type SplitInput,
} from './splits.js';
import { StratifiedKFold } from './stratified-k-fold.js';

export interface KFoldOptions {
  /** Number of folds, ≥ 2. Default 5. */
  readonly nSplits?: number;
  /** Shuffle rows before cutting them into folds. Default false, as scikit-learn. */
  readonly shuffle?: boolean;
  /** Seeds the shuffle. Default 0. */
  readonly seed?: number;
}

/**
 * scikit-learn's `KFold`: consecutive blocks of rows, the first n mod k one row larger.
 * Without shuffling the folds are exactly scikit-learn's.
 */
export class KFold implements CrossValidator {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly seed: number;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkSplits(options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
  }

  split(data: SplitInput): SplitIndices[] {
    const n = rowCount(data);
    checkRowsForSplits(n, this.nSplits);
    const order = this.shuffle ? new Rng(this.seed).permutation(n) : null;
    const foldOf = new Int32Array(n);
    const base = Math.floor(n / this.nSplits);
    const extra = n % this.nSplits;
    let position = 0;
    for (let f = 0; f < this.nSplits; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let i = 0; i < size; i++, position++) foldOf[order === null ? position : order[position]] = f;
    }
    return fromFoldNumbers(foldOf, this.nSplits);
  }
}

export interface KFoldShorthandOptions {
  /** Number of folds, ≥ 2. Default 5. */
  readonly folds?: number;
  /** Shuffle rows before dealing them into folds. Default true (scikit-learn's default is false). */
  readonly shuffle?: boolean;
  readonly seed?: number;
  /** Give every fold each class's share; needs labels as the first argument. */
  readonly stratify?: boolean;
}

/**
 * k-fold splits in one call: `KFold`, or `StratifiedKFold` with `stratify`, shuffled by
 * default. Every row is in exactly one test fold, and fold sizes differ by at most one.
 */
export function kFold(data: SplitInput, options: KFoldShorthandOptions = {}): SplitIndices[] {
  const folds = options.folds ?? 5;
  if (options.stratify && typeof data === 'number') {
    throw new KeelError('invalid_argument', 'stratify needs the labels, not a row count: pass y', {
      field: 'stratify',
    });
  }
  const n = rowCount(data);
  if (!Number.isSafeInteger(folds) || folds < 2 || folds > n) {
    throw new KeelError('invalid_argument', `folds must be an integer from 2 to the row count ${n}, got ${folds}`, {
      field: 'folds',
    });
  }
  const settings = { nSplits: folds, shuffle: options.shuffle ?? true, seed: options.seed ?? 0 };
  return options.stratify ? new StratifiedKFold(settings).split(data) : new KFold(settings).split(data);
}
