import { NumericMap } from './columnwise-numeric.js';
import {
  paramError,
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import type { Transform, TransformJSON } from './transform.js';

export interface ClipParams {
  /** Values below become `min`; null (default): no lower bound. */
  readonly min?: number | null;
  /** Values above become `max`; null (default): no upper bound. */
  readonly max?: number | null;
}

const specs: TransformParamSpecs<ClipParams> = {
  min: tparam.orNull(tparam.number(0)),
  max: tparam.orNull(tparam.number(0)),
};

/** The per-value function both paths share; a missing value stays missing. */
export const clipValue = (value: number, min: number, max: number): number => Math.min(Math.max(value, min), max);

/** Limits numeric columns to `[min, max]` (either bound may be omitted), as NumPy's `clip`. */
export class Clip extends NumericMap implements Transform {
  readonly type = 'Clip';
  readonly params: Resolved<ClipParams>;
  private readonly low: number;
  private readonly high: number;

  constructor(params: ClipParams = {}) {
    super();
    this.params = resolveTransformParams(this.type, specs, params);
    const { min, max } = this.params;
    if (min === null && max === null) throw paramError(this.type, 'min', 'or max must be set');
    if (min !== null && max !== null && min > max) throw paramError(this.type, 'max', `${max} is below min ${min}`);
    this.low = min ?? -Infinity;
    this.high = max ?? Infinity;
  }

  protected apply(value: number): number {
    return clipValue(value, this.low, this.high);
  }

  static fromJSON(json: TransformJSON, path = 'Clip'): Clip {
    // The constructor checks every param.
    const clip = withJSONParams(path, () => new Clip(json.params as ClipParams));
    return clip.restore(json, path);
  }
}
