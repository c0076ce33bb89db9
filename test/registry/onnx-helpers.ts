import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelSignature, Row } from '../../src/core/index.js';
import type { Prediction } from '../../src/registry/index.js';

/** Where test .onnx files are written, one folder per test process. */
export const onnxTmp = mkdtempSync(join(tmpdir(), 'keel-onnx-'));

/**
 * onnx's own checker with full_check (which runs shape inference), on Debian's python3-onnx.
 * Returns null when the model passes, else the checker's message.
 */
export function onnxCheck(bytes: Uint8Array, name: string): string | null {
  const file = join(onnxTmp, `${name}.onnx`);
  writeFileSync(file, bytes);
  try {
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file],
      { stdio: 'pipe' },
    );
    return null;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}

/**
 * Runs an exported model in onnxruntime-node as a user would: one [N, 1] tensor per column,
 * numbers as double (or float) with NaN for missing, text with "" for missing.
 */
export async function runExported(
  bytes: Uint8Array,
  signature: ModelSignature,
  rows: readonly Row[],
  numeric: 'double' | 'float' = 'double',
): Promise<Record<string, ort.OnnxValue>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const column of signature.inputs) {
      const values = rows.map((r) => r[column.name]);
      if (column.type === 'integer' || column.type === 'float' || column.type === 'boolean') {
        const data = values.map((v) => (v === null || v === undefined ? NaN : Number(v)));
        feeds[column.name] =
          numeric === 'double'
            ? new ort.Tensor('float64', Float64Array.from(data), [rows.length, 1])
            : new ort.Tensor('float32', Float32Array.from(data), [rows.length, 1]);
      } else {
        feeds[column.name] = new ort.Tensor(
          'string',
          values.map((v) => (v === null || v === undefined ? '' : String(v))),
          [rows.length, 1],
        );
      }
    }
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The largest |Δ| between Keel's predictions and the ONNX outputs, and whether every label matches. */
export function compareOutputs(
  keel: readonly Prediction[],
  onnx: Record<string, ort.OnnxValue>,
  signature: ModelSignature,
): { maxDelta: number; maxRelative: number; labelMismatches: number } {
  let maxDelta = 0;
  let maxRelative = 0;
  let labelMismatches = 0;
  const note = (a: number, b: number) => {
    const delta = Math.abs(a - b);
    if (!(delta <= maxDelta)) maxDelta = Number.isNaN(delta) ? Infinity : delta;
    maxRelative = Math.max(maxRelative, delta / Math.max(1, Math.abs(b)));
  };
  if (signature.task === 'regression') {
    const values = onnx.variable.data as Float64Array;
    if (onnx.variable.dims.join() !== `${keel.length},1`)
      throw new Error(`variable has dims ${onnx.variable.dims.join()}`);
    keel.forEach((p, i) => note(values[i], (p as { value: number }).value));
    return { maxDelta, maxRelative, labelMismatches };
  }
  const classes = signature.classes ?? [];
  const probabilities = onnx.probabilities.data as Float64Array;
  const labels = Array.from(onnx.label.data as ArrayLike<unknown>, (l) => (typeof l === 'bigint' ? Number(l) : l));
  if (onnx.probabilities.dims.join() !== `${keel.length},${classes.length}`) {
    throw new Error(`probabilities has dims ${onnx.probabilities.dims.join()}`);
  }
  keel.forEach((p, i) => {
    const { label, probabilities: expected } = p as { label: string | number; probabilities: Record<string, number> };
    classes.forEach((c, k) => note(probabilities[i * classes.length + k], expected[c]));
    if (labels[i] !== label) labelMismatches++;
  });
  return { maxDelta, maxRelative, labelMismatches };
}
