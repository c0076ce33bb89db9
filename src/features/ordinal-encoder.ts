import { KeelError, type Column, type Table } from '../core/index.js';
import {
  paramError,
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

export interface OrdinalEncoderParams {
  /** `use_encoded_value` (default): an unseen category becomes `unknownValue`; `error`: it is rejected. */
  readonly handleUnknown?: 'use_encoded_value' | 'error';
  /** The code of an unseen category; default -1; null means NaN (missing). */
  readonly unknownValue?: number | null;
  /** The code of a missing value; default null, i.e. NaN (missing), as in scikit-learn. */
  readonly encodedMissingValue?: number | null;
}

const specs: TransformParamSpecs<OrdinalEncoderParams> = {
  handleUnknown: tparam.oneOf('use_encoded_value', ['use_encoded_value', 'error']),
  unknownValue: tparam.orNull(tparam.number(-1), -1),
  encodedMissingValue: tparam.orNull(tparam.number(-1)),
};

interface OrdinalColumn {
  readonly name: string;
  /** Sorted; a category's code is its position. */
  readonly categories: readonly string[];
}

/**
 * Each category becomes its position in the sorted categories seen at fit time (0, 1, 2, …), as
 * scikit-learn's OrdinalEncoder: numeric columns' categories sort numerically, text by code unit.
 * The output column keeps the input's name. Unseen categories become `unknownValue` (or are
 * rejected), missing values `encodedMissingValue`.
 */
export class OrdinalEncoder implements Transform {
  readonly type = 'OrdinalEncoder';
  readonly input = 'category';
  readonly params: Resolved<OrdinalEncoderParams>;
  private columns: readonly OrdinalColumn[] | null = null;
  private indices: ReadonlyArray<ReadonlyMap<string, number>> = [];

  constructor(params: OrdinalEncoderParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.columns = null;
    const columns = table.columns.map((column): OrdinalColumn => {
      const seen = new Set<string>();
      for (let i = 0; i < table.rows; i++) {
        const category = categoryOf(column.values[i]);
        if (category !== null) seen.add(category);
      }
      return { name: column.name, categories: sortCategories(seen, column.kind === 'number') };
    });
    // A code that is also a category's position would make the two indistinguishable.
    const codes = Math.max(0, ...columns.map((c) => c.categories.length));
    for (const key of ['unknownValue', 'encodedMissingValue'] as const) {
      const value = this.params[key];
      if (value !== null && Number.isInteger(value) && value >= 0 && value < codes) {
        throw paramError(this.type, key, `${value} is already the code of a category seen at fit time`);
      }
    }
    this.setColumns(columns);
    return this;
  }

  domain(column: string): readonly string[] {
    const found = this.fitted().find((c) => c.name === column);
    if (!found) {
      throw new KeelError('invalid_argument', `OrdinalEncoder was not fitted on "${column}"`, { field: column });
    }
    return found.categories;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.fitted().map((state, j): Column => {
        const input = columnOf(table, state.name, this.type).values;
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = this.codeOf(j, input[i], i);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    this.fitted().forEach((state, j) => {
      out[state.name] = this.codeOf(j, record[state.name]);
    });
    return out;
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.inputNames();
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.columns && { columns: this.columns } };
  }

  static fromJSON(json: TransformJSON, path = 'OrdinalEncoder'): OrdinalEncoder {
    // The constructor checks every param.
    const encoder = withJSONParams(path, () => new OrdinalEncoder(json.params as OrdinalEncoderParams));
    if (json.state !== null) {
      encoder.setColumns(
        jsonColumns(json.state, path, (c, at) => ({
          name: jsonString(c.name, `${at}.name`),
          categories: jsonStrings(c.categories, `${at}.categories`),
        })),
      );
    }
    return encoder;
  }

  /** The per-value function both paths share. */
  private codeOf(j: number, value: FeatureValue | undefined, row?: number): number {
    const category = categoryOf(value);
    if (category === null) return this.params.encodedMissingValue ?? NaN;
    const code = this.indices[j].get(category);
    if (code !== undefined) return code;
    if (this.params.handleUnknown === 'error') {
      const name = this.fitted()[j].name;
      throw new KeelError('invalid_argument', `column "${name}": unknown category ${JSON.stringify(category)}`, {
        field: name,
        value: category,
        ...(row === undefined ? {} : { row }),
      });
    }
    return this.params.unknownValue ?? NaN;
  }

  private setColumns(columns: readonly OrdinalColumn[]): void {
    this.columns = columns;
    this.indices = columns.map((c) => new Map(c.categories.map((category, k) => [category, k])));
  }

  private fitted(): readonly OrdinalColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}
