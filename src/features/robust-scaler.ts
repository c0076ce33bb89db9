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
  nonZeroScale,
  notFitted,
  numericValues,
  quantileSorted,
  recordNumber,
  sortedPresent,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';
import { standardize } from './standard-scaler.js';

export interface RobustScalerParams {
  /** Subtract the median (default true). */
  readonly withCentering?: boolean;
  /** Divide by the interquantile range (default true). */
  readonly withScaling?: boolean;
  /** The percentiles whose difference is the scale; default [25, 75] (the IQR). */
  readonly quantileRange?: readonly [number, number];
}

const specs: TransformParamSpecs<RobustScalerParams> = {
  withCentering: tparam.boolean(true),
  withScaling: tparam.boolean(true),
  quantileRange: tparam.range([25, 75], 0, 100),
};

interface RobustColumn {
  readonly name: string;
  readonly center: number;
  readonly scale: number;
}

/**
 * Centres each numeric column on its median and divides by its interquartile range (or another
 * `quantileRange`), as scikit-learn's RobustScaler: statistics that outliers barely move.
 * Percentiles interpolate linearly, as NumPy's; a zero range becomes 1. Missing values are
 * ignored when fitting and stay missing.
 */
export class RobustScaler implements Transform {
  readonly type = 'RobustScaler';
  readonly input = 'number';
  readonly params: Resolved<RobustScalerParams>;
  private columns: readonly RobustColumn[] | null = null;

  constructor(params: RobustScalerParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.columns = null;
    const { withCentering, withScaling, quantileRange } = this.params;
    this.columns = table.columns.map((column): RobustColumn => {
      const sorted = sortedPresent(numericValues(table, column.name, this.type));
      const n = sorted.length;
      if (n === 0) throw noValues(this.type, column.name);
      // NumPy's median averages the two middle values; its percentiles interpolate.
      const median = n % 2 === 1 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2;
      const range = quantileSorted(sorted, quantileRange[1] / 100) - quantileSorted(sorted, quantileRange[0] / 100);
      return {
        name: column.name,
        center: withCentering ? median : 0,
        scale: withScaling ? nonZeroScale(range) : 1,
      };
    });
    return this;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.fitted().map((state): Column => {
        const input = numericValues(table, state.name, this.type);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = standardize(input[i], state.center, state.scale);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      out[state.name] = standardize(recordNumber(record, state.name), state.center, state.scale);
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

  static fromJSON(json: TransformJSON, path = 'RobustScaler'): RobustScaler {
    const scaler = withJSONParams(path, () => new RobustScaler(json.params as RobustScalerParams));
    if (json.state !== null) {
      scaler.columns = jsonColumns(json.state, path, (c, at) => ({
        name: jsonString(c.name, `${at}.name`),
        center: jsonNumber(c.center, `${at}.center`),
        scale: jsonNumber(c.scale, `${at}.scale`),
      }));
    }
    return scaler;
  }

  private fitted(): readonly RobustColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}
