import {
  KeelError,
  type Column,
  type ColumnType,
  type DenseMatrix,
  type Row,
  type SignatureColumn,
  type Table,
} from '../core/index.js';
import {
  bindExpression,
  parseExpression,
  type BoundExpression,
  type ParsedExpression,
  type ValueType,
} from './expression.js';
import {
  atPath,
  createTransform,
  transformFromJSON,
  transformSpecOf,
  type TransformSpec,
} from './transform-registry.js';
import {
  categoryOf,
  incompatible,
  jsonArray,
  jsonObject,
  jsonOneOf,
  jsonString,
  jsonStrings,
  type FeatureTarget,
  type Transform,
  type TransformInput,
  type TransformJSON,
} from './transform.js';
import { asIs, recordReader, type RecordReader } from './record-reader.js';

/** A column computed per row from an expression over raw (and earlier derived) columns. */
export interface DerivedColumnSpec {
  readonly name: string;
  readonly expr: string;
}

/** Columns and the transforms they go through, in order (one entry of scikit-learn's ColumnTransformer). */
export interface FeatureStepSpec {
  readonly name?: string;
  /** Raw or derived column names (selectors are resolved by `featurePipelineFromConfig`). */
  readonly columns: readonly string[];
  readonly transforms: readonly TransformSpec[];
}

/** A general pipeline: derived columns first, then each step; the features are the steps' outputs, in order. */
export interface FeaturePipelineSpec {
  readonly derived?: readonly DerivedColumnSpec[];
  readonly steps: readonly FeatureStepSpec[];
}

/**
 * The default recipe, as keel.yaml's `features` section had it before `steps`: numeric columns →
 * impute (median or mean) → standard-scale; categorical columns → impute (most frequent) →
 * one-hot (unknown categories → all zeros).
 */
export interface FeaturePipelineConfig {
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
  /** Default `median`. */
  readonly numericImpute?: 'mean' | 'median';
  /** Default `standard`. */
  readonly scale?: 'standard' | 'none';
}

export interface FeaturePipelineOptions {
  /** Where the spec sits in keel.yaml, for error messages; default `features`. */
  readonly path?: string;
}

export interface FeaturePipelineJSON {
  readonly format: typeof FORMAT;
  readonly version: typeof VERSION;
  readonly derived: ReadonlyArray<{ readonly name: string; readonly expr: string; readonly type: ValueType }>;
  readonly steps: ReadonlyArray<{
    readonly name: string | null;
    readonly columns: readonly string[];
    readonly transforms: readonly TransformJSON[];
  }>;
  readonly inputs: readonly SignatureColumn[];
  readonly featureNames: readonly string[];
}

const FORMAT = 'keel.feature-pipeline';
const VERSION = 2;

/** The recipe `FeaturePipelineConfig` stands for, as a general spec. */
export function defaultRecipe(config: FeaturePipelineConfig): FeaturePipelineSpec {
  return {
    steps: [
      {
        name: 'numeric',
        columns: config.numeric,
        transforms: [
          { type: 'simple_imputer', strategy: config.numericImpute ?? 'median' },
          ...((config.scale ?? 'standard') === 'standard' ? [{ type: 'standard_scaler' }] : []),
        ],
      },
      {
        name: 'categorical',
        columns: config.categorical,
        transforms: [
          { type: 'simple_imputer', strategy: 'most_frequent' },
          { type: 'one_hot_encoder', handleUnknown: 'ignore' },
        ],
      },
    ],
  };
}

interface DerivedColumn {
  readonly name: string;
  readonly parsed: ParsedExpression;
  readonly path: string;
}

interface Step {
  readonly name: string | null;
  readonly columns: readonly string[];
  readonly transforms: readonly Transform[];
  readonly path: string;
}

/** How a pipeline reads a raw input column: as numbers, or as text (numeric codes → decimal text). */
type InputKind = 'number' | 'string';

/** The readers `transformRowInto` builds its records with: the raw inputs, and each step's columns. */
interface RowPlan {
  readonly state: Fitted;
  readonly readInputs: RecordReader;
  readonly readStep: readonly RecordReader[];
}

