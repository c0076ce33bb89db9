import { KeelError, type Column, type Table } from '../core/index.js';
import {
  columnOf,
  incompatible,
  jsonArray,
  jsonNumber,
  jsonObject,
  jsonOneOf,
  jsonString,
  notFitted,
  recordNumber,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';
const STRATEGIES: readonly ImputeStrategy[] = ['mean', 'median', 'most_frequent', 'constant'];

export interface SimpleImputerParams {
  /** Default `mean`. `mean` and `median` need numeric columns. */
  readonly strategy?: ImputeStrategy;
  /** The `constant` fill; default 0 for numeric columns and `"missing"` for text, as in scikit-learn. */
  readonly fillValue?: number | string;
}

type ImputerColumn =
  | { readonly name: string; readonly kind: 'number'; readonly fill: number }
  | { readonly name: string; readonly kind: 'string'; readonly fill: string };

/** The per-value functions both paths share. */
export const fillNumber = (value: number, fill: number): number => (Number.isNaN(value) ? fill : value);
export const fillText = (value: string | null, fill: string): string => (value === null ? fill : value);

/** Replaces missing values with a per-column statistic learned at fit time (scikit-learn's SimpleImputer). */
export class SimpleImputer implements Transform {
  readonly type = 'SimpleImputer';
  readonly strategy: ImputeStrategy;
  readonly fillValue: number | string | undefined;
  private columns: readonly ImputerColumn[] | null = null;

  constructor(params: SimpleImputerParams = {}) {
    this.strategy = params.strategy ?? 'mean';
    this.fillValue = params.fillValue;
  }

  fit(table: Table): this {
    this.columns = table.columns.map((column) => this.learn(column));
    return this;
  }

  transform(table: Table): Table {
    const fitted = this.fitted();
    return {
      rows: table.rows,
      columns: fitted.map((state): Column => {
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
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      if (state.kind === 'number') out[state.name] = fillNumber(recordNumber(record, state.name), state.fill);
      else {
        const value = record[state.name] ?? null;
        if (typeof value === 'number') throw kindChanged(state.name, 'text');
        out[state.name] = fillText(value, state.fill);
      }
    }
    return out;
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.inputNames();
  }

  toJSON(): TransformJSON {
    return {
      type: this.type,
      params: { strategy: this.strategy, ...(this.fillValue === undefined ? {} : { fillValue: this.fillValue }) },
      state: this.columns && { columns: this.columns },
    };
  }

  static fromJSON(json: TransformJSON, path = 'SimpleImputer'): SimpleImputer {
    const params = jsonObject(json.params, `${path}.params`);
    const fillValue = params.fillValue;
    if (fillValue !== undefined && typeof fillValue !== 'number' && typeof fillValue !== 'string') {
      throw incompatible(`${path}.params.fillValue`, 'a number or a string');
    }
    const imputer = new SimpleImputer({
      strategy: jsonOneOf(params.strategy, STRATEGIES, `${path}.params.strategy`),
      fillValue,
    });
    if (json.state !== null) {
      const columns = jsonArray(jsonObject(json.state, `${path}.state`).columns, `${path}.state.columns`);
      imputer.columns = columns.map((value, i): ImputerColumn => {
        const at = `${path}.state.columns[${i}]`;
        const c = jsonObject(value, at);
        const name = jsonString(c.name, `${at}.name`);
        return jsonOneOf(c.kind, ['number', 'string'] as const, `${at}.kind`) === 'number'
          ? { name, kind: 'number', fill: jsonNumber(c.fill, `${at}.fill`) }
          : { name, kind: 'string', fill: jsonString(c.fill, `${at}.fill`) };
      });
    }
    return imputer;
  }

  private fitted(): readonly ImputerColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }

  private learn(column: Column): ImputerColumn {
    const { name } = column;
    if (this.strategy === 'constant') {
      if (column.kind === 'number') {
        if (typeof this.fillValue === 'string') {
          throw new KeelError(
            'invalid_argument',
            `SimpleImputer: fill value "${this.fillValue}" for numeric column "${name}" is text`,
            { field: name },
          );
        }
        return { name, kind: 'number', fill: this.fillValue ?? 0 };
      }
      return { name, kind: 'string', fill: this.fillValue === undefined ? 'missing' : String(this.fillValue) };
    }
    if (column.kind === 'string') {
      if (this.strategy !== 'most_frequent') {
        throw new KeelError(
          'invalid_data',
          `SimpleImputer: cannot take the ${this.strategy} of text column "${name}"`,
          { field: name },
        );
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
    if (present.length === 0) throw noValues(name, this.strategy);
    switch (this.strategy) {
      case 'mean':
        return { name, kind: 'number', fill: mean(present) };
      case 'median':
        return { name, kind: 'number', fill: median(present) };
      case 'most_frequent':
        return { name, kind: 'number', fill: mostFrequent(Array.from(present), name) };
    }
  }
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
