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
  recordNumber,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

export interface MinMaxScalerParams {
  /** The range training values are mapped onto; default [0, 1]. */
  readonly featureRange?: readonly [number, number];
  /** Clip transformed values to `featureRange` (values outside the training range would leave it). */
  readonly clip?: boolean;
}

const specs: TransformParamSpecs<MinMaxScalerParams> = {
  featureRange: tparam.range([0, 1]),
  clip: tparam.boolean(false),
};

interface MinMaxColumn {
  readonly name: string;
  readonly dataMin: number;
  readonly dataMax: number;
  readonly scale: number;
  readonly min: number;
}

/** The per-value function both paths share: `x·scale + min`, in scikit-learn's order of operations. */
export const minMaxScale = (value: number, scale: number, min: number, clip: boolean, low: number, high: number) => {
  const scaled = value * scale + min;
  return clip ? Math.min(Math.max(scaled, low), high) : scaled;
};

/**
 * Maps each numeric column's training range onto `featureRange`, as scikit-learn's MinMaxScaler
 * (`scale = (high − low) / (max − min)`, `min = low − dataMin·scale`; a constant column gets a
 * range of 1). Missing values are ignored when fitting and stay missing.
 */
export class MinMaxScaler implements Transform {
  readonly type = 'MinMaxScaler';
  readonly input = 'number';
  readonly params: Resolved<MinMaxScalerParams>;
  private columns: readonly MinMaxColumn[] | null = null;

  constructor(params: MinMaxScalerParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.columns = null;
    const [low, high] = this.params.featureRange;
    this.columns = table.columns.map((column): MinMaxColumn => {
      const values = numericValues(table, column.name, this.type);
      let dataMin = Infinity;
      let dataMax = -Infinity;
      for (const x of values) {
        if (x < dataMin) dataMin = x;
        if (x > dataMax) dataMax = x;
      }
      if (dataMin > dataMax) throw noValues(this.type, column.name);
      const scale = (high - low) / nonZeroScale(dataMax - dataMin);
      return { name: column.name, dataMin, dataMax, scale, min: low - dataMin * scale };
    });
    return this;
  }

  transform(table: Table): Table {
    const { clip, featureRange } = this.params;
    const [low, high] = featureRange;
    return {
      rows: table.rows,
      columns: this.fitted().map((state): Column => {
        const input = numericValues(table, state.name, this.type);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = minMaxScale(input[i], state.scale, state.min, clip, low, high);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const { clip, featureRange } = this.params;
    const [low, high] = featureRange;
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      out[state.name] = minMaxScale(recordNumber(record, state.name), state.scale, state.min, clip, low, high);
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

  static fromJSON(json: TransformJSON, path = 'MinMaxScaler'): MinMaxScaler {
    const scaler = withJSONParams(path, () => new MinMaxScaler(json.params as MinMaxScalerParams));
    if (json.state !== null) {
      scaler.columns = jsonColumns(json.state, path, (c, at) => ({
        name: jsonString(c.name, `${at}.name`),
        dataMin: jsonNumber(c.dataMin, `${at}.dataMin`),
        dataMax: jsonNumber(c.dataMax, `${at}.dataMax`),
        scale: jsonNumber(c.scale, `${at}.scale`),
        min: jsonNumber(c.min, `${at}.min`),
      }));
    }
    return scaler;
  }

  private fitted(): readonly MinMaxColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}