interface Fitted {
  readonly inputs: readonly SignatureColumn[];
  readonly kinds: ReadonlyMap<string, InputKind>;
  readonly expressions: readonly BoundExpression[];
  readonly featureNames: readonly string[];
  /** Output column names of each step's last transform, in feature order. */
  readonly outputs: ReadonlyArray<readonly string[]>;
}

/**
 * Turns raw columns into the model's input matrix, like scikit-learn's ColumnTransformer: derived
 * columns are computed first (expressions over raw and earlier derived columns), then each step's
 * columns go through its transforms in order, each fitted on the output of the one before; the
 * features are the outputs of every step's last transform, step after step. Columns no step
 * selects are dropped.
 *
 * `transform` (a Table, column by column over typed arrays) and `transformRow` (one request row,
 * no Table built) run the same per-value functions on the same fitted state, in the same order, so
 * they give bit-identical numbers: training, batch scoring and serving cannot drift apart through
 * code.
 *
 * A raw column is read as numbers, or — when every step that takes it starts by encoding
 * categories — as text, numeric codes becoming their decimal text. That decides its type in the
 * input signature (`inputColumns`): integer/float, or categorical (with the categories an encoder
 * learned as its domain), datetime (for date parts) or string. Every input is nullable.
 */
export class FeaturePipeline {
  private derived: readonly DerivedColumn[];
  private steps: readonly Step[];
  private state: Fitted | null = null;
  private plan: RowPlan | null = null;

  constructor(spec: FeaturePipelineSpec | FeaturePipelineConfig, options: FeaturePipelineOptions = {}) {
    const path = options.path ?? 'features';
    if (!('steps' in spec)) {
      const seen = new Set<string>();
      for (const name of [...spec.numeric, ...spec.categorical]) {
        if (seen.has(name)) {
          throw new KeelError('invalid_config', `feature column "${name}" is listed twice`, { field: name });
        }
        seen.add(name);
      }
    }
    const general = 'steps' in spec ? spec : defaultRecipe(spec);
    const names = new Set<string>();
    this.derived = (general.derived ?? []).map((d, i): DerivedColumn => {
      const at = `${path}.derived[${i}]`;
      if (typeof d.name !== 'string' || d.name === '') {
        throw new KeelError('invalid_config', `${at}.name: a derived column needs a name`, { field: `${at}.name` });
      }
      if (names.has(d.name)) {
        throw new KeelError('invalid_config', `${at}.name: derived column "${d.name}" is defined twice`, {
          field: `${at}.name`,
        });
      }
      names.add(d.name);
      return { name: d.name, parsed: parseExpression(String(d.expr), `${at}.expr`), path: `${at}.expr` };
    });
    this.steps = general.steps.map((step, i): Step => {
      const at = `${path}.steps[${i}]`;
      const seen = new Set<string>();
      for (const name of step.columns) {
        if (seen.has(name)) {
          throw new KeelError('invalid_config', `${at}.columns: column "${name}" is listed twice`, {
            field: `${at}.columns`,
          });
        }
        seen.add(name);
      }
      return {
        name: step.name ?? null,
        columns: [...step.columns],
        transforms: step.transforms.map((t, j) => createTransform(t, `${at}.transforms[${j}]`)),
        path: at,
      };
    });
  }

  /** The pipeline as a spec (derived columns, steps, transforms with every param). */
  get spec(): FeaturePipelineSpec {
    return {
      derived: this.derived.map((d) => ({ name: d.name, expr: d.parsed.text })),
      steps: this.steps.map((s) => ({
        ...(s.name === null ? {} : { name: s.name }),
        columns: [...s.columns],
        transforms: s.transforms.map(transformSpecOf),
      })),
    };
  }

