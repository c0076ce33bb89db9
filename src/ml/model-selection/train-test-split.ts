import { KeelError, type DenseMatrix } from '../../core/index.js';
import { show, type TargetInput } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { Rng } from '../random.js';
import { takeRows, takeTargets } from './rows.js';
import {
  fromMask,
  groupByClass,
  labelsToStratify,
  rowCount,
  testRowCount,
  type SplitIndices,
  type SplitInput,
} from './splits.js';

export interface TrainTestSplitOptions {
  /** A fraction of the rows in (0, 1), or a row count ≥ 1. Default 0.2. */
  readonly testSize?: number;
  /** Default 0: splits are reproducible unless a seed is chosen. */
  readonly seed?: number;
  /** Keep each class's share in both parts; needs labels as the first argument. */
  readonly stratify?: boolean;
}

/** X and y split into train and test parts, X in the form it was given, with the row indices. */
export interface SplitArrays<X extends MatrixInput> extends SplitIndices {
  readonly XTrain: X;
  readonly XTest: X;
  readonly yTrain: TargetInput;
  readonly yTest: TargetInput;
}

/**
 * A seeded random train/test split (default 80/20). Stratified splits give each class
 * the same share of the test set as of the whole, to within one row per class.
 *
 * `trainTestSplit(n | y, options)` returns the train and test row indices;
 * `trainTestSplit(X, y, options)` returns the rows themselves as well, as scikit-learn's
 * `train_test_split(X, y)` does (`stratify: true` stratifies by y).
 */
export function trainTestSplit(data: SplitInput, options?: TrainTestSplitOptions): SplitIndices;
export function trainTestSplit<X extends MatrixInput, Y extends TargetInput>(
  X: X,
  y: Y,
  options?: TrainTestSplitOptions,
): SplitArrays<X>;
export function trainTestSplit(
  first: SplitInput | MatrixInput,
  second?: TargetInput | TrainTestSplitOptions,
  third?: TrainTestSplitOptions,
): SplitIndices | SplitArrays<MatrixInput> {
  if (Array.isArray(second) || ArrayBuffer.isView(second)) {
    return splitArrays(first as MatrixInput, second as TargetInput, third ?? {});
  }
  return splitIndices(first as SplitInput, (second as TrainTestSplitOptions | undefined) ?? {});
}

function splitIndices(data: SplitInput, options: TrainTestSplitOptions): SplitIndices {
  if (options.stratify && typeof data === 'number') {
    throw new KeelError('invalid_argument', 'stratify needs the labels, not a row count: pass y', {
      field: 'stratify',
    });
  }
  const { codes, classes } = options.stratify ? labelsToStratify(data) : { codes: null, classes: [] };
  const n = rowCount(data);
  const nTest = testRowCount(options.testSize ?? 0.2, n);
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

function splitArrays(X: MatrixInput, y: TargetInput, options: TrainTestSplitOptions): SplitArrays<MatrixInput> {
  const n = isDense(X) ? X.rows : X.length;
  if (y.length !== n) {
    throw new KeelError('invalid_argument', `X has ${n} rows but y has ${y.length} values`, {
      field: 'y',
      expected: n,
      actual: y.length,
    });
  }
  const indices = splitIndices(options.stratify ? (y as SplitInput) : n, options);
  const rowsOf = (rows: Uint32Array): MatrixInput =>
    isDense(X) ? takeRows(X, rows) : Array.from(rows, (row) => X[row]);
  return {
    ...indices,
    XTrain: rowsOf(indices.train),
    XTest: rowsOf(indices.test),
    yTrain: takeTargets(y, indices.train),
    yTest: takeTargets(y, indices.test),
  };
}

function isDense(X: MatrixInput): X is DenseMatrix {
  return !Array.isArray(X) && typeof X === 'object' && 'data' in X;
}
