import type { EstimatorTags } from '../estimator.js';
import { param, type ParamSpecs } from '../params.js';
import { LinearModel, linearModelTags } from './linear-regression.js';

export type RidgeParams = {
  /** L2 penalty: the loss is ‖y − Xw − b‖² + alpha·‖w‖² (intercept unpenalised). */
  alpha: number;
  fitIntercept: boolean;
};

const specs: ParamSpecs<RidgeParams> = {
  alpha: param.number(1, { min: 0 }),
  fitIntercept: param.boolean(true),
};

/** L2-penalised least squares, scikit-learn's `Ridge` (its exact `cholesky` solution). */
export class Ridge extends LinearModel<RidgeParams> {
  static readonly algorithm = 'ridge';
  static readonly tags: EstimatorTags = linearModelTags;

  constructor(params: Partial<RidgeParams> = {}) {
    super(specs, params);
  }

  protected penalty(): number {
    return this.getParams().alpha;
  }
}
