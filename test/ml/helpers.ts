import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { KeelError, type ErrorCode } from '../../src/core/index.js';
import { Rng, type ClassLabel, type Float64Matrix } from '../../src/ml/index.js';

/** Reads a JSON fixture written by test/fixtures/ml/make-fixtures.py. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/ml/${name}`, import.meta.url), 'utf8')) as T;
}

export function toMatrix(rows: readonly (readonly number[])[]): Float64Matrix {
  const cols = rows[0].length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => data.set(row, i * cols));
  return { rows: rows.length, cols, data };
}

export function matrixRows(m: { rows: number; cols: number; data: ArrayLike<number> }): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from({ length: m.cols }, (_, j) => m.data[i * m.cols + j]));
}

export interface Dataset<Y> {
  readonly X: number[][];
  readonly y: Y[];
}

/** Gaussian blobs, one per class, shifted apart so a model can learn them. */
export function blobs(n: number, p: number, labels: readonly ClassLabel[], seed: number): Dataset<ClassLabel> {
  const rng = new Rng(seed);
  const X: number[][] = [];
  const y: ClassLabel[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % labels.length;
    X.push(Array.from({ length: p }, (_, j) => rng.nextNormal() + (j % labels.length === c ? 3 : 0)));
    y.push(labels[c]);
  }
  return { X, y };
}

/** y = a smooth function of x plus noise. */
export function regressionData(n: number, p: number, seed: number): Dataset<number> {
  const rng = new Rng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: p }, () => rng.nextNormal());
    X.push(row);
    y.push(3 * row[0] - 2 * Math.sin(row[1 % p]) + 0.1 * rng.nextNormal());
  }
  return { X, y };
}

/** Asserts that `action` throws (or rejects with) a KeelError with this code and these details. */
export async function expectKeelError(
  action: () => unknown,
  code: ErrorCode,
  details: Record<string, unknown> = {},
  message?: RegExp,
): Promise<KeelError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a KeelError').toBeInstanceOf(KeelError);
  const error = caught as KeelError;
  expect(error.code).toBe(code);
  expect(error.details).toMatchObject(details);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** Every row of a probability matrix sums to 1 and lies in [0, 1]. */
export function expectProbabilities(m: Float64Matrix): void {
  for (let i = 0; i < m.rows; i++) {
    let sum = 0;
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[i * m.cols + c];
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      sum += v;
    }
    expect(sum).toBeCloseTo(1, 12);
  }
}

/** Largest absolute difference between two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
