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
  jsonColumns,
  jsonString,
  jsonStrings,
  notFitted,
  sortCategories,
  type FeatureRecord,
  type FeatureValue,
  type Transform,
  type TransformJSON,
} from './transform.js';

export type HandleUnknown = 'ignore' | 'error' | 'infrequent_if_exist';

export interface OneHotEncoderParams {
  /**
   * `ignore` (default): an unseen category encodes as all zeros; `error`: it is rejected;
   * `infrequent_if_exist`: it goes to the column's infrequent column, when there is one.
   */
  readonly handleUnknown?: HandleUnknown;
  /**
   * Categories seen fewer times than this (a count ≥ 1, or a share of the rows when below 1)
   * share one `NAME=infrequent` column. Null (default): every category gets its own column.
   */
  readonly minFrequency?: number | null;
  /** At most this many output columns per input column, the infrequent one included. */
  readonly maxCategories?: number | null;
}

const specs: TransformParamSpecs<OneHotEncoderParams> = {
  handleUnknown: tparam.oneOf('ignore', ['ignore', 'error', 'infrequent_if_exist']),
  minFrequency: tparam.orNull(
    tparam.custom(
      1,
      'a count ≥ 1 (an integer) or a share of the rows between 0 and 1',
      (v): v is number => typeof v === 'number' && ((v > 0 && v < 1) || (Number.isSafeInteger(v) && v >= 1)),
    ),
  ),
  maxCategories: tparam.orNull(tparam.integer(2, 1)),
};

interface EncoderColumn {
  readonly name: string;
  /** The categories with their own column, sorted as scikit-learn sorts them. */
  readonly categories: readonly string[];
  /** The categories that share the `NAME=infrequent` column, sorted; empty when there is none. */
  readonly infrequent: readonly string[];
}

/** Output column name of one category, e.g. `Contract=Month-to-month`. */
export const featureName = (column: string, category: string): string => `${column}=${category}`;

/** The category name of the shared column of infrequent categories (`NAME=infrequent`). */
export const INFREQUENT = 'infrequent';

/**
 * One 0/1 column per category seen at fit time, as scikit-learn's OneHotEncoder; with
 * `minFrequency`/`maxCategories`, rare categories share one `NAME=infrequent` column (after the
 * others, as scikit-learn's `infrequent_sklearn`). Numbers are read as their decimal text, so a
 * coded column (1, 2, 3) can be one-hot encoded; a numeric column's categories sort numerically,
 * text sorts by code unit. Missing values are not a category: impute them first (the default
 * recipe does); a missing value that still reaches the encoder encodes as all zeros (or is
 * rejected with `handleUnknown: error`).
 */
export class OneHotEncoder implements Transform {
  readonly type = 'OneHotEncoder';
  readonly input = 'category';
  readonly params: Resolved<OneHotEncoderParams>;
  private columns: readonly EncoderColumn[] | null = null;
  /** Category → output position per column (the infrequent column is last); derived, never serialised. */
  private indices: ReadonlyArray<ReadonlyMap<string, number>> = [];
  /** Output column names per input column, built once: the serving path names them on every row. */
  private names: ReadonlyArray<readonly string[]> = [];

