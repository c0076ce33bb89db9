import { KeelError } from '../../core/index.js';
import { Rng } from '../random.js';
import type { KFoldOptions } from './k-fold.js';
import {
  checkRowsForSplits,
  checkSplits,
  fromFoldNumbers,
  groupByClass,
  labelsToStratify,
  type CrossValidator,
  type SplitIndices,
  type SplitInput,
} from './splits.js';

/**
 * scikit-learn's `StratifiedKFold`: each fold gets each class's share of the rows. Classes
 * are dealt round-robin over the labels sorted by class (so per-class and total fold sizes
 * both differ by at most one), and each class's rows are assigned to folds in blocks, keeping
 * the data's order; shuffling permutes the blocks within a class. Without shuffling the
 * folds are exactly scikit-learn's.
 */
export class StratifiedKFold implements CrossValidator {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly seed: number;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkSplits(options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
  }

  split(y: SplitInput): SplitIndices[] {
    const k = this.nSplits;
    const { codes: sortedCodes, classes } = labelsToStratify(y);
    const n = sortedCodes.length;
    checkRowsForSplits(n, k);
    // scikit-learn numbers classes by first appearance here, which decides the round-robin order.
    const appearance = new Int32Array(classes.length).fill(-1);
    let seen = 0;
    for (const c of sortedCodes) if (appearance[c] < 0) appearance[c] = seen++;
    const codes = sortedCodes.map((c) => appearance[c]);
    const members = groupByClass(codes, classes.length);
    if (members.every((rows) => rows.length < k)) {
      throw new KeelError(
        'invalid_argument',
        `nSplits is ${k} but no class has that many rows (the largest has ${Math.max(...members.map((r) => r.length))})`,
        { field: 'nSplits' },
      );
    }

    // allocation[f·C + c]: rows of class c in fold f, from dealing the class-sorted rows in turn.
    const nClasses = members.length;
    const allocation = new Int32Array(k * nClasses);
    let position = 0;
    members.forEach((rows, c) => {
      for (let i = 0; i < rows.length; i++, position++) allocation[(position % k) * nClasses + c]++;
    });

    const rng = new Rng(this.seed);
    const foldOf = new Int32Array(n);
    members.forEach((rows, c) => {
      const foldsForClass = new Int32Array(rows.length);
      let filled = 0;
      for (let f = 0; f < k; f++) foldsForClass.fill(f, filled, (filled += allocation[f * nClasses + c]));
      if (this.shuffle) rng.shuffle(foldsForClass);
      for (let i = 0; i < rows.length; i++) foldOf[rows[i]] = foldsForClass[i];
    });
    return fromFoldNumbers(foldOf, k);
  }
}
