import {
  KeelError,
  sha256Hex,
  type ModelSignature,
  type ReferenceProfile,
  type Row,
  type SignatureColumn,
} from '../../core/index.js';
import { createPackage, type ModelPackage } from '../model-package.js';
import type { OnnxBinding, OnnxInputs, OnnxOutputs, OnnxTensorType } from './onnx-binding.js';
import { createSession, OnnxModel, oneLine } from './onnx-model.js';
import { METADATA } from './export-onnx.js';
import { ML_DOMAIN } from './graph-builder.js';
import { decodeModel, ELEMENT_TYPE, elementTypeName, type Dim, type Model, type ValueInfo } from './onnx-proto.js';

/**
 * Reading a foreign .onnx file (scikit-learn through skl2onnx, PyTorch, LightGBM, …) into a
 * model Keel can register, serve and monitor. The signature comes from the graph:
 *
 * - Inputs: one [N, 1] (or [N]) tensor per column → columns named as the inputs, typed by their
 *   element type (float/double → float, int32/int64 → integer, bool → boolean, string →
 *   categorical, with the categories of an encoder that reads the input directly); or a single
 *   [N, F] float/double tensor → columns `x0` … `x{F−1}`, or the names given (`columns`), or
 *   those in the model's `feature_names` metadata (a JSON array or comma-separated).
 * - Outputs: a probabilities tensor ([N, classes], named like "prob") with an optional label
 *   tensor → a classifier, its classes from `classes`, the model's `classes` metadata or the
 *   labels of its ONNX-ML classifier operator; otherwise one numeric tensor → a regressor
 *   ([N, 1] or [N]), or, with `classes`, a classifier whose output is the probabilities (or,
 *   for two classes, the second class's probability alone).
 *
 * A model Keel exported carries its signature in the metadata (`keel.signature`), so it comes
 * back with the same column types and categories.
 */

export interface OnnxImportOptions {
  /** The file, for error messages. */
  readonly source?: string;
  /** Class names in the order of the probabilities (overrides what the graph says). */
  readonly classes?: readonly string[];
  /** Column names of a single [N, F] input. */
  readonly columns?: readonly string[];
}

export interface OnnxDescription {
  readonly signature: ModelSignature;
  readonly binding: OnnxBinding;
  /** The operators the graph uses, `domain:op` for ONNX-ML and others. */
  readonly operators: readonly string[];
  readonly opsets: ReadonlyArray<{ readonly domain: string; readonly version: number }>;
}

const TENSOR_TYPES: Readonly<Record<number, OnnxTensorType>> = {
  [ELEMENT_TYPE.float]: 'float',
  [ELEMENT_TYPE.double]: 'double',
  [ELEMENT_TYPE.int64]: 'int64',
  [ELEMENT_TYPE.int32]: 'int32',
  [ELEMENT_TYPE.bool]: 'bool',
  [ELEMENT_TYPE.string]: 'string',
};

/**
 * Reads and checks `bytes`: a well-formed ONNX model that ONNX Runtime loads, with inputs and
 * outputs Keel can map, and that runs on a sample row. Any problem is a KeelError naming the
 * file and the part; nothing is stored.
 */
export async function describeOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): Promise<OnnxDescription> {
  const source = options.source ?? 'the ONNX file';
  if (bytes.length === 0) throw invalid(source, 'is empty');
  let model: Model;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    // Whatever the bytes, reading them is the file's problem, never a crash.
    throw invalid(source, `is not an ONNX model (${error instanceof Error ? error.message : String(error)})`);
  }
  const session = await createSession(bytes, source);
  try {
    const initializers = new Set(model.graph.initializers.map((t) => t.name));
    const graphInputs = model.graph.inputs.filter((v) => !initializers.has(v.name));
    const keelSignature = keelSignatureOf(model);
    const { inputs, columns } = mapInputs(model, graphInputs, keelSignature, options, source);
    const { outputs, classes } = mapOutputs(model, keelSignature, options, source);
    const signature: ModelSignature =
      classes === null
        ? { inputs: columns, task: 'regression' }
        : {
            inputs: columns,
            task: classes.length === 2 ? 'binary_classification' : 'multiclass_classification',
            classes,
          };
    const binding: OnnxBinding = {
      model: Buffer.from(bytes).toString('base64'),
      sha256: sha256Hex(bytes),
      producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown',
      inputs,
      outputs,
    };
    // One row of plain values through the real session: shapes and types that only show when
    // the graph runs fail here, before anything is registered.
    try {
      await OnnxModel.fromSession(signature, binding, session).predict([sampleRow(columns)]);
    } catch (error) {
      const reason = error instanceof Error ? oneLine(error.message) : String(error);
      throw invalid(source, `does not run in ONNX Runtime on a sample row: ${reason}`);
    }
    return {
      signature,
      binding,
      operators: [
        ...new Set(
          model.graph.nodes.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType)),
        ),
      ].sort(),
      opsets: model.opsets,
    };
  } finally {
    await session.release();
  }
}

