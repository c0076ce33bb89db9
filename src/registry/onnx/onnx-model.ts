import * as ort from 'onnxruntime-node';
import { KeelError, type ModelSignature, type ReferenceProfile, type Row } from '../../core/index.js';
import type { Prediction, ServableModel } from '../loaded-model.js';
import type { ModelPackage } from '../model-package.js';
import { onnxBytesOf, type OnnxBinding, type OnnxTensorType } from './onnx-binding.js';

const ORT_TYPE: Readonly<Record<OnnxTensorType, ort.Tensor.Type>> = {
  float: 'float32',
  double: 'float64',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
  string: 'string',
};

/**
 * An imported ONNX model made ready to serve: one ONNX Runtime session, created once, and the
 * binding that turns checked request rows into the graph's input tensors (a batch per request,
 * or row by row for a graph with a fixed batch of one) and its outputs into predictions.
 */
export class OnnxModel implements ServableModel {
  private constructor(
    readonly signature: ModelSignature,
    private readonly binding: OnnxBinding,
    private readonly session: ort.InferenceSession,
    readonly reference?: ReferenceProfile,
  ) {}

  static async fromPackage(pkg: ModelPackage, source = 'model package'): Promise<OnnxModel> {
    const bytes = onnxBytesOf(pkg, source);
    const binding = pkg.onnx as OnnxBinding;
    return new OnnxModel(pkg.signature, binding, await createSession(bytes, source), pkg.reference);
  }

  /** A model over an open session, for a file being imported (not yet in a package). */
  static fromSession(signature: ModelSignature, binding: OnnxBinding, session: ort.InferenceSession): OnnxModel {
    return new OnnxModel(signature, binding, session);
  }

  async predict(rows: readonly Row[]): Promise<Prediction[]> {
    if (this.binding.inputs.batch === 'any') return this.run(rows);
    const out: Prediction[] = [];
    for (const row of rows) out.push(...(await this.run([row])));
    return out;
  }

  private async run(rows: readonly Row[]): Promise<Prediction[]> {
    const { outputs } = this.binding;
    // Only the outputs Keel reads: others (a ZipMap, say) may be types ONNX Runtime for Node cannot return.
    const fetches =
      outputs.kind === 'regressor'
        ? [outputs.value]
        : [outputs.probabilities, ...(outputs.label === null ? [] : [outputs.label])];
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(this.feeds(rows), fetches);
    } catch (error) {
      if (error instanceof KeelError) throw error;
      // Rows were checked against the signature: a failure inside the graph is the model's.
      const reason = error instanceof Error ? oneLine(error.message) : String(error);
      throw new KeelError('internal', `the ONNX model failed on this batch: ${reason}`);
    }
    const n = rows.length;
    if (outputs.kind === 'regressor') {
      const values = numbers(results[outputs.value], outputs.value);
      if (values.length !== n) throw shapeError(outputs.value, `${values.length} values for ${n} rows`);
      return Array.from(values, (value) => ({ value }));
    }
    const classes = this.signature.classes ?? [];
    const k = classes.length;
    const raw = numbers(results[outputs.probabilities], outputs.probabilities);
    const width = outputs.positiveOnly ? 1 : k;
    if (raw.length !== n * width)
      throw shapeError(outputs.probabilities, `${raw.length} values for ${n} rows × ${width}`);
    const labels = outputs.label === null ? null : labelsOf(results[outputs.label], outputs.label, n);
    return Array.from({ length: n }, (_, i) => {
      const p = outputs.positiveOnly ? [1 - raw[i], raw[i]] : Array.from(raw.subarray(i * k, (i + 1) * k));
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < k; c++) {
        probabilities[classes[c]] = p[c];
        if (p[c] > p[best]) best = c;
      }
      // The graph's own label when it names one of the classes (int64 ids with --classes names do not).
      const label = labels !== null && classes.includes(String(labels[i])) ? labels[i] : classes[best];
      return { label, probabilities };
    });
  }

  private feeds(rows: readonly Row[]): Record<string, ort.Tensor> {
    const n = rows.length;
    const { inputs } = this.binding;
    if (inputs.kind === 'matrix') {
      const columns = this.signature.inputs;
      const data =
        inputs.type === 'float' ? new Float32Array(n * columns.length) : new Float64Array(n * columns.length);
      rows.forEach((row, i) => {
        columns.forEach((c, j) => {
          data[i * columns.length + j] = numberOf(row[c.name], c.name, i);
        });
      });
      return { [inputs.tensor]: new ort.Tensor(ORT_TYPE[inputs.type], data, [n, columns.length]) };
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const tensor of inputs.tensors) {
      const dims = tensor.shape === 'column' ? [n, 1] : [n];
      const values = rows.map((row) => row[tensor.name]);
      feeds[tensor.name] = new ort.Tensor(ORT_TYPE[tensor.type], tensorData(tensor.type, values, tensor.name), dims);
    }
    return feeds;
  }
}

