import { KeelError, type Column, type Table } from '../core/index.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  columnOf,
  jsonColumns,
  jsonNumber,
  jsonObject,
  jsonOneOf,
  jsonString,
  jsonStrings,
  notFitted,
  numberValue,
  type FeatureRecord,
  type FeatureValue,
  type Transform,
  type TransformInput,
  type TransformJSON,
} from './transform.js';
import { recordReader, type FieldReader, type RecordReader } from './record-reader.js';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

export interface SimpleImputerParams {
  /** Default `mean`. `mean` and `median` need numeric columns. */
  readonly strategy?: ImputeStrategy;
  /** The `constant` fill; null (default) is 0 for numeric columns and `"missing"` for text. */
  readonly fillValue?: number | string | null;
  /** Also output a 0/1 column `NAME_missing` for each column that had missing values at fit time. */
  readonly addIndicator?: boolean;
}

const specs: TransformParamSpecs<SimpleImputerParams> = {
  strategy: tparam.oneOf('mean', ['mean', 'median', 'most_frequent', 'constant']),
  fillValue: tparam.custom<number | string | null>(
    null,
    'a number, a string or null',
    (v): v is number | string | null => v === null || typeof v === 'string' || Number.isFinite(v),
  ),
  addIndicator: tparam.boolean(false),
};

type ImputerColumn =
  | { readonly name: string; readonly kind: 'number'; readonly fill: number }
  | { readonly name: string; readonly kind: 'string'; readonly fill: string };

interface ImputerState {
  readonly columns: readonly ImputerColumn[];
  /** Columns that had missing values at fit time and so get an indicator (with `addIndicator`). */
  readonly indicators: readonly string[];
}

/** The per-value functions both paths share. */
export const fillNumber = (value: number, fill: number): number => (Number.isNaN(value) ? fill : value);
export const fillText = (value: string | null, fill: string): string => (value === null ? fill : value);
export const missingNumber = (value: number): number => (Number.isNaN(value) ? 1 : 0);
export const missingText = (value: string | null): number => (value === null ? 1 : 0);

/** Name of the missing-value indicator of `column`. */
export const indicatorName = (column: string): string => `${column}_missing`;

/**
 * Replaces missing values with a per-column statistic learned at fit time, as scikit-learn's
 * SimpleImputer: the mean or median (numeric columns), the most frequent value (ties go to the
 * smallest), or a constant. With `addIndicator`, the imputed columns are followed by one 0/1
 * column `NAME_missing` for each column that had missing values in training (scikit-learn's
 * `add_indicator`, features="missing-only").
 */
export class SimpleImputer implements Transform {
  readonly type = 'SimpleImputer';
  readonly params: Resolved<SimpleImputerParams>;
  private state: ImputerState | null = null;
  private reader: { readonly state: ImputerState; readonly read: RecordReader } | null = null;

  constructor(params: SimpleImputerParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  get strategy(): ImputeStrategy {
    return this.params.strategy;
  }

  get input(): TransformInput {
    return this.strategy === 'mean' || this.strategy === 'median' ? 'number' : 'any';
  }

  fit(table: Table): this {
    this.state = null;
    this.state = {
      columns: table.columns.map((column) => this.learn(column)),
      indicators: this.params.addIndicator
        ? table.columns
            .filter((c) => (c.kind === 'number' ? c.values.some(Number.isNaN) : c.values.includes(null)))
            .map((c) => c.name)
        : [],
    };
    return this;
  }

  transform(table: Table): Table {
    const { columns, indicators } = this.fitted();
    const out = columns.map((state): Column => {
      const column = columnOf(table, state.name, this.type);
      if (state.kind === 'number') {
        if (column.kind !== 'number') throw kindChanged(state.name, 'numeric');
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = fillNumber(column.values[i], state.fill);
        return { name: state.name, kind: 'number', values };
      }
      if (column.kind !== 'string') throw kindChanged(state.name, 'text');
      const values = new Array<string>(table.rows);
      for (let i = 0; i < table.rows; i++) values[i] = fillText(column.values[i], state.fill);
      return { name: state.name, kind: 'string', values };
    });
    for (const name of indicators) {
      const column = columnOf(table, name, this.type);
      const values = new Float64Array(table.rows);
      if (column.kind === 'number') for (let i = 0; i < table.rows; i++) values[i] = missingNumber(column.values[i]);
      else for (let i = 0; i < table.rows; i++) values[i] = missingText(column.values[i]);
      out.push({ name: indicatorName(name), kind: 'number', values });
    }
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    return this.recordReader()(record);
  }

  /** `transformRecord` as one generated reader (record-reader.ts), made once per fitted state. */
  private recordReader(): RecordReader {
    const state = this.fitted();
    if (this.reader?.state === state) return this.reader.read;
    const { columns, indicators } = state;
    const readers: FieldReader[] = columns.map((c) => {
      if (c.kind === 'number') return (value, key) => fillNumber(numberValue(value, key), c.fill);
      return (value, key) => fillText(textValue(value, key), c.fill);
    });
    for (let i = 0; i < indicators.length; i++) {
      readers.push((value) => {
        const v = (value ?? null) as FeatureValue;
        return typeof v === 'number' ? missingNumber(v) : missingText(v);
      });
    }
    const read = recordReader([...columns.map((c) => c.name), ...indicators.map(indicatorName)], readers, [
      ...columns.map((c) => c.name),
      ...indicators,
    ]);
    this.reader = { state, read };
    return read;
  }

  inputNames(): string[] {
    return this.fitted().columns.map((c) => c.name);
  }

  outputNames(): string[] {
    const { columns, indicators } = this.fitted();
    return [...columns.map((c) => c.name), ...indicators.map(indicatorName)];
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.state };
  }

