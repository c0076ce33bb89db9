import { keelVersion } from '../../core/index.js';
import {
  ELEMENT_TYPE,
  encodeModel,
  type AttributeValue,
  type Dim,
  type ElementType,
  type Node,
  type Tensor,
  type TensorData,
  type ValueInfo,
} from './onnx-proto.js';

/** The opsets Keel's graphs use: ONNX 17 and ONNX-ML 3, the newest that onnx 1.12's checker knows. */
export const ONNX_OPSET = 17;
export const ONNX_ML_OPSET = 3;
/** IR version 8 goes with opset 17. */
export const IR_VERSION = 8;
export const ML_DOMAIN = 'ai.onnx.ml';

/** Attribute values as the exporter writes them: a bare number is an `int`, `{ float }` a float. */
export type Attribute =
  | number
  | string
  | Tensor
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] };

/**
 * Builds one ONNX graph: fresh value names, initializers (constants), nodes in topological order
 * (each node only reads values defined before it), and the graph's inputs and outputs.
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A value name not used yet, from a readable hint. */
  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.=-]+/g, '_').slice(0, 60) || 'v';
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input with an exact name (a raw column's). */
  input(name: string, type: ElementType, shape: readonly Dim[]): string {
    if (this.used.has(name)) throw new Error(`ONNX value name "${name}" is taken`);
    this.used.add(name);
    this.inputs.push({ name, type: { kind: 'tensor', elementType: ELEMENT_TYPE[type], shape } });
    return name;
  }

  /** Exposes `value` as a graph output called `name` (through Identity when the names differ). */
  output(value: string, name: string, type: ElementType, shape: readonly Dim[]): void {
    let source = value;
    if (source !== name) {
      if (this.used.has(name)) throw new Error(`ONNX value name "${name}" is taken`);
      this.used.add(name);
      this.nodes.push(nodeOf('Identity', [source], [name], {}, '', this.nodeName('Identity')));
      source = name;
    }
    this.outputs.push({ name: source, type: { kind: 'tensor', elementType: ELEMENT_TYPE[type], shape } });
  }

  /** A constant tensor; identical small constants (scalars, short vectors) are stored once. */
  constant(data: TensorData, dims: readonly number[], hint = 'const'): string {
    const values: ArrayLike<unknown> = data.values;
    const key = values.length <= 16 ? `${data.type}|${dims.join(',')}|${Array.from(values, keyOf).join('|')}` : null;
    const found = key === null ? undefined : this.constants.get(key);
    if (found) return found;
    const name = this.fresh(hint);
    this.initializers.push({ name, dims, data });
    if (key !== null) this.constants.set(key, name);
    return name;
  }

  doubles(values: ArrayLike<number>, dims: readonly number[] = [values.length], hint = 'c'): string {
    return this.constant({ type: 'double', values }, dims, hint);
  }

  /** A double scalar (rank 0), which broadcasts against any shape. */
  scalar(value: number, hint = 'c'): string {
    return this.constant({ type: 'double', values: [value] }, [], hint);
  }

  int64s(values: ArrayLike<number>, dims: readonly number[] = [values.length], hint = 'i'): string {
    return this.constant({ type: 'int64', values }, dims, hint);
  }

  strings(values: readonly string[], dims: readonly number[] = [values.length], hint = 's'): string {
    return this.constant({ type: 'string', values }, dims, hint);
  }

  /** Adds a node with one output and returns the output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    hint?: string,
  ): string {
    return this.ops(opType, inputs, 1, attributes, hint)[0];
  }

  /** Adds a node with `outputs` outputs. ONNX-ML operators go to their domain by name. */
  ops(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attributes: Readonly<Record<string, Attribute>> = {},
    hint?: string,
  ): string[] {
    const names = Array.from({ length: outputs }, (_, k) =>
      this.fresh(`${hint ?? opType}${outputs > 1 ? `_${k}` : ''}`),
    );
    const domain = ML_OPERATORS.has(opType) ? ML_DOMAIN : '';
    const converted: Record<string, AttributeValue> = {};
    for (const [key, value] of Object.entries(attributes)) converted[key] = attributeOf(value);
    this.nodes.push(nodeOf(opType, inputs, names, converted, domain, this.nodeName(opType)));
    return names;
  }

  /** The model as ONNX bytes. */
  encode(options: { name: string; docString: string; metadata: Readonly<Record<string, string>> }): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      opsets: [
        { domain: '', version: ONNX_OPSET },
        { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
      ],
      producerName: 'keel',
      producerVersion: keelVersion,
      docString: options.docString,
      metadata: options.metadata,
      graph: {
        name: options.name,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs,
        outputs: this.outputs,
      },
    });
  }

  private nodeName(opType: string): string {
    return this.fresh(`${opType}_node`);
  }
}

const ML_OPERATORS = new Set([
  'LabelEncoder',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'LinearClassifier',
  'LinearRegressor',
  'Imputer',
  'Scaler',
  'OneHotEncoder',
  'Normalizer',
  'ZipMap',
]);

function nodeOf(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, AttributeValue>>,
  domain: string,
  name: string,
): Node {
  return { opType, domain, name, inputs, outputs, attributes };
}

function attributeOf(value: Attribute): AttributeValue {
  if (typeof value === 'number') return { type: 'int', value };
  if (typeof value === 'string') return { type: 'string', value };
  if ('ints' in value) return { type: 'ints', value: value.ints };
  if ('floats' in value) return { type: 'floats', value: value.floats };
  if ('strings' in value) return { type: 'strings', value: value.strings };
  if ('float' in value) return { type: 'float', value: value.float };
  return { type: 'tensor', value };
}

/** A constant's value as a cache key: text quoted, -0 told from 0. */
function keyOf(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return Object.is(value, -0) ? '-0' : String(value);
}
