import type { DenseMatrix } from '../../core/index.js';
import type { TargetInput } from '../labels.js';

/** The given rows of X as a new matrix of the same element type. */
export function takeRows(X: DenseMatrix, rows: Uint32Array): DenseMatrix {
  const { cols, data } = X;
  const out =
    data instanceof Float32Array ? new Float32Array(rows.length * cols) : new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const from = rows[i] * cols;
    out.set(data.subarray(from, from + cols), i * cols);
  }
  return { rows: rows.length, cols, data: out };
}

/** The given entries of y: a Float64Array when y is a typed array (exact for every numeric typed array), else an array. */
export function takeTargets(y: TargetInput, rows: Uint32Array): TargetInput {
  if (ArrayBuffer.isView(y)) return Float64Array.from(rows, (row) => Number(y[row]));
  return Array.from(rows, (row) => y[row]);
}