  static fromJSON(json: TransformJSON, path = 'SimpleImputer'): SimpleImputer {
    const imputer = withJSONParams(path, () => new SimpleImputer(json.params));
    if (json.state !== null) {
      const columns = jsonColumns(json.state, path, (c, at): ImputerColumn => {
        const name = jsonString(c.name, `${at}.name`);
        return jsonOneOf(c.kind, ['number', 'string'] as const, `${at}.kind`) === 'number'
          ? { name, kind: 'number', fill: jsonNumber(c.fill, `${at}.fill`) }
          : { name, kind: 'string', fill: jsonString(c.fill, `${at}.fill`) };
      });
      const indicators = jsonStrings(jsonObject(json.state, `${path}.state`).indicators, `${path}.state.indicators`);
      imputer.state = { columns, indicators };
    }
    return imputer;
  }

  private fitted(): ImputerState {
    if (!this.state) throw notFitted(this.type);
    return this.state;
  }

  private learn(column: Column): ImputerColumn {
    const { name } = column;
    const { strategy, fillValue } = this.params;
    if (strategy === 'constant') {
      if (column.kind === 'number') {
        if (typeof fillValue === 'string') {
          throw new KeelError(
            'invalid_argument',
            `SimpleImputer: fill value "${fillValue}" for numeric column "${name}" is text`,
            { field: 'fillValue' },
          );
        }
        return { name, kind: 'number', fill: fillValue ?? 0 };
      }
      return { name, kind: 'string', fill: fillValue === null ? 'missing' : String(fillValue) };
    }
    if (column.kind === 'string') {
      if (strategy !== 'most_frequent') {
        throw new KeelError('invalid_data', `SimpleImputer: cannot take the ${strategy} of text column "${name}"`, {
          field: name,
        });
      }
      return {
        name,
        kind: 'string',
        fill: mostFrequent(
          column.values.filter((v): v is string => v !== null),
          name,
        ),
      };
    }
    const present = column.values.filter((v) => !Number.isNaN(v));
    if (present.length === 0) throw noValues(name, strategy);
    switch (strategy) {
      case 'mean':
        return { name, kind: 'number', fill: mean(present) };
      case 'median':
        return { name, kind: 'number', fill: median(present) };
      case 'most_frequent':
        return { name, kind: 'number', fill: mostFrequent(Array.from(present), name) };
    }
  }
}

function textValue(value: unknown, name: string): string | null {
  if (typeof value === 'number') throw kindChanged(name, 'text');
  return (value ?? null) as string | null;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** numpy's median: the middle value, or the mean of the two middle values. */
function median(values: Float64Array): number {
  const sorted = values.slice().sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The most frequent value; ties go to the smallest, as in scikit-learn. */
function mostFrequent<T extends number | string>(values: readonly T[], name: string): T {
  if (values.length === 0) throw noValues(name, 'most_frequent');
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0];
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && value < best)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function noValues(name: string, strategy: string): KeelError {
  return new KeelError('invalid_data', `SimpleImputer: column "${name}" has no values to learn a ${strategy} from`, {
    field: name,
  });
}

function kindChanged(name: string, expected: string): KeelError {
  return new KeelError('invalid_data', `column "${name}" was ${expected} when the transform was fitted`, {
    field: name,
  });
}