  /**
   * Fits every step on the output of the one before (replacing any earlier fit). `target` is the
   * training target, row-aligned with `table`; only target encoders need it.
   */
  async fit(table: Table, target?: FeatureTarget): Promise<this> {
    // A fit that fails halfway must not leave the previous fit looking valid.
    this.state = null;
    if (target !== undefined && target.length !== table.rows) {
      throw new KeelError('invalid_argument', `the target has ${target.length} values for ${table.rows} rows`, {
        field: 'target',
      });
    }
    const raw = this.rawInputs();
    const kinds = new Map<string, InputKind>();
    for (const name of raw) kinds.set(name, this.inputKind(table, name));
    for (const d of this.derived) {
      if (table.columns.some((c) => c.name === d.name)) {
        const at = d.path.replace(/\.expr$/, '.name');
        throw new KeelError(
          'invalid_config',
          `${at}: derived column "${d.name}" would hide the table's column of that name`,
          {
            field: at,
          },
        );
      }
    }
    const columns = inputView(table, raw, kinds);
    const expressions = this.bindDerived(kinds);
    evaluateDerived(this.derived, expressions, columns, table.rows);
    this.derived.forEach((d, k) => {
      const numeric = this.steps.find((s) => s.columns.includes(d.name) && firstUse(s) === 'number');
      if (numeric && expressions[k].type === 'string') {
        throw new KeelError(
          'invalid_config',
          `${numeric.path}: derived column "${d.name}" is text but ${transformSpecOf(firstOfUse(numeric)).type} needs numbers`,
          { field: numeric.path },
        );
      }
    });

    const outputs: string[][] = [];
    for (const step of this.steps) {
      let current = stepTable(columns, step, table.rows);
      step.transforms.forEach((transform, j) => {
        const params = Object.keys(transform.toJSON().params);
        current = atPath(`${step.path}.transforms[${j}]`, params, () =>
          transform.fit(current, target).transform(current),
        );
      });
      const text = current.columns.find((c) => c.kind !== 'number');
      if (text) {
        throw new KeelError(
          'invalid_config',
          `${step.path}: column "${text.name}" is still text after the last transform; end the step with an encoder ` +
            '(one_hot_encoder, ordinal_encoder, target_encoder or hashing_encoder)',
          { field: step.path },
        );
      }
      outputs.push(current.columns.map((c) => c.name));
    }
    const featureNames = outputs.flat();
    const seen = new Set<string>();
    for (const name of featureNames) {
      if (seen.has(name)) {
        throw new KeelError(
          'invalid_config',
          `feature "${name}" is produced twice; rename a derived column or a step's column`,
          {
            field: name,
          },
        );
      }
      seen.add(name);
    }
    const inputs = raw.map((name) => this.signatureOf(name, kinds.get(name) ?? 'number', table));
    this.state = { inputs, kinds, expressions, featureNames, outputs };
    return this;
  }

  /** The batch path: a row-major matrix, one row per table row, one column per feature name. */
  transform(table: Table): DenseMatrix {
    const { featureNames, inputs, kinds, expressions } = this.fitted();
    const cols = featureNames.length;
    const data = new Float64Array(table.rows * cols);
    const columns = inputView(
      table,
      inputs.map((c) => c.name),
      kinds,
    );
    evaluateDerived(this.derived, expressions, columns, table.rows);
    let j = 0;
    for (const step of this.steps) {
      let current = stepTable(columns, step, table.rows);
      for (const transform of step.transforms) current = transform.transform(current);
      for (const column of current.columns) {
        if (column.kind !== 'number') throw new KeelError('internal', `feature "${column.name}" is not numeric`);
        const values = column.values;
        for (let i = 0; i < table.rows; i++) data[i * cols + j] = values[i];
        j++;
      }
    }
    if (j !== cols) throw new KeelError('internal', `the feature pipeline produced ${j} features, not ${cols}`);
    return { rows: table.rows, cols, data };
  }

  /** The serving path: one raw request row (field → value) to one feature vector. */
  transformRow(row: Row): Float64Array {
    const out = new Float64Array(this.fitted().featureNames.length);
    this.transformRowInto(row, out, 0);
    return out;
  }

  /**
   * `transformRow` written into `out` from `offset` (a batch's matrix row, so no vector is
   * allocated per row). The records it passes between steps come from readers generated once
   * per fitted state (record-reader.ts).
   */
  transformRowInto(row: Row, out: Float64Array, offset: number): void {
    const state = this.fitted();
    const { outputs, expressions } = state;
    const plan = this.rowPlan(state);
    const record = plan.readInputs(row);
    for (let k = 0; k < this.derived.length; k++) record[this.derived[k].name] = expressions[k].evaluateRecord(record);
    let j = offset;
    for (let s = 0; s < this.steps.length; s++) {
      const { transforms } = this.steps[s];
      let current = plan.readStep[s](record);
      const last = transforms.length - 1;
      for (let t = 0; t < last; t++) current = transforms[t].transformRecord(current);
      if (last >= 0 && transforms[last].transformRecordInto) {
        transforms[last].transformRecordInto(current, out, j);
        j += outputs[s].length;
        continue;
      }
      if (last >= 0) current = transforms[last].transformRecord(current);
      // Every step ends in numeric columns (checked at fit).
      for (const name of outputs[s]) out[j++] = current[name] as number;
    }
  }

