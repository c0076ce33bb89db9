import { KeelError, type DenseMatrix } from '../core/index.js';
import { show } from './labels.js';

/** What estimators accept as X: rows of numbers, or a dense row-major matrix. */
export type MatrixInput = DenseMatrix | ReadonlyArray<ArrayLike<number>>;

export interface CheckMatrixOptions {
  /** The estimator's name, so messages say who refused the input. */
  readonly estimator: string;
  /** Whether NaN (a missing value) may appear; ±Infinity never may. */
  readonly allowNaN: boolean;
  /** The column count the fitted estimator expects, at predict time. */
  readonly nFeatures?: number;
}

function isDenseMatrix(x: unknown): x is DenseMatrix {
  return typeof x === 'object' && x !== null && 'data' in x && 'rows' in x && 'cols' in x;
}

/**
 * Validates X and returns it as a DenseMatrix. A DenseMatrix is used as is (no copy); rows of
 * numbers are copied once into a Float64Array. Every value is checked so a bad cell is
 * reported with its row and column instead of surfacing as a NaN prediction later.
 */
export function checkMatrix(x: unknown, options: CheckMatrixOptions): DenseMatrix {
  const matrix = isDenseMatrix(x) ? checkDense(x) : fromRows(x);
  if (matrix.rows === 0 || matrix.cols === 0) {
    throw new KeelError('invalid_argument', `X is empty (${matrix.rows} rows × ${matrix.cols} columns)`, {
      field: 'X',
      rows: matrix.rows,
      cols: matrix.cols,
    });
  }
  if (options.nFeatures !== undefined && matrix.cols !== options.nFeatures) {
    throw new KeelError(
      'invalid_argument',
      `X has ${matrix.cols} columns but ${options.estimator} was fitted with ${options.nFeatures}`,
      { field: 'X', expected: options.nFeatures, actual: matrix.cols },
    );
  }
  checkValues(matrix, options);
  return matrix;
}

function checkDense(m: DenseMatrix): DenseMatrix {
  if (!(m.data instanceof Float64Array || m.data instanceof Float32Array)) {
    throw new KeelError('invalid_argument', 'X.data must be a Float64Array or a Float32Array', { field: 'X.data' });
  }
  if (!Number.isSafeInteger(m.rows) || !Number.isSafeInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new KeelError('invalid_argument', `X.rows and X.cols must be non-negative integers`, { field: 'X' });
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new KeelError(
      'invalid_argument',
      `X.data has ${m.data.length} values but X is ${m.rows} × ${m.cols} = ${m.rows * m.cols}`,
      { field: 'X.data' },
    );
  }
  return m;
}

function fromRows(x: unknown): DenseMatrix {
  if (!Array.isArray(x)) {
    throw new KeelError('invalid_argument', 'X must be an array of rows (number[][]) or a DenseMatrix', {
      field: 'X',
    });
  }
  const rows = x.length;
  const first: unknown = x[0];
  const cols = rows > 0 && isRow(first) ? first.length : 0;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row: unknown = x[i];
    if (!isRow(row)) {
      throw new KeelError('invalid_argument', `X row ${i} is not an array of numbers`, { field: 'X', row: i });
    }
    if (row.length !== cols) {
      throw new KeelError('invalid_argument', `X row ${i} has ${row.length} values but row 0 has ${cols}`, {
        field: 'X',
        row: i,
      });
    }
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const v: unknown = row[j];
      if (typeof v !== 'number') {
        throw new KeelError(
          'invalid_argument',
          `X has a non-numeric value ${show(v)} at row ${i}, column ${j}: encode text columns as numbers first`,
          { field: 'X', row: i, column: j },
        );
      }
      data[offset + j] = v;
    }
  }
  return { rows, cols, data };
}

function isRow(row: unknown): row is ArrayLike<unknown> {
  return Array.isArray(row) || row instanceof Float64Array || row instanceof Float32Array;
}

function checkValues(m: DenseMatrix, options: CheckMatrixOptions): void {
  const { data, cols } = m;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    // One comparison per value on the fast path: v − v is 0 for finite v and NaN otherwise.
    if (v - v === 0) continue;
    const row = Math.floor(k / cols);
    const column = k % cols;
    if (Number.isNaN(v) && options.allowNaN) continue;
    const what = Number.isNaN(v) ? 'a missing value (NaN)' : `an infinite value (${v})`;
    const advice = Number.isNaN(v)
      ? `${options.estimator} does not handle missing values: impute them first`
      : 'replace or clip it first';
    throw new KeelError('invalid_argument', `X has ${what} at row ${row}, column ${column}; ${advice}`, {
      field: 'X',
      row,
      column,
    });
  }
}

/** The values as a Float64Array, copying only when they are Float32. */
export function float64Data(m: DenseMatrix): Float64Array {
  return m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
}

/**
 * A column-major Float32 copy (column j at offset j·rows). Trees work in float32 like
 * scikit-learn: half the memory traffic in split search, and thresholds match scikit-learn's.
 */
export function columnMajorFloat32(m: DenseMatrix): Float32Array {
  const { rows, cols, data } = m;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[offset + j];
  }
  return out;
}
