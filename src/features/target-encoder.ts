import { KeelError, type Column, type Table } from '../core/index.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  categoryOf,
  columnOf,
  incompatible,
  jsonArray,
  jsonColumns,
  jsonNumbers,
  jsonObject,
  jsonOneOf,
  jsonString,
  jsonStrings,
  notFitted,
  sortCategories,
  type FeatureRecord,
  type FeatureTarget,
  type FeatureValue,
  type Transform,
  type TransformJSON,
} from './transform.js';

export type TargetType = 'binary' | 'multiclass' | 'continuous';

export interface TargetEncoderParams {
  /**
   * How much a category's mean is pulled toward the global mean: `auto` (default, an empirical
   * Bayes estimate from the category's variance) or a number ≥ 0 of pseudo-rows at the global mean.
   */
  readonly smooth?: 'auto' | number;
  /** `auto` (default) infers it from the target as scikit-learn's `type_of_target`. */
  readonly targetType?: 'auto' | TargetType;
}

const specs: TransformParamSpecs<TargetEncoderParams> = {
  smooth: tparam.custom<'auto' | number>(
    'auto',
    '"auto" or a number ≥ 0',
    (v): v is 'auto' | number => v === 'auto' || (typeof v === 'number' && Number.isFinite(v) && v >= 0),
  ),
  targetType: tparam.oneOf('auto', ['auto', 'binary', 'multiclass', 'continuous']),
};

interface TargetColumn {
  readonly name: string;
  readonly categories: readonly string[];
  /** `encodings[o][k]`: output `o` (one, or one per class) of category `k`. */
  readonly encodings: ReadonlyArray<readonly number[]>;
  /** The encoding of a missing value, when there were missing values at fit time (a category of its own). */
  readonly missing: readonly number[] | null;
}

interface TargetState {
  readonly targetType: TargetType;
  /** Class labels, sorted (binary: the second is the positive class); null for a continuous target. */
  readonly classes: readonly string[] | null;
  /** The global target mean of each output: what unseen categories get. */
  readonly targetMean: readonly number[];
  readonly columns: readonly TargetColumn[];
}

/**
 * Replaces each category by a smoothed mean of the target over the training rows in that
 * category, as scikit-learn's TargetEncoder (1.3+): for a binary target the rate of the positive
 * class (the second of the sorted classes), for a continuous one the mean, and for a multiclass
 * target one column per class (its rate). Unseen categories get the global mean; missing values
 * are a category of their own, as in scikit-learn. Output columns are `NAME.target` (or
 * `NAME.target=CLASS`).
 *
 * `fit` then `transform` is scikit-learn's `fit(X, y).transform(X)`: there is no cross fitting
 * (`fit_transform`'s internal folds), so that training, batch scoring and serving give the same
 * numbers for the same row. Smoothing keeps rare categories near the global mean.
 */
export class TargetEncoder implements Transform {
  readonly type = 'TargetEncoder';
  readonly input = 'category';
  readonly params: Resolved<TargetEncoderParams>;
  private state: TargetState | null = null;
  private indices: ReadonlyArray<ReadonlyMap<string, number>> = [];

  constructor(params: TargetEncoderParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table, target?: FeatureTarget): this {
    this.state = null;
    const { targetType, classes, outputs } = encodeTarget(this.params.targetType, target, table.rows);
    const means = outputs.map((y) => meanOf(y));
    const variances = outputs.map((y, o) => varianceOf(y, means[o]));
    const columns = table.columns.map((column): TargetColumn => {
      const categories = sortCategories(
        new Set(Array.from(column.values as ArrayLike<FeatureValue>, categoryOf).filter((c) => c !== null)),
        column.kind === 'number',
      );
      const index = new Map(categories.map((c, k) => [c, k]));
      // Missing values are the last slot, as scikit-learn lists NaN after the other categories.
      const codes = new Int32Array(table.rows);
      let anyMissing = false;
      for (let i = 0; i < table.rows; i++) {
        const category = categoryOf(column.values[i]);
        if (category === null) anyMissing = true;
        codes[i] = category === null ? categories.length : (index.get(category) as number); // every category is indexed
      }
      const slots = categories.length + 1;
      const encodings = outputs.map((y, o) =>
        this.params.smooth === 'auto'
          ? encodeAutoSmooth(codes, y, slots, means[o], variances[o])
          : encodeSmooth(codes, y, slots, this.params.smooth as number, means[o]),
      );
      return {
        name: column.name,
        categories,
        encodings: encodings.map((e) => e.slice(0, categories.length)),
        missing: anyMissing ? encodings.map((e) => e[categories.length]) : null,
      };
    });
    this.setState({ targetType, classes, targetMean: means, columns });
    return this;
  }

