import { KeelError, type SignatureColumn } from '../../core/index.js';
import {
  FeaturePipeline,
  parseExpression,
  transformFromJSON,
  transformSpecOf,
  type TransformJSON,
} from '../../features/index.js';
import { exportExpression } from './export-expression.js';
import type { GraphBuilder } from './graph-builder.js';
import { castTo, columns, concat, indicator, isNaN, nan, nanWhere, notExportable, where } from './ops.js';

/**
 * The feature pipeline as ONNX: one graph input per raw column ([N, 1]: double or float for
 * numeric columns, string for the ones read as categories), then the derived columns, then
 * each step's transforms, computed in double with the same operations in the same order as
 * Keel's per-value functions, so the features are Keel's to the last bit (log aside: ONNX has
 * no log1p). The steps' outputs are concatenated into the model's input matrix.
 *
 * Text stays text only until an encoder reads it: a text column is its graph input plus what a
 * missing value ("" in the input) has become through the imputers before the encoder (imputers
 * never change a present value). An encoder turns each column into an index with one
 * LabelEncoder (known categories → 0…K−1, missing → K, unknown → K+1) and the index picks a
 * row of a constant table with Gather: one-hot rows, ordinal codes or target encodings.
 */

interface NumberCol {
  readonly kind: 'number';
  readonly name: string;
  /** A double [N, width] tensor holding this column at `index`. */
  readonly tensor: string;
  readonly index: number;
  readonly width: number;
}

export interface TextCol {
  readonly kind: 'text';
  readonly name: string;
  /** The raw string [N, 1] graph input; "" is a missing value. */
  readonly source: string;
  /** What a missing value has been imputed with so far; null while it is still missing. */
  readonly missingAs: string | null;
}

type Col = NumberCol | TextCol;

export interface FeatureExportOptions {
  /** Element type of the numeric inputs; default double (Keel's own precision). */
  readonly numericInput: 'double' | 'float';
}

export interface ExportedFeatures {
  /** The model's input matrix: a double [N, width] tensor. */
  readonly matrix: string;
  readonly width: number;
}

/** Adds the graph inputs and the pipeline to `g`; returns the feature matrix. */
export function exportFeatures(g: GraphBuilder, features: unknown, options: FeatureExportOptions): ExportedFeatures {
  const json = FeaturePipeline.fromJSON(features).toJSON();
  const cols = new Map<string, Col>();
  for (const input of json.inputs) cols.set(input.name, declareInput(g, input, options));
  if (json.inputs.length === 0) throw notExportable('the feature pipeline', 'it reads no input columns');
  const anyInput = json.inputs[0].name;
  json.derived.forEach((d, k) => {
    const part = `derived column "${d.name}" (${JSON.stringify(d.expr)})`;
    if (d.type === 'string') {
      throw notExportable(part, 'its value is text, and ONNX can only compare text with a constant', `derived[${k}]`);
    }
    const tensor = exportExpression(g, parseExpression(d.expr, `derived[${k}]`), {
      column: (name) => {
        const col = cols.get(name);
        if (!col) throw new KeelError('internal', `derived column "${d.name}" reads unknown column "${name}"`);
        return col.kind === 'number' ? { kind: 'number', tensor: numericBlock(g, [col]) } : col;
      },
      anyInput,
      part,
    });
    cols.set(d.name, { kind: 'number', name: d.name, tensor, index: 0, width: 1 });
  });
  const outputs: NumberCol[] = [];
  json.steps.forEach((step, s) => {
    let current: Col[] = step.columns.map((name) => {
      const col = cols.get(name);
      if (!col) throw new KeelError('internal', `feature step ${s} reads unknown column "${name}"`);
      return col;
    });
    step.transforms.forEach((transform) => {
      current = exportTransform(g, transform, current, stepLabel(step.name, s, transform));
    });
    for (const col of current) {
      if (col.kind !== 'number') throw new KeelError('internal', `feature "${col.name}" is still text`);
      outputs.push(col);
    }
  });
  const names = outputs.map((c) => c.name);
  if (names.join('\u0000') !== json.featureNames.join('\u0000')) {
    throw new KeelError('internal', 'the exported features do not match the pipeline feature names');
  }
  return { matrix: numericBlock(g, outputs), width: outputs.length };
}

