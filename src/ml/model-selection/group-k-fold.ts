import { KeelError } from '../../core/index.js';
import { encodeLabels, type ClassLabel } from '../labels.js';
import {
  checkSplits,
  fromFoldNumbers,
  rowCount,
  type CrossValidator,
  type SplitIndices,
  type SplitInput,
} from './splits.js';

export interface GroupKFoldOptions {
  /** Number of folds, ≥ 2 and at most the number of groups. Default 5. */
  readonly nSplits?: number;
}

/**
 * scikit-learn's `GroupKFold`: all rows of a group (a patient, a customer, a day) land in
 * the same test fold, so a model is never scored on a group it saw in training. Groups are
 * placed largest first into the fold with the fewest rows so far, balancing fold sizes.
 */
export class GroupKFold implements CrossValidator {
  readonly nSplits: number;

  constructor(options: GroupKFoldOptions = {}) {
    this.nSplits = checkSplits(options.nSplits ?? 5);
  }

  split(data: SplitInput, groups?: ArrayLike<ClassLabel>): SplitIndices[] {
    const n = rowCount(data);
    if (groups === undefined) {
      throw new KeelError('invalid_argument', 'GroupKFold needs the group of every row: pass groups', {
        field: 'groups',
      });
    }
    const { codes, classes } = encodeLabels(groups, { field: 'groups', expectedLength: n, against: 'y' });
    const nGroups = classes.length;
    if (this.nSplits > nGroups) {
      throw new KeelError(
        'invalid_argument',
        `nSplits is ${this.nSplits} but there are only ${nGroups} groups; each fold needs at least one`,
        { field: 'nSplits' },
      );
    }
    const sizes = new Float64Array(nGroups);
    for (const g of codes) sizes[g]++;
    // Largest first; equal sizes in descending group order, as numpy's reversed ascending argsort gives.
    const order = Array.from({ length: nGroups }, (_, g) => g).sort((a, b) => sizes[b] - sizes[a] || b - a);
    const foldRows = new Float64Array(this.nSplits);
    const foldOfGroup = new Int32Array(nGroups);
    for (const g of order) {
      let lightest = 0;
      for (let f = 1; f < this.nSplits; f++) if (foldRows[f] < foldRows[lightest]) lightest = f;
      foldRows[lightest] += sizes[g];
      foldOfGroup[g] = lightest;
    }
    return fromFoldNumbers(
      codes.map((g) => foldOfGroup[g]),
      this.nSplits,
    );
  }
}