  /** Names of the matrix columns, e.g. `tenure`, `Contract=Month-to-month`, `dteday.hour`. */
  get featureNames(): readonly string[] {
    return this.fitted().featureNames;
  }

  /** The raw input columns the pipeline expects: a model's input signature. */
  inputColumns(): SignatureColumn[] {
    return [...this.fitted().inputs];
  }

  toJSON(): FeaturePipelineJSON {
    const { inputs, featureNames, expressions } = this.fitted();
    return {
      format: FORMAT,
      version: VERSION,
      derived: this.derived.map((d, k) => ({ name: d.name, expr: d.parsed.text, type: expressions[k].type })),
      steps: this.steps.map((s) => ({
        name: s.name,
        columns: s.columns,
        transforms: s.transforms.map((t) => t.toJSON()),
      })),
      inputs,
      featureNames,
    };
  }

  /**
   * Rebuilds a fitted pipeline from `toJSON()` output, checking its shape; never refits. Version 1
   * (the fixed numeric/categorical recipe) is converted and gives identical output.
   */
  static fromJSON(json: unknown): FeaturePipeline {
    const root = jsonObject(json, '$');
    if (root.format !== FORMAT || (root.version !== 1 && root.version !== VERSION)) {
      throw new KeelError(
        'incompatible',
        `not a Keel feature pipeline of version 1 or ${VERSION} (format ${String(root.format)}, version ${String(root.version)})`,
      );
    }
    const stored = root.version === 1 ? fromVersion1(root) : fromVersion2(root);
    const pipeline = new FeaturePipeline({ steps: [] }, { path: '$' });
    pipeline.derived = stored.derived.map((d, i) => {
      const at = `$.derived[${i}].expr`;
      try {
        return { name: d.name, parsed: parseExpression(d.expr, at), path: at };
      } catch (error) {
        throw incompatible(at, `a valid expression (${error instanceof Error ? error.message : String(error)})`);
      }
    });
    pipeline.steps = stored.steps.map((step): Step => {
      const restored = step.transforms.map((t, k) => transformFromJSON(t, `${step.path}[${k}]`));
      // Each transform must have been fitted on what the one before it produces.
      let names: readonly string[] = step.columns;
      restored.forEach((transform, k) => {
        if (!sameNames(fittedNames(transform, 'inputNames', `${step.path}[${k}]`), names)) {
          throw incompatible(`${step.path}[${k}].state`, `fitted on ${names.join(', ') || 'no columns'}`);
        }
        names = fittedNames(transform, 'outputNames', `${step.path}[${k}]`);
      });
      return { name: step.name, columns: step.columns, transforms: restored, path: step.path };
    });
    const outputs = pipeline.steps.map((step) =>
      step.transforms.length === 0 ? [...step.columns] : step.transforms[step.transforms.length - 1].outputNames(),
    );
    if (!sameNames(stored.featureNames, outputs.flat())) {
      throw incompatible('$.featureNames', 'the names the fitted transforms produce');
    }
    const raw = pipeline.rawInputs();
    if (
      !sameNames(
        stored.inputs.map((c) => c.name),
        raw,
      )
    ) {
      throw incompatible('$.inputs', `the columns ${raw.join(', ') || '(none)'}`);
    }
    const kinds = new Map(stored.inputs.map((c): [string, InputKind] => [c.name, kindOfType(c.type)]));
    stored.inputs.forEach((c, i) => {
      if (!pipeline.consistentKind(c.name, kindOfType(c.type))) {
        throw incompatible(`$.inputs[${i}].type`, `the type the steps read "${c.name}" as (not ${c.type})`);
      }
    });
    let expressions: BoundExpression[];
    try {
      expressions = pipeline.bindDerived(kinds);
    } catch (error) {
      throw incompatible('$.derived', `valid expressions (${error instanceof Error ? error.message : String(error)})`);
    }
    expressions.forEach((bound, k) => {
      if (bound.type !== stored.derived[k].type) throw incompatible(`$.derived[${k}].type`, `"${bound.type}"`);
    });
    pipeline.state = { inputs: stored.inputs, kinds, expressions, featureNames: stored.featureNames, outputs };
    return pipeline;
  }

