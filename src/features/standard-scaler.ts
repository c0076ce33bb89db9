import type { Column, Table } from '../core/index.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  jsonColumns,
  jsonNumber,
  jsonString,
  noValues,
  notFitted,
  numericValues,
  recordNumber,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

export interface StandardScalerParams {
  /** Centre on the mean (default true). */
  readonly withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  readonly withStd?: boolean;
}

const specs: TransformParamSpecs<StandardScalerParams> = {
  withMean: tparam.boolean(true),
  withStd: tparam.boolean(true),
};

interface ScalerColumn {
  readonly name: string;
  readonly mean: number;
  readonly scale: number;
}

/** The per-value function both paths share. */
export const standardize = (value: number, mean: number, scale: number): number => (value - mean) / scale;

/**
 * Centres each numeric column on its mean and divides by its population standard deviation
 * (ddof=0), as scikit-learn's StandardScaler; a constant column gets scale 1. Missing values
 * (NaN) are ignored when fitting and stay missing.
 */
export class StandardScaler implements Transform {
  readonly type = 'StandardScaler';
  readonly input = 'number';
  readonly params: Resolved<StandardScalerParams>;
  private columns: readonly ScalerColumn[] | null = null;

  constructor(params: StandardScalerParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.columns = null;
    this.columns = table.columns.map((column) => this.learn(table, column));
    return this;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.fitted().map((state): Column => {
        const input = numericValues(table, state.name, this.type);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = standardize(input[i], state.mean, state.scale);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      out[state.name] = standardize(recordNumber(record, state.name), state.mean, state.scale);
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
    return { type: this.type, params: this.params, state: this.columns && { columns: this.columns } };
  }

  static fromJSON(json: TransformJSON, path = 'StandardScaler'): StandardScaler {
    const scaler = withJSONParams(path, () => new StandardScaler(json.params));
    if (json.state !== null) {
      scaler.columns = jsonColumns(json.state, path, (c, at) => ({
        name: jsonString(c.name, `${at}.name`),
        mean: jsonNumber(c.mean, `${at}.mean`),
        scale: jsonNumber(c.scale, `${at}.scale`),
      }));
    }
    return scaler;
  }

  private fitted(): readonly ScalerColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }

  private learn(table: Table, column: Column): ScalerColumn {
    const values = numericValues(table, column.name, this.type);
    let n = 0;
    let sum = 0;
    for (const x of values) {
      if (Number.isNaN(x)) continue;
      n++;
      sum += x;
    }
    if (n === 0) throw noValues(this.type, column.name);
    const mean = sum / n;
    let squares = 0;
    for (const x of values) if (!Number.isNaN(x)) squares += (x - mean) * (x - mean);
    const std = Math.sqrt(squares / n);
    return {
      name: column.name,
      mean: this.params.withMean ? mean : 0,
      scale: this.params.withStd && std !== 0 ? std : 1,
    };
  }
}
