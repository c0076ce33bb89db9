import { readFileSync } from 'node:fs';
import { Rng, type Float64Matrix } from '../../src/ml/index.js';

/**
 * The dataset file both sides of the benchmark read, so Keel and scikit-learn fit exactly the
 * same numbers: a 32-byte header (`KEELBNCH`, then little-endian uint32 version, rows, cols,
 * training rows, classes (0 for regression), 0), X as float64 row-major, then y as float64.
 * The first `train` rows are for fitting; the rest are the test rows.
 */
export interface BenchDataset {
  readonly X: Float64Matrix;
  readonly y: Float64Array;
  readonly train: number;
  readonly classes: number;
}

const MAGIC = 'KEELBNCH';
const HEADER_BYTES = 32;

export function readDataset(path: string): BenchDataset {
  const file = readFileSync(path);
  if (file.toString('latin1', 0, 8) !== MAGIC || file.readUInt32LE(8) !== 1) {
    throw new Error(`${path} is not a Keel benchmark dataset (version 1)`);
  }
  const rows = file.readUInt32LE(12);
  const cols = file.readUInt32LE(16);
  const train = file.readUInt32LE(20);
  const classes = file.readUInt32LE(24);
  if (file.length !== HEADER_BYTES + 8 * rows * (cols + 1)) throw new Error(`${path} is truncated`);
  // Copied into fresh, 8-byte aligned buffers (a Buffer's offset into its memory may not be).
  const values = new Float64Array(rows * (cols + 1));
  new Uint8Array(values.buffer).set(file.subarray(HEADER_BYTES));
  return {
    X: { rows, cols, data: values.subarray(0, rows * cols) },
    y: values.subarray(rows * cols),
    train,
    classes,
  };
}

/** The first `rows` rows of X. */
export function headRows(X: Float64Matrix, rows: number): Float64Matrix {
  return { rows, cols: X.cols, data: X.data.subarray(0, rows * X.cols) };
}

/** X's rows from `start` on. */
export function tailRows(X: Float64Matrix, start: number): Float64Matrix {
  return { rows: X.rows - start, cols: X.cols, data: X.data.subarray(start * X.cols) };
}

/**
 * A binary classification problem made without Python (for --keel-only): a few informative
 * Gaussian features, a linear-plus-interaction boundary and 5% flipped labels. Not
 * make_classification's numbers, but the same kind of work for the estimators.
 */
export function syntheticClassification(rows: number, cols: number, train: number, seed: number): BenchDataset {
  const rng = new Rng(seed);
  const informative = Math.max(2, Math.floor(cols / 2));
  const weights = Array.from({ length: informative }, () => rng.nextNormal());
  const data = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let score = 0;
    for (let j = 0; j < cols; j++) {
      const v = rng.nextNormal();
      data[i * cols + j] = v;
      if (j < informative) score += weights[j] * v;
    }
    score += data[i * cols] * data[i * cols + 1];
    y[i] = (score > 0 ? 1 : 0) ^ (rng.nextFloat() < 0.05 ? 1 : 0);
  }
  return { X: { rows, cols, data }, y, train, classes: 2 };
}