  /** The record readers of the row path, made once per fitted state. */
  private rowPlan(state: Fitted): RowPlan {
    if (this.plan?.state === state) return this.plan;
    const { inputs, kinds } = state;
    const readInputs = recordReader(
      inputs.map((c) => c.name),
      inputs.map((c) => (kinds.get(c.name) === 'string' ? categoryField : numberField)),
    );
    const readStep = this.steps.map((step) =>
      recordReader(
        step.columns,
        step.columns.map(() => asIs),
      ),
    );
    this.plan = { state, readInputs, readStep };
    return this.plan;
  }

  private fitted(): Fitted {
    if (!this.state) throw new KeelError('failed_precondition', 'the feature pipeline is not fitted: call fit() first');
    return this.state;
  }

  /** The raw columns the pipeline reads, in order of first use: by derived columns, then by steps. */
  private rawInputs(): string[] {
    const derived = new Set(this.derived.map((d) => d.name));
    const raw: string[] = [];
    const add = (name: string): void => {
      if (!derived.has(name) && !raw.includes(name)) raw.push(name);
    };
    for (const d of this.derived) d.parsed.columns.forEach(add);
    for (const step of this.steps) step.columns.forEach(add);
    return raw;
  }

  /** How each step that takes `name` first reads it, and whether a derived column reads it. */
  private usesOf(name: string): {
    readonly steps: ReadonlyArray<{ step: Step; use: TransformInput }>;
    readonly expression: boolean;
  } {
    return {
      steps: this.steps.filter((s) => s.columns.includes(name)).map((step) => ({ step, use: firstUse(step) })),
      expression: this.derived.some((d) => d.parsed.columns.includes(name)),
    };
  }

  /**
   * Numbers stay numbers unless every use encodes them as categories (then they are read as their
   * decimal text, as category codes); text used as numbers is an error naming the column.
   */
  private inputKind(table: Table, name: string): InputKind {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new KeelError('invalid_data', `the table has no feature column "${name}"`, { field: name });
    const { steps, expression } = this.usesOf(name);
    const numeric = steps.find((s) => s.use === 'number');
    if (column.kind === 'string') {
      if (numeric) {
        throw new KeelError(
          'invalid_data',
          `feature column "${name}" should be numeric but holds text (${numeric.step.path} starts with ${transformSpecOf(firstOfUse(numeric.step)).type})`,
          { field: name },
        );
      }
      return 'string';
    }
    return !expression && steps.length > 0 && steps.every((s) => s.use === 'category') ? 'string' : 'number';
  }

  private signatureOf(name: string, kind: InputKind, table: Table): SignatureColumn {
    if (kind === 'number') {
      const column = table.columns.find((c) => c.name === name);
      const integral = column?.kind === 'number' && column.values.every((x) => Number.isNaN(x) || Number.isInteger(x));
      return { name, type: integral ? 'integer' : 'float', nullable: true };
    }
    const { steps } = this.usesOf(name);
    const domains = steps.flatMap(({ step, use }) => {
      if (use !== 'category') return [];
      const encoder = firstOfUse(step);
      return encoder.domain ? [encoder.domain(name)] : [];
    });
    if (domains.length > 0) {
      const domain = domains.length === 1 ? [...domains[0]] : [...new Set(domains.flat())].sort();
      return { name, type: 'categorical', nullable: true, domain };
    }
    return { name, type: steps.some((s) => s.use === 'datetime') ? 'datetime' : 'string', nullable: true };
  }

  /** Binds the derived columns in order: each sees the raw kinds and the types of those before it. */
  private bindDerived(kinds: ReadonlyMap<string, InputKind>): BoundExpression[] {
    const types = new Map<string, ValueType>(kinds);
    return this.derived.map((d) => {
      const bound = bindExpression(
        d.parsed,
        (column) => types.get(column),
        d.path,
        () => [...types.keys()],
      );
      types.set(d.name, bound.type);
      return bound;
    });
  }