  domain(column: string): readonly string[] {
    const found = this.fitted().columns.find((c) => c.name === column);
    if (!found) {
      throw new KeelError('invalid_argument', `TargetEncoder was not fitted on "${column}"`, { field: column });
    }
    return found.categories;
  }

  transform(table: Table): Table {
    const state = this.fitted();
    const out: Column[] = [];
    state.columns.forEach((c, j) => {
      const input = columnOf(table, c.name, this.type).values;
      const names = this.namesOf(c.name);
      names.forEach((name, o) => {
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = this.encodingOf(j, o, input[i]);
        out.push({ name, kind: 'number', values });
      });
    });
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    this.fitted().columns.forEach((c, j) => {
      this.namesOf(c.name).forEach((name, o) => {
        out[name] = this.encodingOf(j, o, record[c.name]);
      });
    });
    return out;
  }

  inputNames(): string[] {
    return this.fitted().columns.map((c) => c.name);
  }

  outputNames(): string[] {
    return this.fitted().columns.flatMap((c) => this.namesOf(c.name));
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.state };
  }

  static fromJSON(json: TransformJSON, path = 'TargetEncoder'): TargetEncoder {
    // The constructor checks every param.
    const encoder = withJSONParams(path, () => new TargetEncoder(json.params as TargetEncoderParams));
    if (json.state !== null) {
      const state = jsonObject(json.state, `${path}.state`);
      const targetType = jsonOneOf(
        state.targetType,
        ['binary', 'multiclass', 'continuous'] as const,
        `${path}.state.targetType`,
      );
      const classes = state.classes === null ? null : jsonStrings(state.classes, `${path}.state.classes`);
      const targetMean = jsonNumbers(state.targetMean, `${path}.state.targetMean`);
      const outputs = targetType === 'multiclass' ? (classes?.length ?? 0) : 1;
      if (targetType !== 'continuous' && classes === null)
        throw incompatible(`${path}.state.classes`, 'a list of classes');
      if (targetMean.length !== outputs) throw incompatible(`${path}.state.targetMean`, `${outputs} numbers`);
      const columns = jsonColumns(json.state, path, (c, at): TargetColumn => {
        const categories = jsonStrings(c.categories, `${at}.categories`);
        const encodings = jsonArray(c.encodings, `${at}.encodings`).map((e, o) => {
          const values = jsonNumbers(e, `${at}.encodings[${o}]`);
          if (values.length !== categories.length) {
            throw incompatible(`${at}.encodings[${o}]`, `${categories.length} numbers, one per category`);
          }
          return values;
        });
        if (encodings.length !== outputs) throw incompatible(`${at}.encodings`, `${outputs} lists`);
        const missing = c.missing === null ? null : jsonNumbers(c.missing, `${at}.missing`);
        if (missing && missing.length !== outputs) throw incompatible(`${at}.missing`, `${outputs} numbers`);
        return { name: jsonString(c.name, `${at}.name`), categories, encodings, missing };
      });
      encoder.setState({ targetType, classes, targetMean, columns });
    }
    return encoder;
  }

  private namesOf(column: string): string[] {
    const { targetType, classes } = this.fitted();
    return targetType === 'multiclass' && classes ? classes.map((c) => `${column}.target=${c}`) : [`${column}.target`];
  }

  /** The per-value function both paths share. */
  private encodingOf(j: number, o: number, value: FeatureValue | undefined): number {
    const state = this.fitted();
    const column = state.columns[j];
    const category = categoryOf(value);
    if (category === null) return column.missing ? column.missing[o] : state.targetMean[o];
    const k = this.indices[j].get(category);
    return k === undefined ? state.targetMean[o] : column.encodings[o][k];
  }

  private setState(state: TargetState): void {
    this.state = state;
    this.indices = state.columns.map((c) => new Map(c.categories.map((category, k) => [category, k])));
  }

  private fitted(): TargetState {
    if (!this.state) throw notFitted(this.type);
    return this.state;
  }
}

