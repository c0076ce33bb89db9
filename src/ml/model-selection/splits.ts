import { KeelError } from '../../core/index.js';
import { encodeLabels, show, type ClassLabel } from '../labels.js';

/** Row indices of one split, each ascending (so gathering rows walks memory forward). */
export interface SplitIndices {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/** What a splitter splits: the row count, or the labels (which stratified splitters need). */
export type SplitInput = number | ArrayLike<ClassLabel>;

/**
 * A cross-validation splitter (scikit-learn's CV splitter): `split` returns every fold's
 * train and test rows. Splitters are deterministic, so calling `split` twice on the same
 * input gives the same folds, which searches rely on to compare candidates on equal terms.
 */
export interface CrossValidator {
  readonly nSplits: number;
  /** `groups` is only read by group-aware splitters (GroupKFold). */
  split(data: SplitInput, groups?: ArrayLike<ClassLabel>): SplitIndices[];
}

/** The row count of a split input, validated. */
export function rowCount(data: SplitInput): number {
  if (typeof data === 'number') {
    if (!Number.isSafeInteger(data) || data < 0) {
      throw new KeelError('invalid_argument', `the row count must be a non-negative integer, got ${data}`, {
        field: 'n',
      });
    }
    return data;
  }
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) {
    throw new KeelError('invalid_argument', 'pass the row count or the labels (an array)', { field: 'y' });
  }
  return data.length;
}

/** Class codes of the labels a stratified split needs; a bare row count is refused. */
export function labelsToStratify(data: SplitInput): { readonly codes: Int32Array; readonly classes: ClassLabel[] } {
  if (typeof data === 'number') {
    throw new KeelError('invalid_argument', 'stratifying needs the labels, not a row count: pass y', { field: 'y' });
  }
  return encodeLabels(data, { field: 'y' });
}

/** Test rows for `testSize` of `n` rows: a fraction in (0, 1) rounded up, or a count; both sides keep a row. */
export function testRowCount(testSize: number, n: number): number {
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

/** nSplits as scikit-learn requires it: an integer ≥ 2. */
export function checkSplits(nSplits: number): number {
  if (!Number.isSafeInteger(nSplits) || nSplits < 2) {
    throw new KeelError('invalid_argument', `nSplits must be an integer ≥ 2, got ${show(nSplits)}`, {
      field: 'nSplits',
    });
  }
  return nSplits;
}

/** Every fold needs a row. */
export function checkRowsForSplits(n: number, nSplits: number): void {
  if (nSplits > n) {
    throw new KeelError('invalid_argument', `nSplits is ${nSplits} but there are only ${n} rows to split`, {
      field: 'nSplits',
    });
  }
}

/** Rows of each class, ascending. */
export function groupByClass(codes: Int32Array, nClasses: number): Uint32Array[] {
  const counts = new Int32Array(nClasses);
  for (const c of codes) counts[c]++;
  const groups = Array.from(counts, (count) => new Uint32Array(count));
  const filled = new Int32Array(nClasses);
  for (let i = 0; i < codes.length; i++) groups[codes[i]][filled[codes[i]]++] = i;
  return groups;
}

/** The split whose test rows are those marked 1. */
export function fromMask(inTest: Uint8Array, nTest: number): SplitIndices {
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

/** One split per fold from each row's fold number; rows with fold −1 are in no test set. */
export function fromFoldNumbers(foldOf: Int32Array, nSplits: number): SplitIndices[] {
  const sizes = new Int32Array(nSplits);
  for (const f of foldOf) if (f >= 0) sizes[f]++;
  const splits: SplitIndices[] = [];
  const inTest = new Uint8Array(foldOf.length);
  for (let f = 0; f < nSplits; f++) {
    for (let i = 0; i < foldOf.length; i++) inTest[i] = foldOf[i] === f ? 1 : 0;
    splits.push(fromMask(inTest, sizes[f]));
  }
  return splits;
}

/** Consecutive indices start … end − 1. */
export function range(start: number, end: number): Uint32Array {
  const out = new Uint32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}
