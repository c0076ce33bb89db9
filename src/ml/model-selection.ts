import { KeelError } from '../core/index.js';
import { encodeLabels, show, type ClassLabel } from './labels.js';
import { Rng } from './random.js';

/** Row indices of one split, each ascending (so gathering rows walks memory forward). */
export interface SplitIndices {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

export interface TrainTestSplitOptions {
  /** A fraction of the rows in (0, 1), or a row count ≥ 1. Default 0.2. */
  readonly testSize?: number;
  /** Default 0: splits are reproducible unless a seed is chosen. */
  readonly seed?: number;
  /** Keep each class's share in both parts; needs labels as the first argument. */
  readonly stratify?: boolean;
}

/** The rows (a count, or the labels) and, when stratifying, their class codes. */
function rowsOf(
  data: number | ArrayLike<ClassLabel>,
  stratify: boolean,
): { n: number; codes: Int32Array | null; classes: ClassLabel[] } {
  if (typeof data === 'number') {
    if (!Number.isSafeInteger(data) || data < 0) {
      throw new KeelError('invalid_argument', `the row count must be a non-negative integer, got ${data}`, {
        field: 'n',
      });
    }
    if (stratify) {
      throw new KeelError('invalid_argument', 'stratify needs the labels, not a row count: pass y', {
        field: 'stratify',
      });
    }
    return { n: data, codes: null, classes: [] };
  }
  if (!stratify) {
    if (!Array.isArray(data) && !ArrayBuffer.isView(data)) {
      throw new KeelError('invalid_argument', 'pass the row count or the labels (an array)', { field: 'y' });
    }
    return { n: data.length, codes: null, classes: [] };
  }
  const { codes, classes } = encodeLabels(data, { field: 'y' });
  return { n: codes.length, codes, classes };
}

function testCount(testSize: number, n: number): number {
  const count = testSize < 1 ? Math.ceil(testSize * n) : testSize;
  const valid = testSize > 0 && (testSize < 1 || Number.isSafeInteger(testSize));
  if (!valid || count < 1 || count > n - 1) {
    throw new KeelError(
      'invalid_argument',
      `testSize ${testSize} does not split ${n} rows: use a fraction in (0, 1) or a count from 1 to ${n - 1} that leaves rows on both sides`,
      { field: 'testSize' },
    );
  }
  return count;
}

/**
 * A seeded random train/test split (default 80/20). Stratified splits give each class
 * the same share of the test set as of the whole, to within one row per class.
 */
export function trainTestSplit(
  data: number | ArrayLike<ClassLabel>,
  options: TrainTestSplitOptions = {},
): SplitIndices {
  const stratify = options.stratify ?? false;
  const { n, codes, classes } = rowsOf(data, stratify);
  const nTest = testCount(options.testSize ?? 0.2, n);
  const rng = new Rng(options.seed ?? 0);
  const inTest = new Uint8Array(n);

  if (codes === null) {
    const order = rng.permutation(n);
    for (let i = 0; i < nTest; i++) inTest[order[i]] = 1;
  } else {
    const members = groupByClass(codes, classes.length);
    members.forEach((rows, c) => {
      if (rows.length < 2) {
        throw new KeelError(
          'invalid_argument',
          `class ${show(classes[c])} has only ${rows.length} row; a stratified split needs at least 2 per class (merge or drop rare classes, or split without stratify)`,
          { field: 'y' },
        );
      }
    });
    if (nTest < classes.length || n - nTest < classes.length) {
      throw new KeelError(
        'invalid_argument',
        `a stratified split of ${classes.length} classes needs at least ${classes.length} rows on each side; testSize gives ${nTest} test and ${n - nTest} train rows`,
        { field: 'testSize' },
      );
    }
    const quota = apportion(
      members.map((rows) => rows.length),
      nTest,
    );
    members.forEach((rows, c) => {
      rng.shuffle(rows);
      for (let i = 0; i < quota[c]; i++) inTest[rows[i]] = 1;
    });
  }
  return fromMask(inTest, nTest);
}

export interface KFoldOptions {
  /** Number of folds, ≥ 2. Default 5. */
  readonly folds?: number;
  /** Shuffle rows before dealing them into folds. Default true (scikit-learn's default is false). */
  readonly shuffle?: boolean;
  readonly seed?: number;
  /** Give every fold each class's share; needs labels as the first argument. */
  readonly stratify?: boolean;
}

/**
 * k-fold cross-validation splits: every row is in exactly one test fold, and fold sizes
 * differ by at most one. Stratified folds deal each class's rows across folds in turn, so
 * each class's count per fold also differs by at most one (as scikit-learn's StratifiedKFold).
 */
export function kFold(data: number | ArrayLike<ClassLabel>, options: KFoldOptions = {}): SplitIndices[] {
  const folds = options.folds ?? 5;
  const shuffle = options.shuffle ?? true;
  const { n, codes, classes } = rowsOf(data, options.stratify ?? false);
  if (!Number.isSafeInteger(folds) || folds < 2 || folds > n) {
    throw new KeelError('invalid_argument', `folds must be an integer from 2 to the row count ${n}, got ${folds}`, {
      field: 'folds',
    });
  }
  const rng = new Rng(options.seed ?? 0);
  const foldOf = new Int32Array(n);
  if (codes === null) {
    const order = shuffle ? rng.permutation(n) : Uint32Array.from({ length: n }, (_, i) => i);
    // The first n mod k folds take one extra row.
    const base = Math.floor(n / folds);
    const extra = n % folds;
    let position = 0;
    for (let f = 0; f < folds; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let i = 0; i < size; i++) foldOf[order[position++]] = f;
    }
  } else {
    // Dealing rows class after class, continuing the turn, balances classes and fold sizes at once.
    let turn = 0;
    for (const rows of groupByClass(codes, classes.length)) {
      if (shuffle) rng.shuffle(rows);
      for (const row of rows) foldOf[row] = turn++ % folds;
    }
  }
  const splits: SplitIndices[] = [];
  for (let f = 0; f < folds; f++) {
    const inTest = new Uint8Array(n);
    let nTest = 0;
    for (let i = 0; i < n; i++) {
      if (foldOf[i] === f) {
        inTest[i] = 1;
        nTest++;
      }
    }
    splits.push(fromMask(inTest, nTest));
  }
  return splits;
}

function groupByClass(codes: Int32Array, nClasses: number): Uint32Array[] {
  const counts = new Int32Array(nClasses);
  for (const c of codes) counts[c]++;
  const groups = Array.from(counts, (count) => new Uint32Array(count));
  const filled = new Int32Array(nClasses);
  for (let i = 0; i < codes.length; i++) groups[codes[i]][filled[codes[i]]++] = i;
  return groups;
}

/**
 * Splits `total` across groups in proportion to `sizes`: floors first, then one more to the
 * groups with the largest remainders (earlier groups win ties).
 */
function apportion(sizes: number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((size) => (size * total) / sum);
  const quota = exact.map(Math.floor);
  let left = total - quota.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, i) => ({ i, remainder: value - quota[i] }))
    .sort((a, b) => b.remainder - a.remainder);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    quota[i]++;
    left--;
  }
  return quota;
}

function fromMask(inTest: Uint8Array, nTest: number): SplitIndices {
  const test = new Uint32Array(nTest);
  const train = new Uint32Array(inTest.length - nTest);
  let t = 0;
  let r = 0;
  for (let i = 0; i < inTest.length; i++) {
    if (inTest[i] === 1) test[t++] = i;
    else train[r++] = i;
  }
  return { train, test };
}