/** The target as one Float64Array per output: the values, the positive-class indicator, or one indicator per class. */
function encodeTarget(
  requested: 'auto' | TargetType,
  target: FeatureTarget | undefined,
  rows: number,
): { targetType: TargetType; classes: string[] | null; outputs: Float64Array[] } {
  if (target === undefined) {
    throw new KeelError('invalid_argument', 'TargetEncoder needs the training target: fit(table, target)', {
      field: 'target',
    });
  }
  if (target.length !== rows) {
    throw new KeelError('invalid_argument', `TargetEncoder: the target has ${target.length} values for ${rows} rows`, {
      field: 'target',
    });
  }
  const labels: Array<string | number> = [];
  let numeric = true;
  let integral = true;
  for (let i = 0; i < rows; i++) {
    const value = target[i];
    if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new KeelError('invalid_argument', `TargetEncoder: the target is missing at row ${i}`, {
        field: 'target',
        row: i,
      });
    }
    if (typeof value === 'string') numeric = false;
    else if (!Number.isInteger(value)) integral = false;
    labels.push(value);
  }
  if (!numeric && labels.some((v) => typeof v === 'number')) {
    throw new KeelError('invalid_argument', 'TargetEncoder: the target mixes numbers and text', { field: 'target' });
  }
  const distinct = sortCategories(new Set(labels.map(String)), numeric);
  // scikit-learn's type_of_target: non-integral numbers are continuous; otherwise ≤ 2 classes is binary.
  const inferred: TargetType = numeric && !integral ? 'continuous' : distinct.length <= 2 ? 'binary' : 'multiclass';
  const targetType = requested === 'auto' ? inferred : requested;
  if (targetType === 'continuous') {
    if (!numeric) {
      throw new KeelError('invalid_argument', 'TargetEncoder: a continuous target must be numbers', {
        field: 'target',
      });
    }
    return { targetType, classes: null, outputs: [Float64Array.from(labels as number[])] };
  }
  if (targetType === 'binary' && distinct.length > 2) {
    throw new KeelError('invalid_argument', `TargetEncoder: a binary target has ${distinct.length} classes`, {
      field: 'target',
    });
  }
  const classOf = new Map(distinct.map((c, k) => [c, k]));
  const codes = labels.map((v) => classOf.get(String(v)) ?? -1);
  const indicator = (k: number): Float64Array => Float64Array.from(codes, (c) => (c === k ? 1 : 0));
  return {
    targetType,
    classes: distinct,
    outputs: targetType === 'binary' ? [indicator(1)] : distinct.map((_, k) => indicator(k)),
  };
}

function meanOf(y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i];
  return sum / y.length;
}

function varianceOf(y: Float64Array, mean: number): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (y[i] - mean) * (y[i] - mean);
  return sum / y.length;
}

/** scikit-learn's `_fit_encoding_fast`: `smooth` pseudo-rows at the global mean, in its order of operations. */
function encodeSmooth(codes: Int32Array, y: Float64Array, slots: number, smooth: number, mean: number): number[] {
  const sums = new Float64Array(slots).fill(smooth * mean);
  const counts = new Float64Array(slots).fill(smooth);
  for (let i = 0; i < codes.length; i++) {
    sums[codes[i]] += y[i];
    counts[codes[i]] += 1;
  }
  return Array.from(sums, (sum, k) => (counts[k] === 0 ? mean : sum / counts[k]));
}

/**
 * scikit-learn's `_fit_encoding_fast_auto_smooth` (Micci-Barreca's eq. 7): the category mean
 * shrunk toward the global mean by λ = n·σ² / (n·σ² + s²/n), s² the category's sum of squares.
 */
function encodeAutoSmooth(codes: Int32Array, y: Float64Array, slots: number, mean: number, variance: number): number[] {
  const sums = new Float64Array(slots);
  const counts = new Float64Array(slots);
  for (let i = 0; i < codes.length; i++) {
    sums[codes[i]] += y[i];
    counts[codes[i]] += 1;
  }
  const means = Array.from(sums, (sum, k) => sum / counts[k]);
  const squares = new Float64Array(slots);
  for (let i = 0; i < codes.length; i++) {
    const diff = y[i] - means[codes[i]];
    squares[codes[i]] += diff * diff;
  }
  return means.map((m, k) => {
    const lambda = (variance * counts[k]) / (variance * counts[k] + squares[k] / counts[k]);
    return Number.isNaN(lambda) ? mean : lambda * m + (1 - lambda) * mean;
  });
}
