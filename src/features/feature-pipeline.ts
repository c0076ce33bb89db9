import { KeelError, type Column, type DenseMatrix, type Row, type SignatureColumn, type Table } from '../core/index.js';
import { OneHotEncoder } from './one-hot-encoder.js';
import { SimpleImputer } from './simple-imputer.js';
import { StandardScaler } from './standard-scaler.js';
import {
  categoryOf,
  incompatible,
  jsonArray,
  jsonObject,
  jsonOneOf,
  jsonString,
  jsonStrings,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

/** The plain settings a pipeline is built from (the `features` section of keel.yaml). */
export interface FeaturePipelineConfig {
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
  /** Default `median`. */
  readonly numericImpute?: 'mean' | 'median';
  /** Default `standard`. */
  readonly scale?: 'standard' | 'none';
}

export interface FeaturePipelineJSON {
  readonly format: typeof FORMAT;
  readonly version: typeof VERSION;
  readonly config: Required<FeaturePipelineConfig>;
  readonly branches: ReadonlyArray<{ readonly kind: Branch['kind']; readonly steps: readonly TransformJSON[] }>;
  readonly inputs: readonly SignatureColumn[];
  readonly featureNames: readonly string[];
}

const FORMAT = 'keel.feature-pipeline';
const VERSION = 1;

/** Columns and the transforms they go through, in order (scikit-learn's ColumnTransformer entry). */
interface Branch {
  readonly kind: 'numeric' | 'categorical';
  readonly columns: readonly string[];
  readonly steps: readonly Transform[];
}

interface Fitted {
  readonly inputs: readonly SignatureColumn[];
  readonly featureNames: readonly string[];
  /** Output column names of each branch's last step, in feature order. */
  readonly outputs: ReadonlyArray<readonly string[]>;
}

/**
 * Turns raw columns into the model's input matrix, like scikit-learn's ColumnTransformer:
 * numeric columns → impute (median or mean) → standard-scale; categorical columns → impute
 * (most frequent) → one-hot (unknown categories → all zeros). Features are the numeric columns
 * in config order, then each categorical column's categories, sorted.
 *
 * `transform` (a Table, column by column) and `transformRow` (one request row, no Table built)
 * run the same per-value functions on the same fitted state, in the same order, so they give
 * bit-identical numbers: training, batch scoring and serving cannot drift apart through code.
 * Every input is nullable, because the imputers fill missing values.
 */
export class FeaturePipeline {
  readonly config: Required<FeaturePipelineConfig>;
  private branches: readonly Branch[];
  private state: Fitted | null = null;

  constructor(config: FeaturePipelineConfig) {
    this.config = {
      numeric: [...config.numeric],
      categorical: [...config.categorical],
      numericImpute: config.numericImpute ?? 'median',
      scale: config.scale ?? 'standard',
    };
    const seen = new Set<string>();
    for (const name of [...this.config.numeric, ...this.config.categorical]) {
      if (seen.has(name)) {
        throw new KeelError('invalid_config', `feature column "${name}" is listed twice`, { field: name });
      }
      seen.add(name);
    }
    this.branches = [
      {
        kind: 'numeric',
        columns: this.config.numeric,
        steps: [
          new SimpleImputer({ strategy: this.config.numericImpute }),
          ...(this.config.scale === 'standard' ? [new StandardScaler()] : []),
        ],
      },
      {
        kind: 'categorical',
        columns: this.config.categorical,
        steps: [new SimpleImputer({ strategy: 'most_frequent' }), new OneHotEncoder({ handleUnknown: 'ignore' })],
      },
    ];
  }

  /** Fits every step on the output of the one before (replacing any earlier fit). */
  async fit(table: Table): Promise<this> {
    // A fit that fails halfway must not leave the previous fit looking valid.
    this.state = null;
    const inputs: SignatureColumn[] = [];
    const outputs: string[][] = [];
    for (const branch of this.branches) {
      let current = branchInput(table, branch);
      for (const step of branch.steps) current = step.fit(current).transform(current);
      outputs.push(current.columns.map((c) => c.name));
      inputs.push(...branchSignature(table, branch));
    }
    this.state = { inputs, featureNames: outputs.flat(), outputs };
    return this;
  }

  /** The batch path: a row-major matrix, one row per table row, one column per feature name. */
  transform(table: Table): DenseMatrix {
    const { featureNames } = this.fitted();
    const cols = featureNames.length;
    const data = new Float64Array(table.rows * cols);
    let j = 0;
    for (const branch of this.branches) {
      let current = branchInput(table, branch);
      for (const step of branch.steps) current = step.transform(current);
      for (const column of current.columns) {
        if (column.kind !== 'number') throw new KeelError('internal', `feature "${column.name}" is not numeric`);
        const values = column.values;
        for (let i = 0; i < table.rows; i++) data[i * cols + j] = values[i];
        j++;
      }
    }
    return { rows: table.rows, cols, data };
  }

  /** The serving path: one raw request row (field → value) to one feature vector. */
  transformRow(row: Row): Float64Array {
    const { featureNames, outputs } = this.fitted();
    const out = new Float64Array(featureNames.length);
    let j = 0;
    this.branches.forEach((branch, b) => {
      let record: FeatureRecord = {};
      for (const name of branch.columns) {
        record[name] = branch.kind === 'numeric' ? numberField(row, name) : categoryField(row, name);
      }
      for (const step of branch.steps) record = step.transformRecord(record);
      // Every branch ends in a numeric transform (imputer/scaler on numbers, or the encoder).
      for (const name of outputs[b]) out[j++] = record[name] as number;
    });
    return out;
  }

  /** Names of the matrix columns, e.g. `tenure`, `Contract=Month-to-month`. */
  get featureNames(): readonly string[] {
    return this.fitted().featureNames;
  }

  /** The input columns the pipeline expects: a model's input signature. */
  inputColumns(): SignatureColumn[] {
    return [...this.fitted().inputs];
  }

  toJSON(): FeaturePipelineJSON {
    const { inputs, featureNames } = this.fitted();
    return {
      format: FORMAT,
      version: VERSION,
      config: this.config,
      branches: this.branches.map((b) => ({ kind: b.kind, steps: b.steps.map((s) => s.toJSON()) })),
      inputs,
      featureNames,
    };
  }

  /** Rebuilds a fitted pipeline from `toJSON()` output, checking its shape; never refits. */
  static fromJSON(json: unknown): FeaturePipeline {
    const root = jsonObject(json, '$');
    if (root.format !== FORMAT || root.version !== VERSION) {
      throw new KeelError(
        'incompatible',
        `not a version ${VERSION} Keel feature pipeline (format ${String(root.format)}, version ${String(root.version)})`,
      );
    }
    const config = jsonObject(root.config, '$.config');
    const pipeline = new FeaturePipeline({
      numeric: jsonStrings(config.numeric, '$.config.numeric'),
      categorical: jsonStrings(config.categorical, '$.config.categorical'),
      numericImpute: jsonOneOf(config.numericImpute, ['mean', 'median'] as const, '$.config.numericImpute'),
      scale: jsonOneOf(config.scale, ['standard', 'none'] as const, '$.config.scale'),
    });
    const branches = jsonArray(root.branches, '$.branches');
    if (branches.length !== pipeline.branches.length) {
      throw incompatible('$.branches', `${pipeline.branches.length} branches`);
    }
    // The config decides which transforms there are; the JSON only supplies their fitted state.
    pipeline.branches = pipeline.branches.map((branch, b): Branch => {
      const at = `$.branches[${b}].steps`;
      const steps = jsonArray(jsonObject(branches[b], `$.branches[${b}]`).steps, at);
      const expected = branch.steps.map((step) => step.type);
      const restored = steps.map((step, k) => transformFromJSON(step, `${at}[${k}]`));
      if (restored.map((step) => step.type).join() !== expected.join()) throw incompatible(at, expected.join(' → '));
      // Each step must have been fitted on what the step before it produces.
      let names: readonly string[] = branch.columns;
      restored.forEach((step, k) => {
        if (!sameNames(fittedNames(step, 'inputNames', `${at}[${k}]`), names)) {
          throw incompatible(`${at}[${k}].state`, `fitted on ${names.join(', ') || 'no columns'}`);
        }
        names = fittedNames(step, 'outputNames', `${at}[${k}]`);
      });
      return { ...branch, steps: restored };
    });
    const outputs = pipeline.branches.map((branch) => branch.steps[branch.steps.length - 1].outputNames());
    const featureNames = jsonStrings(root.featureNames, '$.featureNames');
    if (!sameNames(featureNames, outputs.flat())) {
      throw incompatible('$.featureNames', 'the names the fitted transforms produce');
    }
    pipeline.state = {
      inputs: jsonArray(root.inputs, '$.inputs').map((value, i) => signatureColumn(value, `$.inputs[${i}]`)),
      featureNames,
      outputs,
    };
    return pipeline;
  }

  private fitted(): Fitted {
    if (!this.state) throw new KeelError('failed_precondition', 'the feature pipeline is not fitted: call fit() first');
    return this.state;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** A restored step's column names; a step without fitted state is an incompatible package. */
function fittedNames(step: Transform, which: 'inputNames' | 'outputNames', path: string): string[] {
  try {
    return step[which]();
  } catch {
    throw incompatible(`${path}.state`, 'fitted state');
  }
}

/** Rebuilds one transform from its JSON, by type. */
export function transformFromJSON(value: unknown, path = '$'): Transform {
  const json = jsonObject(value, path);
  const parsed: TransformJSON = {
    type: jsonString(json.type, `${path}.type`),
    params: jsonObject(json.params ?? {}, `${path}.params`),
    state: json.state ?? null,
  };
  switch (parsed.type) {
    case 'SimpleImputer':
      return SimpleImputer.fromJSON(parsed, path);
    case 'StandardScaler':
      return StandardScaler.fromJSON(parsed, path);
    case 'OneHotEncoder':
      return OneHotEncoder.fromJSON(parsed, path);
    default:
      throw incompatible(`${path}.type`, 'SimpleImputer, StandardScaler or OneHotEncoder');
  }
}

/**
 * The branch's columns as its first step takes them: numbers for numeric columns, text for
 * categorical ones (numeric codes become their decimal text, as `categoryField` does for rows).
 */
function branchInput(table: Table, branch: Branch): Table {
  return {
    rows: table.rows,
    columns: branch.columns.map((name): Column => {
      const column = table.columns.find((c) => c.name === name);
      if (!column) throw new KeelError('invalid_data', `the table has no feature column "${name}"`, { field: name });
      if (branch.kind === 'numeric') {
        if (column.kind !== 'number') {
          throw new KeelError('invalid_data', `feature column "${name}" should be numeric but holds text`, {
            field: name,
          });
        }
        return column;
      }
      return column.kind === 'string'
        ? column
        : { name, kind: 'string', values: Array.from(column.values, categoryOf) };
    }),
  };
}

function branchSignature(table: Table, branch: Branch): SignatureColumn[] {
  const encoder = branch.steps.find((s): s is OneHotEncoder => s instanceof OneHotEncoder);
  return branch.columns.map((name): SignatureColumn => {
    if (encoder) return { name, type: 'categorical', nullable: true, domain: encoder.categories(name) };
    const column = table.columns.find((c) => c.name === name);
    const integral = column?.kind === 'number' && column.values.every((x) => Number.isNaN(x) || Number.isInteger(x));
    return { name, type: integral ? 'integer' : 'float', nullable: true };
  });
}

/** A request field as a number, as a Table would hold it: missing → NaN, booleans → 1/0. */
function numberField(row: Row, name: string): number {
  const value = row[name];
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new KeelError('invalid_argument', `field "${name}": expected a number, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

/** A request field as a category, as `branchInput` reads a Table column (booleans are 1/0 there). */
function categoryField(row: Row, name: string): string | null {
  const value = row[name];
  if (value === null || value === undefined || typeof value === 'string') return value ?? null;
  if (typeof value === 'number') return categoryOf(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw new KeelError('invalid_argument', `field "${name}": expected a string, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

function signatureColumn(value: unknown, path: string): SignatureColumn {
  const c = jsonObject(value, path);
  const type = jsonOneOf(
    c.type,
    ['integer', 'float', 'boolean', 'categorical', 'string', 'datetime'] as const,
    `${path}.type`,
  );
  if (typeof c.nullable !== 'boolean') throw incompatible(`${path}.nullable`, 'a boolean');
  return {
    name: jsonString(c.name, `${path}.name`),
    type,
    nullable: c.nullable,
    ...(c.domain === undefined ? {} : { domain: jsonStrings(c.domain, `${path}.domain`) }),
  };
}
