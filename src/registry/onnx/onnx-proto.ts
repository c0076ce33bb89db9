import {
  fieldFloats,
  fieldInt,
  fieldInts,
  fieldString,
  ProtoError,
  ProtoWriter,
  readFields,
  type ProtoField,
} from './protobuf.js';

/**
 * ONNX's messages (onnx/onnx.proto: ModelProto, GraphProto, NodeProto, TensorProto,
 * AttributeProto, ValueInfoProto) as plain records, with an encoder for the whole model and a
 * decoder for what Keel reads back from a foreign file: the opsets, the metadata, the graph's
 * inputs, outputs and nodes with their attributes (initializer contents are skipped).
 */

/** TensorProto.DataType values Keel writes or recognises. */
export const ELEMENT_TYPE = {
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
} as const;

export type ElementType = keyof typeof ELEMENT_TYPE;

export function elementTypeName(code: number): ElementType | `type ${number}` {
  const found = (Object.keys(ELEMENT_TYPE) as ElementType[]).find((k) => ELEMENT_TYPE[k] === code);
  return found ?? `type ${code}`;
}

export type TensorData =
  | { readonly type: 'double'; readonly values: ArrayLike<number> }
  | { readonly type: 'float'; readonly values: ArrayLike<number> }
  | { readonly type: 'int64'; readonly values: ArrayLike<number> }
  | { readonly type: 'bool'; readonly values: ArrayLike<boolean> }
  | { readonly type: 'string'; readonly values: readonly string[] };

export interface Tensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type AttributeValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] };

export interface Node {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A dimension: a fixed size, a symbolic name (e.g. `N`), or unknown (null). */
export type Dim = number | string | null;

export type ValueType =
  | { readonly kind: 'tensor'; readonly elementType: number; readonly shape: readonly Dim[] | null }
  | { readonly kind: 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'opaque' | 'unknown' };

export interface ValueInfo {
  readonly name: string;
  readonly type: ValueType;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly initializers: readonly Tensor[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly docString?: string;
}

export interface OpsetId {
  readonly domain: string;
  readonly version: number;
}

export interface Model {
  readonly irVersion: number;
  readonly opsets: readonly OpsetId[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly graph: Graph;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

export function encodeModel(model: Model): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsets) {
    w.message(8, (o) => {
      o.string(1, opset.domain);
      o.int(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}

function writeGraph(w: ProtoWriter, graph: Graph): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, (t) => writeTensor(t, tensor));
  if (graph.docString) w.string(10, graph.docString);
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: Node): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes))
    w.message(5, (a) => writeAttribute(a, name, attribute));
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: ProtoWriter, name: string, attribute: AttributeValue): void {
  w.string(1, name);
  w.int(20, ATTRIBUTE_TYPE[attribute.type]);
  switch (attribute.type) {
    case 'float':
      w.float(2, attribute.value);
      break;
    case 'int':
      w.int(3, attribute.value);
      break;
    case 'string':
      w.string(4, attribute.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, attribute.value));
      break;
    case 'floats':
      w.packedFloats(7, attribute.value);
      break;
    case 'ints':
      w.packedInts(8, attribute.value);
      break;
    case 'strings':
      for (const s of attribute.value) w.string(9, s);
      break;
  }
}