export async function createSession(bytes: Uint8Array, source: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KeelError('invalid_data', `${source} cannot be loaded by ONNX Runtime: ${oneLine(reason)}`, {
      file: source,
    });
  }
}

/** ONNX Runtime's messages can span lines; the CLI prints one. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function tensorData(type: OnnxTensorType, values: readonly unknown[], name: string): ort.Tensor.DataType {
  switch (type) {
    case 'float':
      return Float32Array.from(values, (v, i) => numberOf(v, name, i));
    case 'double':
      return Float64Array.from(values, (v, i) => numberOf(v, name, i));
    case 'int64':
      return BigInt64Array.from(values, (v, i) => BigInt(integerOf(v, name, i)));
    case 'int32':
      return Int32Array.from(values, (v, i) => integerOf(v, name, i));
    case 'bool':
      return Uint8Array.from(values, (v, i) => (integerOf(v, name, i) === 0 ? 0 : 1));
    case 'string':
      // ONNX has no missing string: the empty string stands for one, as skl2onnx's imputers expect.
      return values.map((v) => (v === null || v === undefined ? '' : String(v)));
  }
}

/** A checked row's number; a missing one is NaN, which float inputs carry. */
function numberOf(value: unknown, name: string, row: number): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new KeelError(
    'invalid_argument',
    `row ${row}, field "${name}": expected a number, got ${JSON.stringify(value)}`,
    {
      row,
      field: name,
    },
  );
}

function integerOf(value: unknown, name: string, row: number): number {
  const n = numberOf(value, name, row);
  if (!Number.isSafeInteger(n)) {
    throw new KeelError(
      'invalid_argument',
      `row ${row}, field "${name}": this model's input is an integer tensor, which cannot hold ${Number.isNaN(n) ? 'a missing value' : n}`,
      { row, field: name },
    );
  }
  return n;
}

function numbers(value: ort.OnnxValue | undefined, name: string): Float64Array | Float32Array {
  const data = value?.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof Int32Array) return Float64Array.from(data, Number);
  throw shapeError(name, 'no numeric tensor');
}

function labelsOf(value: ort.OnnxValue | undefined, name: string, n: number): Array<string | number> {
  const data = value?.data;
  let labels: Array<string | number>;
  if (Array.isArray(data)) labels = data.map(String);
  else if (data instanceof BigInt64Array) labels = Array.from(data, Number);
  else if (data instanceof Int32Array || data instanceof Float32Array || data instanceof Float64Array) {
    labels = Array.from(data);
  } else throw shapeError(name, 'no label tensor');
  if (labels.length !== n) throw shapeError(name, `${labels.length} labels for ${n} rows`);
  return labels;
}

function shapeError(output: string, found: string): KeelError {
  return new KeelError('internal', `the ONNX model's output "${output}" gave ${found}`, { field: output });
}