export interface OnnxPackageOptions {
  /** The training reference for monitoring; without one, drift has nothing to compare with. */
  readonly reference?: ReferenceProfile | null;
  /** The dataset version the reference was built from, recorded as the model's lineage. */
  readonly datasetVersionId?: string | null;
}

/** A package with `runtime: 'onnx'` for a described model. */
export function onnxPackage(description: OnnxDescription, options: OnnxPackageOptions = {}): ModelPackage {
  return createPackage({
    algorithm: 'onnx',
    runtime: 'onnx',
    signature: description.signature,
    features: null,
    estimator: null,
    onnx: description.binding,
    metrics: {},
    reference: options.reference ?? { rows: 0, features: [] },
    lineage: { runId: null, datasetVersionId: options.datasetVersionId ?? null, pipelineRunId: null },
  });
}

// ---------------------------------------------------------------------------------------------

function invalid(source: string, problem: string, field?: string): KeelError {
  return new KeelError('invalid_data', `${source} ${problem}`, { file: source, ...(field ? { field } : {}) });
}

function unsupported(source: string, problem: string, field?: string): KeelError {
  return new KeelError('invalid_argument', `${source}: ${problem}`, { file: source, ...(field ? { field } : {}) });
}

function keelSignatureOf(model: Model): ModelSignature | null {
  const text = model.metadata[METADATA.signature];
  if (!text) return null;
  try {
    const value = JSON.parse(text) as ModelSignature;
    return Array.isArray(value.inputs) ? value : null;
  } catch {
    return null;
  }
}

function describeShape(info: ValueInfo): string {
  if (info.type.kind !== 'tensor') return `a ${info.type.kind}`;
  const shape = info.type.shape;
  return `${elementTypeName(info.type.elementType)} ${shape === null ? '(no shape)' : `[${shape.map((d) => d ?? '?').join(', ')}]`}`;
}

function batchOf(dim: Dim, info: ValueInfo, source: string): 'any' | 'one' {
  if (typeof dim !== 'number' || dim < 0) return 'any';
  if (dim === 1) return 'one';
  throw unsupported(
    source,
    `input "${info.name}" has a fixed batch of ${dim} rows; export it with a dynamic batch dimension`,
    info.name,
  );
}

function mapInputs(
  model: Model,
  inputs: readonly ValueInfo[],
  keel: ModelSignature | null,
  options: OnnxImportOptions,
  source: string,
): { inputs: OnnxInputs; columns: SignatureColumn[] } {
  if (inputs.length === 0) throw unsupported(source, 'the graph has no inputs');
  const shapes = inputs.map((info) => {
    if (info.type.kind !== 'tensor' || info.type.shape === null) {
      throw unsupported(
        source,
        `input "${info.name}" is ${describeShape(info)}; Keel feeds tensors of a known shape`,
        info.name,
      );
    }
    const type = TENSOR_TYPES[info.type.elementType];
    if (!type) {
      throw unsupported(
        source,
        `input "${info.name}" is ${describeShape(info)}; Keel feeds float, double, int32, int64, bool or string tensors`,
        info.name,
      );
    }
    return { info, type, shape: info.type.shape };
  });
  const single = shapes.length === 1 ? shapes[0] : null;
  if (single && single.shape.length === 2 && typeof single.shape[1] === 'number' && single.shape[1] > 1) {
    const width = single.shape[1];
    if (single.type !== 'float' && single.type !== 'double') {
      throw unsupported(
        source,
        `input "${single.info.name}" is ${describeShape(single.info)}; a matrix input must be float or double`,
      );
    }
    const names = matrixColumns(model, width, options, source);
    return {
      inputs: {
        kind: 'matrix',
        tensor: single.info.name,
        type: single.type,
        batch: batchOf(single.shape[0], single.info, source),
      },
      columns: names.map((name) => ({ name, type: 'float', nullable: true })),
    };
  }
  const batches = new Set<'any' | 'one'>();
  const tensors = shapes.map(({ info, type, shape }) => {
    const column = shape.length === 2 && (shape[1] === 1 || shape[1] === null || typeof shape[1] === 'string');
    if (!(column || shape.length === 1)) {
      throw unsupported(
        source,
        `input "${info.name}" is ${describeShape(info)}; Keel feeds one [N, 1] tensor per column, or a single [N, F] float tensor`,
        info.name,
      );
    }
    if (shape.length === 2 && shape[1] !== 1 && shapes.length > 1) {
      throw unsupported(
        source,
        `input "${info.name}" is ${describeShape(info)}; with several inputs each must be [N, 1]`,
        info.name,
      );
    }
    batches.add(batchOf(shape[0], info, source));
    return { name: info.name, type, shape: shape.length === 2 ? ('column' as const) : ('vector' as const) };
  });
  const columns = tensors.map((t) => columnOf(model, t.name, t.type, keel));
  return { inputs: { kind: 'columns', tensors, batch: batches.has('one') ? 'one' : 'any' }, columns };
}