function declareInput(g: GraphBuilder, input: SignatureColumn, options: FeatureExportOptions): Col {
  if (input.type === 'integer' || input.type === 'float' || input.type === 'boolean') {
    const raw = g.input(input.name, options.numericInput, ['N', 1]);
    const tensor = options.numericInput === 'double' ? raw : castTo(g, raw, 'double');
    return { kind: 'number', name: input.name, tensor, index: 0, width: 1 };
  }
  return { kind: 'text', name: input.name, source: g.input(input.name, 'string', ['N', 1]), missingAs: null };
}

/** How errors name a transform: `feature step "date" (date_parts)`. */
function stepLabel(name: string | null, index: number, transform: TransformJSON): string {
  const kind = transformSpecOf(transformFromJSON(transform)).type;
  return `feature step ${name === null ? `${index + 1}` : JSON.stringify(name)} (${kind})`;
}

/**
 * The double [N, k] tensor of numeric columns `cols`, in order: a tensor as is when the columns
 * are all of it, in order; otherwise runs gathered and concatenated.
 */
function numericBlock(g: GraphBuilder, cols: readonly Col[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < cols.length) {
    const first = asNumber(cols[i]);
    const indices = [first.index];
    let j = i + 1;
    while (j < cols.length) {
      const next = asNumber(cols[j]);
      if (next.tensor !== first.tensor) break;
      indices.push(next.index);
      j++;
    }
    const whole = indices.length === first.width && indices.every((index, k) => index === k);
    parts.push(whole ? first.tensor : columns(g, first.tensor, indices));
    i = j;
  }
  return concat(g, parts, 1);
}

function asNumber(col: Col): NumberCol {
  if (col.kind !== 'number') throw new KeelError('internal', `column "${col.name}" is text where numbers are needed`);
  return col;
}

/** Columns `names` of the tensor `tensor` ([N, names.length]). */
function colsOf(tensor: string, names: readonly string[]): NumberCol[] {
  return names.map((name, index) => ({ kind: 'number', name, tensor, index, width: names.length }));
}

type ColumnState = Record<string, unknown> & { readonly name: string };

function stateColumns(transform: TransformJSON): ColumnState[] {
  return (transform.state as { columns: ColumnState[] }).columns;
}

/** The columns a transform was fitted on, found in the step's current columns by name. */
function inputsOf(transform: TransformJSON, current: readonly Col[]): Col[] {
  return stateColumns(transform).map(({ name }) => {
    const col = current.find((c) => c.name === name);
    if (!col)
      throw new KeelError('internal', `${transform.type} was fitted on "${name}", which the step does not have`);
    return col;
  });
}