function writeTensor(w: ProtoWriter, tensor: Tensor): void {
  const { data } = tensor;
  w.packedInts(1, tensor.dims);
  w.int(2, ELEMENT_TYPE[data.type]);
  if (tensor.name) w.string(8, tensor.name);
  if (data.type === 'string') {
    for (const s of data.values) w.string(6, s);
    return;
  }
  // raw_data: fixed-width little-endian values, as every ONNX reader accepts for numeric types.
  let raw: Uint8Array;
  if (data.type === 'double') raw = new Uint8Array(Float64Array.from(data.values).buffer);
  else if (data.type === 'float') raw = new Uint8Array(Float32Array.from(data.values).buffer);
  else if (data.type === 'int64') raw = new Uint8Array(BigInt64Array.from(Array.from(data.values), BigInt).buffer);
  else raw = Uint8Array.from(Array.from(data.values), (b) => (b ? 1 : 0));
  w.bytesField(9, raw);
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  const { type } = info;
  if (type.kind !== 'tensor') throw new Error(`Keel writes only tensor values, not ${type.kind} (${info.name})`);
  w.message(2, (t) =>
    t.message(1, (tensor) => {
      tensor.int(1, type.elementType);
      if (type.shape) {
        const shape = type.shape;
        tensor.message(2, (s) => {
          for (const dim of shape) {
            s.message(1, (d) => {
              if (typeof dim === 'number') d.int(1, dim);
              else if (typeof dim === 'string') d.string(2, dim);
            });
          }
        });
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Decoding (for inspecting foreign models). Unknown fields are skipped, as protobuf readers do.

/** Reads a ModelProto; throws ProtoError for bytes that are not one. */
export function decodeModel(bytes: Uint8Array): Model {
  let irVersion = 0;
  const opsets: OpsetId[] = [];
  let producerName = '';
  let producerVersion = '';
  let docString = '';
  const metadata: Record<string, string> = {};
  let graph: Graph | null = null;
  for (const f of readFields(bytes)) {
    switch (f.field) {
      case 1:
        irVersion = fieldInt(f);
        break;
      case 2:
        producerName = fieldString(f);
        break;
      case 3:
        producerVersion = fieldString(f);
        break;
      case 6:
        docString = fieldString(f);
        break;
      case 7:
        graph = decodeGraph(message(f));
        break;
      case 8: {
        let domain = '';
        let version = 0;
        for (const o of readFields(message(f))) {
          if (o.field === 1) domain = fieldString(o);
          else if (o.field === 2) version = fieldInt(o);
        }
        opsets.push({ domain, version });
        break;
      }
      case 14: {
        let key = '';
        let value = '';
        for (const m of readFields(message(f))) {
          if (m.field === 1) key = fieldString(m);
          else if (m.field === 2) value = fieldString(m);
        }
        metadata[key] = value;
        break;
      }
    }
  }
  if (graph === null) throw new ProtoError('no graph (ModelProto field 7)');
  if (irVersion <= 0) throw new ProtoError('no IR version (ModelProto field 1)');
  return { irVersion, opsets, producerName, producerVersion, docString, metadata, graph };
}

function message(f: ProtoField): Uint8Array {
  if (f.wire !== 'bytes') throw new ProtoError(`field ${f.field} should be a message`);
  return f.bytes;
}

function decodeGraph(bytes: Uint8Array): Graph {
  let name = '';
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  for (const f of readFields(bytes)) {
    if (f.field === 1) nodes.push(decodeNode(message(f)));
    else if (f.field === 2) name = fieldString(f);
    else if (f.field === 5) initializers.push(decodeTensorHeader(message(f)));
    else if (f.field === 11) inputs.push(decodeValueInfo(message(f)));
    else if (f.field === 12) outputs.push(decodeValueInfo(message(f)));
  }
  return { name, nodes, initializers, inputs, outputs };
}

function decodeNode(bytes: Uint8Array): Node {
  const inputs: string[] = [];
  const outputs: string[] = [];
  let name = '';
  let opType = '';
  let domain = '';
  const attributes: Record<string, AttributeValue> = {};
  for (const f of readFields(bytes)) {
    if (f.field === 1) inputs.push(fieldString(f));
    else if (f.field === 2) outputs.push(fieldString(f));
    else if (f.field === 3) name = fieldString(f);
    else if (f.field === 4) opType = fieldString(f);
    else if (f.field === 7) domain = fieldString(f);
    else if (f.field === 5) {
      const [key, value] = decodeAttribute(message(f));
      if (value) attributes[key] = value;
    }
  }
  return { opType, domain, name, inputs, outputs, attributes };
}

function decodeAttribute(bytes: Uint8Array): [string, AttributeValue | null] {
  let name = '';
  let type = 0;
  let f32: number | null = null;
  let int: number | null = null;
  let str: string | null = null;
  let tensor: Tensor | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  for (const f of readFields(bytes)) {
    switch (f.field) {
      case 1:
        name = fieldString(f);
        break;
      case 20:
        type = fieldInt(f);
        break;
      case 2:
        f32 = fieldFloats(f)[0];
        break;
      case 3:
        int = fieldInt(f);
        break;
      case 4:
        // Attribute strings are bytes; labels are UTF-8 in practice.
        str = fieldString(f);
        break;
      case 5:
        tensor = decodeTensorHeader(message(f));
        break;
      case 7:
        floats.push(...fieldFloats(f));
        break;
      case 8:
        ints.push(...fieldInts(f));
        break;
      case 9:
        strings.push(fieldString(f));
        break;
    }
  }
  switch (type) {
    case ATTRIBUTE_TYPE.float:
      return [name, { type: 'float', value: f32 ?? 0 }];
    case ATTRIBUTE_TYPE.int:
      return [name, { type: 'int', value: int ?? 0 }];
    case ATTRIBUTE_TYPE.string:
      return [name, { type: 'string', value: str ?? '' }];
    case ATTRIBUTE_TYPE.tensor:
      return [name, tensor ? { type: 'tensor', value: tensor } : null];
    case ATTRIBUTE_TYPE.floats:
      return [name, { type: 'floats', value: floats }];
    case ATTRIBUTE_TYPE.ints:
      return [name, { type: 'ints', value: ints }];
    case ATTRIBUTE_TYPE.strings:
      return [name, { type: 'strings', value: strings }];
    default:
      return [name, null];
  }
}

/** A tensor's name, dims and element type; numeric contents are not read (import does not need them). */
function decodeTensorHeader(bytes: Uint8Array): Tensor {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  const strings: string[] = [];
  for (const f of readFields(bytes)) {
    if (f.field === 1) dims.push(...fieldInts(f));
    else if (f.field === 2) dataType = fieldInt(f);
    else if (f.field === 8) name = fieldString(f);
    else if (f.field === 6) strings.push(fieldString(f));
  }
  const data: TensorData =
    dataType === ELEMENT_TYPE.string ? { type: 'string', values: strings } : { type: 'double', values: [] };
  return { name, dims, data };
}

function decodeValueInfo(bytes: Uint8Array): ValueInfo {
  let name = '';
  let type: ValueType = { kind: 'unknown' };
  for (const f of readFields(bytes)) {
    if (f.field === 1) name = fieldString(f);
    else if (f.field === 2) type = decodeType(message(f));
  }
  return { name, type };
}

function decodeType(bytes: Uint8Array): ValueType {
  for (const f of readFields(bytes)) {
    if (f.field === 1) {
      let elementType = 0;
      let shape: Dim[] | null = null;
      for (const t of readFields(message(f))) {
        if (t.field === 1) elementType = fieldInt(t);
        else if (t.field === 2) {
          shape = [];
          for (const d of readFields(message(t))) {
            if (d.field !== 1) continue;
            let dim: Dim = null;
            for (const v of readFields(message(d))) {
              if (v.field === 1) dim = fieldInt(v);
              else if (v.field === 2) dim = fieldString(v);
            }
            shape.push(dim);
          }
        }
      }
      return { kind: 'tensor', elementType, shape };
    }
    if (f.field === 4) return { kind: 'sequence' };
    if (f.field === 5) return { kind: 'map' };
    if (f.field === 9) return { kind: 'optional' };
    if (f.field === 8) return { kind: 'sparse_tensor' };
    if (f.field === 7) return { kind: 'opaque' };
  }
  return { kind: 'unknown' };
}