function matrixColumns(model: Model, width: number, options: OnnxImportOptions, source: string): string[] {
  if (options.columns) {
    if (options.columns.length !== width) {
      throw new KeelError(
        'invalid_argument',
        `--columns names ${options.columns.length} columns but the model's input has ${width}`,
        {
          field: 'columns',
        },
      );
    }
    return [...options.columns];
  }
  const text = model.metadata.feature_names;
  if (text) {
    let names: unknown;
    try {
      names = JSON.parse(text);
    } catch {
      names = text.split(',').map((s) => s.trim());
    }
    if (Array.isArray(names) && names.length === width && names.every((n) => typeof n === 'string' && n !== '')) {
      if (new Set(names).size === width) return names as string[];
    }
    throw unsupported(source, `its feature_names metadata does not name ${width} distinct columns; pass --columns`);
  }
  return Array.from({ length: width }, (_, j) => `x${j}`);
}

function columnOf(model: Model, name: string, type: OnnxTensorType, keel: ModelSignature | null): SignatureColumn {
  const text = type === 'string';
  const fromKeel = keel?.inputs.find((c) => c.name === name);
  if (fromKeel) {
    const keelText = fromKeel.type === 'categorical' || fromKeel.type === 'string' || fromKeel.type === 'datetime';
    if (keelText === text && (text || type === 'float' || type === 'double')) return fromKeel;
  }
  if (type === 'float' || type === 'double') return { name, type: 'float', nullable: true };
  if (type === 'int64' || type === 'int32') return { name, type: 'integer', nullable: false };
  if (type === 'bool') return { name, type: 'boolean', nullable: false };
  const domain = domainOf(model, name);
  return { name, type: 'categorical', nullable: true, ...(domain ? { domain } : {}) };
}

/** The categories of a string input, from the ONNX-ML encoders that read it directly. */
function domainOf(model: Model, input: string): string[] | null {
  const found = new Set<string>();
  for (const node of model.graph.nodes) {
    if (node.domain !== ML_DOMAIN || node.inputs[0] !== input) continue;
    const attribute =
      node.opType === 'LabelEncoder'
        ? node.attributes.keys_strings
        : ['OneHotEncoder', 'CategoryMapper'].includes(node.opType)
          ? node.attributes.cats_strings
          : undefined;
    if (attribute?.type !== 'strings') return null;
    for (const s of attribute.value) if (s !== '') found.add(s);
  }
  return found.size > 0 ? [...found].sort() : null;
}