function exportTransform(g: GraphBuilder, transform: TransformJSON, current: readonly Col[], part: string): Col[] {
  if (transform.type === 'DateParts') {
    throw notExportable(
      part,
      'ONNX has no operator that parses dates; compute the parts as numeric columns before the model',
    );
  }
  if (transform.type === 'HashingEncoder') {
    throw notExportable(
      part,
      'ONNX has no string hashing operator; use one_hot_encoder (with minFrequency/maxCategories), ordinal_encoder or target_encoder',
    );
  }
  const inputs = inputsOf(transform, current);
  const names = inputs.map((c) => c.name);
  const params = transform.params;
  switch (transform.type) {
    case 'SimpleImputer':
      return imputer(g, transform, inputs);
    case 'StandardScaler':
    case 'RobustScaler': {
      // (x − centre) / scale: standardize() in Keel, for both scalers.
      const state = stateColumns(transform);
      const centre = state.map((c) => Number(transform.type === 'StandardScaler' ? c.mean : c.center));
      const scale = state.map((c) => Number(c.scale));
      const x = numericBlock(g, inputs);
      const k = inputs.length;
      const out = g.op('Div', [
        g.op('Sub', [x, g.doubles(centre, [1, k], 'centre')]),
        g.doubles(scale, [1, k], 'scale'),
      ]);
      return colsOf(out, names);
    }
    case 'MinMaxScaler': {
      // x·scale + min, in that order (minMaxScale in Keel), then the optional clip.
      const state = stateColumns(transform);
      const k = inputs.length;
      const scale = g.doubles(
        state.map((c) => Number(c.scale)),
        [1, k],
        'scale',
      );
      const min = g.doubles(
        state.map((c) => Number(c.min)),
        [1, k],
        'min',
      );
      let out = g.op('Add', [g.op('Mul', [numericBlock(g, inputs), scale]), min]);
      if (params.clip === true) {
        const [low, high] = params.featureRange as [number, number];
        out = g.op('Clip', [out, g.scalar(low), g.scalar(high)]);
      }
      return colsOf(out, names);
    }
    case 'Clip': {
      const low = params.min === null ? -Infinity : Number(params.min);
      const high = params.max === null ? Infinity : Number(params.max);
      // Clip keeps NaN, as Math.min(Math.max(NaN, …), …) does.
      return colsOf(g.op('Clip', [numericBlock(g, inputs), g.scalar(low), g.scalar(high)]), names);
    }
    case 'LogTransform': {
      const x = numericBlock(g, inputs);
      const offset = params.offset === null ? null : Number(params.offset);
      // log1p(x) for x > −1 (as log(1 + x): ONNX has no log1p), ln(x + c) for x + c > 0; else missing.
      const shifted = g.op('Add', [x, g.scalar(offset ?? 1)]);
      const valid = offset === null ? g.op('Greater', [x, g.scalar(-1)]) : g.op('Greater', [shifted, g.scalar(0)]);
      return colsOf(where(g, valid, g.op('Log', [shifted]), nan(g)), names);
    }
    case 'KBinsDiscretizer':
      return kBins(g, transform, inputs);
    case 'OneHotEncoder':
    case 'OrdinalEncoder':
    case 'TargetEncoder':
      return encoder(g, transform, inputs, part);
    default:
      throw notExportable(part, `Keel does not know how to export ${transform.type}`);
  }
}

// ---------------------------------------------------------------------------------------------

function imputer(g: GraphBuilder, transform: TransformJSON, inputs: readonly Col[]): Col[] {
  const state = stateColumns(transform) as Array<{ name: string; kind: 'number' | 'string'; fill: number | string }>;
  const indicators = (transform.state as { indicators: string[] }).indicators;
  const numeric = inputs.filter((c): c is NumberCol => c.kind === 'number');
  const fills = numeric.map((c) => Number(state.find((s) => s.name === c.name)?.fill));
  let filled: NumberCol[] = [];
  if (numeric.length > 0) {
    const x = numericBlock(g, numeric);
    const out = where(g, isNaN(g, x), g.doubles(fills, [1, numeric.length], 'fill'), x);
    filled = colsOf(
      out,
      numeric.map((c) => c.name),
    );
  }
  const out: Col[] = inputs.map((col, i): Col => {
    if (col.kind === 'number') return filled[numeric.indexOf(col)];
    const fill = String(state[i].fill);
    return { ...col, missingAs: col.missingAs ?? fill };
  });
  if (indicators.length === 0) return out;
  // NAME_missing: 1 where the value was missing before this imputer.
  const parts = indicators.map((name): string => {
    const col = inputs.find((c) => c.name === name);
    if (!col) throw new KeelError('internal', `SimpleImputer indicator for unknown column "${name}"`);
    if (col.kind === 'number') return indicator(g, isNaN(g, numericBlock(g, [col])));
    // Text is missing when the input is "" and no earlier imputer filled it.
    const missing = g.op('LabelEncoder', [col.source], {
      keys_strings: { strings: [''] },
      values_int64s: { ints: [col.missingAs === null ? 1 : 0] },
      default_int64: 0,
    });
    return castTo(g, missing, 'double');
  });
  const block = concat(g, parts, 1);
  return [
    ...out,
    ...colsOf(
      block,
      indicators.map((name) => `${name}_missing`),
    ),
  ];
}

