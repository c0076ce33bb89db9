import { ColumnwiseNumeric } from './columnwise-numeric.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import { jsonNumber, jsonString, noValues, type Transform, type TransformJSON } from './transform.js';

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
export class StandardScaler extends ColumnwiseNumeric<ScalerColumn> implements Transform {
  readonly type = 'StandardScaler';
  readonly params: Resolved<StandardScalerParams>;

  constructor(params: StandardScalerParams = {}) {
    super();
    this.params = resolveTransformParams(this.type, specs, params);
  }

  static fromJSON(json: TransformJSON, path = 'StandardScaler'): StandardScaler {
    return withJSONParams(path, () => new StandardScaler(json.params)).restore(json, path);
  }

  protected learn(values: Float64Array, name: string): ScalerColumn {
    let n = 0;
    let sum = 0;
    for (const x of values) {
      if (Number.isNaN(x)) continue;
      n++;
      sum += x;
    }
    if (n === 0) throw noValues(this.type, name);
    const mean = sum / n;
    let squares = 0;
    for (const x of values) if (!Number.isNaN(x)) squares += (x - mean) * (x - mean);
    const std = Math.sqrt(squares / n);
    return { name, mean: this.params.withMean ? mean : 0, scale: this.params.withStd && std !== 0 ? std : 1 };
  }

  protected apply(value: number, state: ScalerColumn): number {
    return standardize(value, state.mean, state.scale);
  }

  protected readColumn(c: Record<string, unknown>, at: string): ScalerColumn {
    return {
      name: jsonString(c.name, `${at}.name`),
      mean: jsonNumber(c.mean, `${at}.mean`),
      scale: jsonNumber(c.scale, `${at}.scale`),
    };
  }
}