function mapOutputs(
  model: Model,
  keel: ModelSignature | null,
  options: OnnxImportOptions,
  source: string,
): { outputs: OnnxOutputs; classes: string[] | null } {
  const outputs = model.graph.outputs;
  const tensor = (info: ValueInfo, types: readonly OnnxTensorType[]): boolean =>
    info.type.kind === 'tensor' && types.includes(TENSOR_TYPES[info.type.elementType]);
  const numeric = outputs.filter((o) => tensor(o, ['float', 'double']));
  const labels = outputs.filter((o) => tensor(o, ['string', 'int64', 'int32']));
  const others = outputs.filter((o) => o.type.kind !== 'tensor');
  let probabilities =
    numeric.find((o) => /prob/i.test(o.name)) ?? (labels.length > 0 && numeric.length === 1 ? numeric[0] : undefined);
  const label = labels.find((o) => /label/i.test(o.name)) ?? (labels.length === 1 ? labels[0] : undefined);
  if (!probabilities && others.length > 0 && (label || numeric.length === 0)) {
    throw unsupported(
      source,
      `output "${others[0].name}" is ${describeShape(others[0])} (a ZipMap of class probabilities?); Keel reads probabilities as a tensor: ` +
        "convert without ZipMap (skl2onnx: options={id(model): {'zipmap': False}})",
      others[0].name,
    );
  }
  if (!probabilities && label && numeric.length === 0) {
    throw unsupported(
      source,
      `the model outputs a label ("${label.name}") but no class probabilities; Keel serves classifiers with probabilities`,
    );
  }
  if (!probabilities) {
    if (numeric.length !== 1) {
      throw unsupported(
        source,
        numeric.length === 0
          ? 'the model has no numeric output'
          : `the model has several numeric outputs (${numeric.map((o) => o.name).join(', ')}); Keel serves one value (a regressor) or a label/probabilities pair`,
      );
    }
    const [value] = numeric;
    const width = widthOf(value);
    if (!options.classes) {
      if (width !== 1) {
        throw unsupported(
          source,
          `output "${value.name}" is ${describeShape(value)}: ${width === null ? 'an unknown number of' : width} values per row; a regressor gives one (pass --classes if they are class probabilities)`,
          value.name,
        );
      }
      return { outputs: { kind: 'regressor', value: value.name }, classes: null };
    }
    probabilities = value;
  }
  const width = widthOf(probabilities);
  const classes = classesOf(model, keel, options, source, width);
  const positiveOnly = width === 1 && classes.length === 2;
  if (width !== null && width !== classes.length && !positiveOnly) {
    throw unsupported(
      source,
      `output "${probabilities.name}" has ${width} columns but there are ${classes.length} classes (${classes.join(', ')})`,
      probabilities.name,
    );
  }
  return {
    outputs: { kind: 'classifier', probabilities: probabilities.name, positiveOnly, label: label?.name ?? null },
    classes,
  };
}

/** Values per row of an output: its second dimension ([N] and [N, 1] give 1); null when unknown. */
function widthOf(info: ValueInfo): number | null {
  if (info.type.kind !== 'tensor' || info.type.shape === null) return null;
  const shape = info.type.shape;
  if (shape.length === 1) return 1;
  if (shape.length === 2) return typeof shape[1] === 'number' ? shape[1] : null;
  return null;
}

function classesOf(
  model: Model,
  keel: ModelSignature | null,
  options: OnnxImportOptions,
  source: string,
  width: number | null,
): string[] {
  const check = (classes: readonly string[], where: string): string[] => {
    if (classes.length < 2)
      throw unsupported(source, `${where} names ${classes.length} class; a classifier needs at least two`);
    if (new Set(classes).size !== classes.length)
      throw unsupported(source, `${where} names a class twice (${classes.join(', ')})`);
    return [...classes];
  };
  if (options.classes) return check(options.classes, '--classes');
  const metadata = model.metadata[METADATA.classes];
  if (metadata) {
    try {
      const parsed: unknown = JSON.parse(metadata);
      if (Array.isArray(parsed) && parsed.every((c) => typeof c === 'string'))
        return check(parsed, 'its "classes" metadata');
    } catch {
      // Not JSON: fall through to the graph.
    }
  }
  if (keel?.classes) return check(keel.classes, 'its Keel signature');
  const found = new Map<string, string[]>();
  for (const node of model.graph.nodes) {
    if (node.domain !== ML_DOMAIN) continue;
    for (const key of ['classlabels_strings', 'classlabels_int64s', 'classlabels_ints']) {
      const attribute = node.attributes[key];
      if (attribute && (attribute.type === 'strings' || attribute.type === 'ints') && attribute.value.length > 0) {
        const labels = attribute.value.map(String);
        found.set(labels.join('\u0000'), labels);
      }
    }
  }
  if (found.size === 1) return check([...found.values()][0], `its ${'classifier'} operator`);
  throw unsupported(
    source,
    `${found.size > 1 ? 'its classifier operators disagree on the classes' : 'the graph does not name its classes'}; pass --classes with ${width ?? 'the'} class names in the order of the probabilities`,
  );
}

function sampleRow(columns: readonly SignatureColumn[]): Row {
  const row: Record<string, unknown> = {};
  for (const c of columns) {
    row[c.name] = c.type === 'categorical' || c.type === 'string' || c.type === 'datetime' ? (c.domain?.[0] ?? '') : 0;
  }
  return row;
}