function kBins(g: GraphBuilder, transform: TransformJSON, inputs: readonly Col[]): Col[] {
  const state = stateColumns(transform) as Array<{ name: string; edges: number[] }>;
  const k = inputs.length;
  // Edges padded with NaN to one width: NaN ≤ x is false, so padding never counts.
  const width = Math.max(1, ...state.map((c) => c.edges.length));
  const edges = state.flatMap((c) => [...c.edges, ...new Array<number>(width - c.edges.length).fill(NaN)]);
  const x = numericBlock(g, inputs);
  const axis2 = g.int64s([2]);
  const below = g.op('LessOrEqual', [g.doubles(edges, [1, k, width], 'edges'), g.op('Unsqueeze', [x, axis2])]);
  // The bin is the number of edges ≤ x (searchsorted right), missing when x is.
  const count = g.op('ReduceSum', [castTo(g, below, 'double'), axis2], { keepdims: 0 });
  const bins = nanWhere(g, isNaN(g, x), count);
  if (transform.params.encode === 'ordinal') {
    return colsOf(
      bins,
      state.map((c) => `${c.name}.bin`),
    );
  }
  // One-hot: bin b of column j is output j·(width+1) + b; a missing bin matches nothing.
  const slots = width + 1;
  const range = g.doubles(
    Array.from({ length: slots }, (_, b) => b),
    [1, 1, slots],
    'bin',
  );
  const hot = castTo(g, g.op('Equal', [g.op('Unsqueeze', [bins, axis2]), range]), 'double');
  const flat = g.op('Reshape', [hot, g.int64s([-1, k * slots])]);
  const keep = state.flatMap((c, j) => Array.from({ length: c.edges.length + 1 }, (_, b) => j * slots + b));
  const out = keep.length === k * slots ? flat : columns(g, flat, keep);
  return colsOf(
    out,
    state.flatMap((c) => Array.from({ length: c.edges.length + 1 }, (_, b) => `${c.name}.bin=${b}`)),
  );
}

/** One encoder table: a row of outputs per slot (the known categories, then missing, then unknown). */
interface EncoderTable {
  /** Categories in slot order (every category the encoder knows). */
  readonly categories: readonly string[];
  readonly width: number;
  /** rows: categories.length + 2, each `width` values. */
  readonly rows: ReadonlyArray<readonly number[]>;
  readonly names: readonly string[];
}

function encoder(g: GraphBuilder, transform: TransformJSON, inputs: readonly Col[], part: string): Col[] {
  const tables = encoderTables(transform);
  const parts: string[] = [];
  const names: string[] = [];
  inputs.forEach((col, j) => {
    const table = tables[j];
    if (table.width === 0) return;
    const index = categoryIndex(g, col, table.categories, part);
    const values = g.doubles(table.rows.flat(), [table.rows.length, table.width], `${transform.type}_table`);
    parts.push(g.op('Gather', [values, index], { axis: 0 }));
    names.push(...table.names);
  });
  if (parts.length === 0) return [];
  const out = g.op('Flatten', [concat(g, parts, 2)], { axis: 1 });
  return colsOf(out, names);
}

