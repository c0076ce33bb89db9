import { NumericMap } from './columnwise-numeric.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import type { Transform, TransformJSON } from './transform.js';

export interface LogTransformParams {
  /** Null (default): `log1p(x)`, exact near 0. A number c: `ln(x + c)`. */
  readonly offset?: number | null;
}

const specs: TransformParamSpecs<LogTransformParams> = {
  offset: tparam.orNull(tparam.number(0)),
};

/** The per-value functions both paths share: a value outside the log's domain becomes missing (NaN). */
export const log1pOrMissing = (value: number): number => (value > -1 ? Math.log1p(value) : NaN);
export const logOrMissing = (value: number, offset: number): number => {
  const shifted = value + offset;
  return shifted > 0 ? Math.log(shifted) : NaN;
};

/**
 * The natural log of numeric columns, for skewed amounts and counts: `log1p(x)` by default, or
 * `ln(x + offset)`. A value at or below the domain's edge (x ≤ −1, or x + offset ≤ 0) becomes
 * missing (NaN) rather than an error or −∞, so one bad value never fails a request; impute
 * after the log if the model cannot take missing values. Output names are the input names.
 */
export class LogTransform extends NumericMap implements Transform {
  readonly type = 'LogTransform';
  readonly params: Resolved<LogTransformParams>;

  constructor(params: LogTransformParams = {}) {
    super();
    this.params = resolveTransformParams(this.type, specs, params);
  }

  protected apply(value: number): number {
    const { offset } = this.params;
    return offset === null ? log1pOrMissing(value) : logOrMissing(value, offset);
  }

  static fromJSON(json: TransformJSON, path = 'LogTransform'): LogTransform {
    // The constructor checks every param.
    const log = withJSONParams(path, () => new LogTransform(json.params as LogTransformParams));
    return log.restore(json, path);
  }
}