  /** Whether `kind` is how `inputKind` would read a column of that kind (for restored pipelines). */
  private consistentKind(name: string, kind: InputKind): boolean {
    const { steps, expression } = this.usesOf(name);
    if (kind === 'string') return !steps.some((s) => s.use === 'number');
    return expression || steps.length === 0 || !steps.every((s) => s.use === 'category');
  }
}

/** How a step first reads its columns: the input of its first transform that is not `any`. */
function firstUse(step: Step): TransformInput {
  return step.transforms.find((t) => t.input !== 'any')?.input ?? 'any';
}

function firstOfUse(step: Step): Transform {
  return step.transforms.find((t) => t.input !== 'any') ?? step.transforms[0];
}

function kindOfType(type: ColumnType): InputKind {
  return type === 'integer' || type === 'float' || type === 'boolean' ? 'number' : 'string';
}

/** The raw input columns as the pipeline reads them (see `inputKind`), by name. */
function inputView(table: Table, names: readonly string[], kinds: ReadonlyMap<string, InputKind>): Map<string, Column> {
  const view = new Map<string, Column>();
  for (const name of names) {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new KeelError('invalid_data', `the table has no feature column "${name}"`, { field: name });
    if (kinds.get(name) === 'number') {
      if (column.kind !== 'number') {
        throw new KeelError('invalid_data', `feature column "${name}" should be numeric but holds text`, {
          field: name,
        });
      }
      view.set(name, column);
    } else {
      view.set(
        name,
        column.kind === 'string' ? column : { name, kind: 'string', values: Array.from(column.values, categoryOf) },
      );
    }
  }
  return view;
}

function evaluateDerived(
  derived: readonly DerivedColumn[],
  expressions: readonly BoundExpression[],
  columns: Map<string, Column>,
  rows: number,
): void {
  derived.forEach((d, k) => {
    const values = expressions[k].evaluateBatch({ rows, columns });
    // The bound type says which array the evaluator returns.
    columns.set(
      d.name,
      expressions[k].type === 'number'
        ? { name: d.name, kind: 'number', values: values as Float64Array }
        : { name: d.name, kind: 'string', values: values as ReadonlyArray<string | null> },
    );
  });
}