function encoderTables(transform: TransformJSON): EncoderTable[] {
  const params = transform.params;
  if (transform.type === 'OneHotEncoder') {
    const states = stateColumns(transform) as Array<{ name: string; categories: string[]; infrequent: string[] }>;
    return states.map((c) => {
      const k = c.categories.length;
      const hasInfrequent = c.infrequent.length > 0;
      const width = k + (hasInfrequent ? 1 : 0);
      const hot = (position: number): number[] => Array.from({ length: width }, (_, o) => (o === position ? 1 : 0));
      const unknown = params.handleUnknown === 'infrequent_if_exist' && hasInfrequent ? hot(k) : hot(-1);
      return {
        categories: [...c.categories, ...c.infrequent],
        width,
        rows: [...c.categories.map((_, i) => hot(i)), ...c.infrequent.map(() => hot(k)), hot(-1), unknown],
        names: [...c.categories.map((cat) => `${c.name}=${cat}`), ...(hasInfrequent ? [`${c.name}=infrequent`] : [])],
      };
    });
  }
  if (transform.type === 'OrdinalEncoder') {
    const states = stateColumns(transform) as Array<{ name: string; categories: string[] }>;
    const code = (value: unknown): number => (value === null ? NaN : Number(value));
    return states.map((c) => ({
      categories: c.categories,
      width: 1,
      rows: [...c.categories.map((_, i) => [i]), [code(params.encodedMissingValue)], [code(params.unknownValue)]],
      names: [c.name],
    }));
  }
  const state = transform.state as {
    targetType: string;
    classes: string[] | null;
    targetMean: number[];
    columns: Array<{ name: string; categories: string[]; encodings: number[][]; missing: number[] | null }>;
  };
  const outputs = state.targetMean.length;
  return state.columns.map((c) => ({
    categories: c.categories,
    width: outputs,
    rows: [
      ...c.categories.map((_, k) => c.encodings.map((encoding) => encoding[k])),
      c.missing ?? state.targetMean,
      state.targetMean,
    ],
    names:
      state.targetType === 'multiclass' && state.classes
        ? state.classes.map((cls) => `${c.name}.target=${cls}`)
        : [`${c.name}.target`],
  }));
}

/**
 * The slot of each row's value among `categories` (an int64 [N, 1]): its position, K when
 * missing, K + 1 when unknown. Text goes through one LabelEncoder; a numeric column (numbers
 * read as their decimal text) is compared with the categories' numbers.
 */
function categoryIndex(g: GraphBuilder, col: Col, categories: readonly string[], part: string): string {
  const k = categories.length;
  if (col.kind === 'text') {
    if (categories.includes('')) {
      throw notExportable(
        part,
        `column "${col.name}" has the empty string as a category, which ONNX inputs use for a missing value`,
      );
    }
    const missingSlot = col.missingAs === null ? k : categories.indexOf(col.missingAs);
    return g.op('LabelEncoder', [col.source], {
      keys_strings: { strings: [...categories, ''] },
      values_int64s: { ints: [...categories.map((_, i) => i), missingSlot === -1 ? k + 1 : missingSlot] },
      default_int64: k + 1,
    });
  }
  const x = numericBlock(g, [col]);
  const values = categories.map(Number);
  if (categories.some((c, i) => String(values[i]) !== c)) {
    throw notExportable(part, `numeric column "${col.name}" has categories that are not numbers`);
  }
  if (k === 0) return castTo(g, where(g, isNaN(g, x), g.scalar(0), g.scalar(1)), 'int64');
  // (position + 1) of the matching category, or 0: a dot product of the 0/1 matches with 1…K.
  const matches = castTo(g, g.op('Equal', [x, g.doubles(values, [1, k], 'categories')]), 'double');
  const found = g.op('MatMul', [
    matches,
    g.doubles(
      values.map((_, i) => i + 1),
      [k, 1],
      'positions',
    ),
  ]);
  const slot = where(
    g,
    isNaN(g, x),
    g.scalar(k),
    where(g, g.op('Equal', [found, g.scalar(0)]), g.scalar(k + 1), g.op('Sub', [found, g.scalar(1)])),
  );
  return castTo(g, slot, 'int64');
}
