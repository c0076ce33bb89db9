import { KeelError, type Column, type Table } from '../core/index.js';
import {
  categoryOf,
  columnOf,
  jsonArray,
  jsonObject,
  jsonOneOf,
  jsonString,
  jsonStrings,
  notFitted,
  type FeatureRecord,
  type FeatureValue,
  type Transform,
  type TransformJSON,
} from './transform.js';

export type HandleUnknown = 'ignore' | 'error';

export interface OneHotEncoderParams {
  /** `ignore` (default): an unseen category encodes as all zeros; `error`: it is rejected. */
  readonly handleUnknown?: HandleUnknown;
}

interface EncoderColumn {
  readonly name: string;
  /** Sorted, as scikit-learn sorts them. */
  readonly categories: readonly string[];
}

/** Output column name of one category, e.g. `Contract=Month-to-month`. */
export const featureName = (column: string, category: string): string => `${column}=${category}`;

/**
 * One 0/1 column per category seen at fit time. Numbers are read as their decimal text, so a
 * coded column (1, 2, 3) can be one-hot encoded. Missing values are not a category: impute them
 * first (the feature pipeline does, with the most frequent value); a missing value that still
 * reaches the encoder is treated like an unknown category.
 */
export class OneHotEncoder implements Transform {
  readonly type = 'OneHotEncoder';
  readonly handleUnknown: HandleUnknown;
  private columns: readonly EncoderColumn[] | null = null;
  /** Category → position, per column; derived from `columns`, never serialised. */
  private indices: ReadonlyArray<ReadonlyMap<string, number>> = [];

  constructor(params: OneHotEncoderParams = {}) {
    this.handleUnknown = params.handleUnknown ?? 'ignore';
  }

  fit(table: Table): this {
    this.setColumns(
      table.columns.map((column) => {
        const seen = new Set<string>();
        for (let i = 0; i < table.rows; i++) {
          const category = categoryOf(column.values[i]);
          if (category !== null) seen.add(category);
        }
        return { name: column.name, categories: [...seen].sort() };
      }),
    );
    return this;
  }

  /** The learned categories of `column`. */
  categories(column: string): readonly string[] {
    const found = this.fitted().find((c) => c.name === column);
    if (!found)
      throw new KeelError('invalid_argument', `OneHotEncoder was not fitted on "${column}"`, { field: column });
    return found.categories;
  }

  transform(table: Table): Table {
    const out: Column[] = [];
    this.fitted().forEach((state, j) => {
      const column = columnOf(table, state.name, this.type);
      const outputs = state.categories.map(() => new Float64Array(table.rows));
      for (let i = 0; i < table.rows; i++) {
        const index = this.indexOf(j, column.values[i], i);
        if (index >= 0) outputs[index][i] = 1;
      }
      state.categories.forEach((category, k) =>
        out.push({ name: featureName(state.name, category), kind: 'number', values: outputs[k] }),
      );
    });
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    this.fitted().forEach((state, j) => {
      const index = this.indexOf(j, record[state.name]);
      state.categories.forEach((category, k) => {
        out[featureName(state.name, category)] = k === index ? 1 : 0;
      });
    });
    return out;
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.fitted().flatMap((c) => c.categories.map((category) => featureName(c.name, category)));
  }

  toJSON(): TransformJSON {
    return {
      type: this.type,
      params: { handleUnknown: this.handleUnknown },
      state: this.columns && { columns: this.columns },
    };
  }

  static fromJSON(json: TransformJSON, path = 'OneHotEncoder'): OneHotEncoder {
    const params = jsonObject(json.params, `${path}.params`);
    const encoder = new OneHotEncoder({
      handleUnknown: jsonOneOf(params.handleUnknown, ['ignore', 'error'] as const, `${path}.params.handleUnknown`),
    });
    if (json.state !== null) {
      const columns = jsonArray(jsonObject(json.state, `${path}.state`).columns, `${path}.state.columns`);
      encoder.setColumns(
        columns.map((value, i) => {
          const at = `${path}.state.columns[${i}]`;
          const c = jsonObject(value, at);
          return { name: jsonString(c.name, `${at}.name`), categories: jsonStrings(c.categories, `${at}.categories`) };
        }),
      );
    }
    return encoder;
  }

  /** The per-value function both paths share: the category's position, or -1 for unknown/missing. */
  private indexOf(j: number, value: FeatureValue | undefined, row?: number): number {
    const category = categoryOf(value);
    const index = category === null ? undefined : this.indices[j].get(category);
    if (index !== undefined) return index;
    if (this.handleUnknown === 'error') {
      const name = this.fitted()[j].name;
      const what = category === null ? 'a missing value' : `unknown category ${JSON.stringify(category)}`;
      throw new KeelError('invalid_argument', `column "${name}": ${what}`, {
        field: name,
        ...(row === undefined ? {} : { row }),
      });
    }
    return -1;
  }

  private setColumns(columns: readonly EncoderColumn[]): void {
    this.columns = columns;
    this.indices = columns.map((c) => new Map(c.categories.map((category, k) => [category, k])));
  }

  private fitted(): readonly EncoderColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}