function stepTable(columns: ReadonlyMap<string, Column>, step: Step, rows: number): Table {
  return {
    rows,
    columns: step.columns.map((name) => {
      const column = columns.get(name);
      if (!column) throw new KeelError('invalid_data', `the table has no feature column "${name}"`, { field: name });
      return column;
    }),
  };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** A restored transform's column names; one without fitted state is an incompatible package. */
function fittedNames(transform: Transform, which: 'inputNames' | 'outputNames', path: string): string[] {
  try {
    return transform[which]();
  } catch {
    throw incompatible(`${path}.state`, 'fitted state');
  }
}

/** A request field as a number, as a Table would hold it: missing → NaN, booleans → 1/0. */
function numberField(value: unknown, name: string): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new KeelError('invalid_argument', `field "${name}": expected a number, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

/** A request field as text, as `inputView` reads a Table column (booleans are 1/0 there). */
function categoryField(value: unknown, name: string): string | null {
  if (value === null || value === undefined || typeof value === 'string') return value ?? null;
  if (typeof value === 'number') return categoryOf(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw new KeelError('invalid_argument', `field "${name}": expected a string, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

// ---------------------------------------------------------------------------------------------
// Reading stored pipelines.

interface StoredPipeline {
  readonly derived: ReadonlyArray<{ readonly name: string; readonly expr: string; readonly type: ValueType }>;
  /** `path` is where the step's transforms sit in the JSON, for error messages. */
  readonly steps: ReadonlyArray<{
    readonly name: string | null;
    readonly columns: readonly string[];
    readonly transforms: readonly unknown[];
    readonly path: string;
  }>;
  readonly inputs: readonly SignatureColumn[];
  readonly featureNames: readonly string[];
}

function fromVersion2(root: Record<string, unknown>): StoredPipeline {
  return {
    derived: jsonArray(root.derived, '$.derived').map((value, i) => {
      const d = jsonObject(value, `$.derived[${i}]`);
      return {
        name: jsonString(d.name, `$.derived[${i}].name`),
        expr: jsonString(d.expr, `$.derived[${i}].expr`),
        type: jsonOneOf(d.type, ['number', 'string'] as const, `$.derived[${i}].type`),
      };
    }),
    steps: jsonArray(root.steps, '$.steps').map((value, i) => {
      const s = jsonObject(value, `$.steps[${i}]`);
      return {
        name: s.name === null ? null : jsonString(s.name, `$.steps[${i}].name`),
        columns: jsonStrings(s.columns, `$.steps[${i}].columns`),
        transforms: jsonArray(s.transforms, `$.steps[${i}].transforms`),
        path: `$.steps[${i}].transforms`,
      };
    }),
    inputs: signatureColumns(root.inputs),
    featureNames: jsonStrings(root.featureNames, '$.featureNames'),
  };
}

/**
 * Version 1 (until the general pipeline): `config` {numeric, categorical, numericImpute, scale} and
 * two `branches` whose transforms the config decides. Read as the same two steps, with the fitted
 * state brought to today's shape (no missing-value indicators, no infrequent categories).
 */
function fromVersion1(root: Record<string, unknown>): StoredPipeline {
  const config = jsonObject(root.config, '$.config');
  const numericImpute = jsonOneOf(config.numericImpute, ['mean', 'median'] as const, '$.config.numericImpute');
  const scale = jsonOneOf(config.scale, ['standard', 'none'] as const, '$.config.scale');
  const kinds = ['numeric', 'categorical'] as const;
  const columns = {
    numeric: jsonStrings(config.numeric, '$.config.numeric'),
    categorical: jsonStrings(config.categorical, '$.config.categorical'),
  };
  const expected = {
    numeric: ['SimpleImputer', ...(scale === 'standard' ? ['StandardScaler'] : [])],
    categorical: ['SimpleImputer', 'OneHotEncoder'],
  };
  const branches = jsonArray(root.branches, '$.branches');
  if (branches.length !== kinds.length) throw incompatible('$.branches', `${kinds.length} branches`);
  return {
    derived: [],
    steps: kinds.map((kind, b) => {
      const at = `$.branches[${b}].steps`;
      const steps = jsonArray(jsonObject(branches[b], `$.branches[${b}]`).steps, at);
      // The config decides which transforms there are; the JSON only supplies their fitted state.
      const types = steps.map((s, k) => jsonString(jsonObject(s, `${at}[${k}]`).type, `${at}[${k}].type`));
      if (types.join() !== expected[kind].join()) throw incompatible(at, expected[kind].join(' → '));
      if (kind === 'numeric') {
        const params = jsonObject(jsonObject(steps[0], `${at}[0]`).params, `${at}[0].params`);
        if (params.strategy !== numericImpute) throw incompatible(`${at}[0].params.strategy`, `"${numericImpute}"`);
      }
      return { name: kind, columns: columns[kind], transforms: steps.map(upgradeVersion1Transform), path: at };
    }),
    inputs: signatureColumns(root.inputs),
    featureNames: jsonStrings(root.featureNames, '$.featureNames'),
  };
}

/** A version-1 transform's JSON in today's shape: the state fields added since default to "none". */
function upgradeVersion1Transform(value: unknown): unknown {
  const json = value as { type?: unknown; state?: unknown };
  if (json.state === null || typeof json.state !== 'object') return value;
  const state = json.state as { columns?: unknown };
  if (json.type === 'SimpleImputer') return { ...json, state: { ...state, indicators: [] } };
  if (json.type === 'OneHotEncoder' && Array.isArray(state.columns)) {
    return {
      ...json,
      state: {
        ...state,
        columns: state.columns.map((c: unknown) =>
          c !== null && typeof c === 'object' ? { ...c, infrequent: [] } : c,
        ),
      },
    };
  }
  return value;
}

function signatureColumns(value: unknown): SignatureColumn[] {
  return jsonArray(value, '$.inputs').map((entry, i) => {
    const path = `$.inputs[${i}]`;
    const c = jsonObject(entry, path);
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
  });
}
