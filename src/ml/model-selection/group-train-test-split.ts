import { KeelError } from '../../core/index.js';
import { encodeLabels, type ClassLabel } from '../labels.js';
import { Rng } from '../random.js';
import { fromMask, testRowCount, type SplitIndices } from './splits.js';

export interface GroupTrainTestSplitOptions {
  /**
   * The share of rows to hold out, in (0, 1), or a row count. Default 0.2. Whole groups are
   * moved, so the test set has the group sizes' nearest total to it.
   */
  readonly testSize?: number;
  /** Default 0: splits are reproducible unless a seed is chosen. */
  readonly seed?: number;
}

/**
 * A seeded train/test split that keeps all rows of a group (a customer, a patient, a store) on
 * one side, so a model is never tested on a group it learned from — scikit-learn's
 * `GroupShuffleSplit` with one split. The groups are shuffled and the test set takes them in
 * that order, as many as bring its row count nearest `testSize` of the rows; each side keeps at
 * least one group. (scikit-learn's `test_size` counts groups; here it is a share of the rows,
 * so groups of very different sizes still give the test set the share asked for.)
 */
export function groupTrainTestSplit(
  groups: ArrayLike<ClassLabel>,
  options: GroupTrainTestSplitOptions = {},
): SplitIndices {
  const { codes, classes } = encodeLabels(groups, { field: 'groups' });
  const n = codes.length;
  if (classes.length < 2) {
    throw new KeelError(
      'invalid_argument',
      `every row is in one group; a group split needs at least 2 groups (got ${classes.length})`,
      { field: 'groups' },
    );
  }
  const target = testRowCount(options.testSize ?? 0.2, n);
  const sizes = new Float64Array(classes.length);
  for (const g of codes) sizes[g]++;

  const order = new Rng(options.seed ?? 0).permutation(classes.length);
  let taken = 0;
  let rows = 0;
  let bestTaken = 1;
  let bestGap = Infinity;
  // The prefix of the shuffled groups whose row count is nearest the target; earlier wins ties.
  while (taken < classes.length - 1 && rows < target) {
    rows += sizes[order[taken++]];
    const gap = Math.abs(rows - target);
    if (gap < bestGap) {
      bestGap = gap;
      bestTaken = taken;
    }
  }
  const inTestGroup = new Uint8Array(classes.length);
  for (let k = 0; k < bestTaken; k++) inTestGroup[order[k]] = 1;
  const inTest = new Uint8Array(n);
  let nTest = 0;
  for (let i = 0; i < n; i++) {
    inTest[i] = inTestGroup[codes[i]];
    nTest += inTest[i];
  }
  return fromMask(inTest, nTest);
}
