import { ColumnwiseNumeric } from './columnwise-numeric.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  jsonNumber,
  jsonString,
  noValues,
  nonZeroScale,
  quantileSorted,
  sortedPresent,
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
export class RobustScaler extends ColumnwiseNumeric<RobustColumn> implements Transform {
  readonly type = 'RobustScaler';
  readonly params: Resolved<RobustScalerParams>;

  constructor(params: RobustScalerParams = {}) {
    super();
    this.params = resolveTransformParams(this.type, specs, params);
  }

  static fromJSON(json: TransformJSON, path = 'RobustScaler'): RobustScaler {
    return withJSONParams(path, () => new RobustScaler(json.params as RobustScalerParams)).restore(json, path);
  }

  protected learn(values: Float64Array, name: string): RobustColumn {
    const { withCentering, withScaling, quantileRange } = this.params;
    const sorted = sortedPresent(values);
    const n = sorted.length;
    if (n === 0) throw noValues(this.type, name);
    // NumPy's median averages the two middle values; its percentiles interpolate.
    const median = n % 2 === 1 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2;
    const range = quantileSorted(sorted, quantileRange[1] / 100) - quantileSorted(sorted, quantileRange[0] / 100);
    return { name, center: withCentering ? median : 0, scale: withScaling ? nonZeroScale(range) : 1 };
  }

  protected apply(value: number, state: RobustColumn): number {
    return standardize(value, state.center, state.scale);
  }

  protected readColumn(c: Record<string, unknown>, at: string): RobustColumn {
    return {
      name: jsonString(c.name, `${at}.name`),
      center: jsonNumber(c.center, `${at}.center`),
      scale: jsonNumber(c.scale, `${at}.scale`),
    };
  }
}
