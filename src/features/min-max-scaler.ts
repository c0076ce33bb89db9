import { ColumnwiseNumeric } from './columnwise-numeric.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import { jsonNumber, jsonString, noValues, nonZeroScale, type Transform, type TransformJSON } from './transform.js';

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
export class MinMaxScaler extends ColumnwiseNumeric<MinMaxColumn> implements Transform {
  readonly type = 'MinMaxScaler';
  readonly params: Resolved<MinMaxScalerParams>;
  private readonly low: number;
  private readonly high: number;

  constructor(params: MinMaxScalerParams = {}) {
    super();
    this.params = resolveTransformParams(this.type, specs, params);
    [this.low, this.high] = this.params.featureRange;
  }

  static fromJSON(json: TransformJSON, path = 'MinMaxScaler'): MinMaxScaler {
    return withJSONParams(path, () => new MinMaxScaler(json.params as MinMaxScalerParams)).restore(json, path);
  }

  protected learn(values: Float64Array, name: string): MinMaxColumn {
    const { low, high } = this;
    let dataMin = Infinity;
    let dataMax = -Infinity;
    for (const x of values) {
      if (x < dataMin) dataMin = x;
      if (x > dataMax) dataMax = x;
    }
    if (dataMin > dataMax) throw noValues(this.type, name);
    const scale = (high - low) / nonZeroScale(dataMax - dataMin);
    return { name, dataMin, dataMax, scale, min: low - dataMin * scale };
  }

  protected apply(value: number, state: MinMaxColumn): number {
    return minMaxScale(value, state.scale, state.min, this.params.clip, this.low, this.high);
  }

  protected readColumn(c: Record<string, unknown>, at: string): MinMaxColumn {
    return {
      name: jsonString(c.name, `${at}.name`),
      dataMin: jsonNumber(c.dataMin, `${at}.dataMin`),
      dataMax: jsonNumber(c.dataMax, `${at}.dataMax`),
      scale: jsonNumber(c.scale, `${at}.scale`),
      min: jsonNumber(c.min, `${at}.min`),
    };
  }
}