  constructor(params: OneHotEncoderParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  get handleUnknown(): HandleUnknown {
    return this.params.handleUnknown;
  }

  fit(table: Table): this {
    this.columns = null;
    this.setColumns(
      table.columns.map((column) => {
        const counts = new Map<string, number>();
        for (let i = 0; i < table.rows; i++) {
          const category = categoryOf(column.values[i]);
          if (category !== null) counts.set(category, (counts.get(category) ?? 0) + 1);
        }
        const sorted = sortCategories(counts.keys(), column.kind === 'number');
        const rare = this.infrequentOf(
          sorted.map((c) => counts.get(c) ?? 0),
          table.rows,
        );
        const categories = sorted.filter((_, k) => !rare.has(k));
        if (rare.size > 0 && categories.includes(INFREQUENT)) {
          throw new KeelError(
            'invalid_data',
            `OneHotEncoder: column "${column.name}" has a category named "${INFREQUENT}", which would clash with its column of infrequent categories`,
            { field: column.name },
          );
        }
        return { name: column.name, categories, infrequent: sorted.filter((_, k) => rare.has(k)) };
      }),
    );
    return this;
  }

  /** Every category learned for `column`, frequent or not, sorted (numerically when they are numeric codes). */
  categories(column: string): readonly string[] {
    const found = this.fitted().find((c) => c.name === column);
    if (!found) {
      throw new KeelError('invalid_argument', `OneHotEncoder was not fitted on "${column}"`, { field: column });
    }
    if (found.infrequent.length === 0) return found.categories;
    const all = [...found.categories, ...found.infrequent];
    return sortCategories(
      all,
      all.every((c) => String(Number(c)) === c),
    );
  }

  domain(column: string): readonly string[] {
    return this.categories(column);
  }

  transform(table: Table): Table {
    const out: Column[] = [];
    this.fitted().forEach((state, j) => {
      const column = columnOf(table, state.name, this.type);
      const outputs = outputNamesOf(state).map(() => new Float64Array(table.rows));
      for (let i = 0; i < table.rows; i++) {
        const index = this.indexOf(j, column.values[i], i);
        if (index >= 0) outputs[index][i] = 1;
      }
      outputNamesOf(state).forEach((name, k) => out.push({ name, kind: 'number', values: outputs[k] }));
    });
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    this.fitted().forEach((state, j) => {
      const index = this.indexOf(j, record[state.name]);
      const names = this.names[j];
      for (let k = 0; k < names.length; k++) out[names[k]] = k === index ? 1 : 0;
    });
    return out;
  }

  transformRecordInto(record: Readonly<FeatureRecord>, out: Float64Array, offset: number): void {
    const columns = this.fitted();
    for (let j = 0; j < columns.length; j++) {
      const index = this.indexOf(j, record[columns[j].name]);
      const width = this.names[j].length;
      out.fill(0, offset, offset + width);
      if (index >= 0) out[offset + index] = 1;
      offset += width;
    }
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.fitted().flatMap(outputNamesOf);
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.columns && { columns: this.columns } };
  }

  static fromJSON(json: TransformJSON, path = 'OneHotEncoder'): OneHotEncoder {
    // The constructor checks every param.
    const encoder = withJSONParams(path, () => new OneHotEncoder(json.params as OneHotEncoderParams));
    if (json.state !== null) {
      encoder.setColumns(
        jsonColumns(json.state, path, (c, at) => ({
          name: jsonString(c.name, `${at}.name`),
          categories: jsonStrings(c.categories, `${at}.categories`),
          infrequent: jsonStrings(c.infrequent, `${at}.infrequent`),
        })),
      );
    }
    return encoder;
  }

  /** Positions (in `counts`, sorted category order) of the infrequent categories, as scikit-learn picks them. */
  private infrequentOf(counts: readonly number[], rows: number): Set<number> {
    const { minFrequency, maxCategories } = this.params;
    const rare = new Set<number>();
    if (minFrequency !== null) {
      const threshold = minFrequency < 1 ? minFrequency * rows : minFrequency;
      counts.forEach((count, k) => {
        if (count < threshold) rare.add(k);
      });
    }
    // maxCategories counts the infrequent column; the least frequent go first, ties by sort order.
    if (maxCategories !== null && maxCategories < counts.length - rare.size + 1) {
      const byCount = counts.map((count, k) => ({ count, k })).sort((a, b) => a.count - b.count || a.k - b.k);
      const keep = maxCategories - 1;
      for (const { k } of byCount.slice(0, byCount.length - keep)) rare.add(k);
    }
    return rare;
  }

  /** The per-value function both paths share: the output position, or -1 for all zeros. */
  private indexOf(j: number, value: FeatureValue | undefined, row?: number): number {
    const category = categoryOf(value);
    const index = category === null ? undefined : this.indices[j].get(category);
    if (index !== undefined) return index;
    const state = this.fitted()[j];
    if (this.params.handleUnknown === 'error') {
      const what = category === null ? 'a missing value' : `unknown category ${JSON.stringify(category)}`;
      throw new KeelError('invalid_argument', `column "${state.name}": ${what}`, {
        field: state.name,
        ...(row === undefined ? {} : { row }),
        ...(category === null ? {} : { value: category }),
      });
    }
    if (this.params.handleUnknown === 'infrequent_if_exist' && category !== null && state.infrequent.length > 0) {
      return state.categories.length;
    }
    return -1;
  }

  private setColumns(columns: readonly EncoderColumn[]): void {
    this.columns = columns;
    this.indices = columns.map((c) => {
      const index = new Map(c.categories.map((category, k) => [category, k]));
      for (const category of c.infrequent) index.set(category, c.categories.length);
      return index;
    });
    this.names = columns.map(outputNamesOf);
  }

  private fitted(): readonly EncoderColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}

function outputNamesOf(state: EncoderColumn): string[] {
  const names = state.categories.map((category) => featureName(state.name, category));
  if (state.infrequent.length > 0) names.push(featureName(state.name, INFREQUENT));
  return names;
}
