import { availableParallelism } from 'node:os';
import { Regressor, type EstimatorTags, type FittedState } from '../estimator.js';
import { jsonArray, type JsonObject, type JsonReader } from '../json.js';
import { checkTarget, type TargetInput } from '../labels.js';
import { float64Data, type MatrixInput } from '../matrix.js';
import { param, type ParamSpecs } from '../params.js';
import { kernelRunner } from '../wasm/threads.js';
import { fitLeastSquares } from './least-squares.js';

export type LinearRegressionParams = {
  /** Fit an intercept (on centred data); false forces the line through the origin. */
  fitIntercept: boolean;
};

const specs: ParamSpecs<LinearRegressionParams> = {
  fitIntercept: param.boolean(true),
};

/** What ordinary and ridge least squares learn. */
export interface LinearModelState extends FittedState {
  readonly coef: Float64Array;
  readonly intercept: number;
  /** Numerical rank of the centred X; below nFeatures, coef is the minimum-norm solution. */
  readonly rank: number;
}

export const linearModelTags: EstimatorTags = {
  classifier: false,
  regressor: true,
  multiclass: false,
  handlesMissing: false,
  randomized: false,
  featureImportances: false,
};

/**
 * Fits and predicts for LinearRegression and Ridge, which differ only in the penalty.
 * Generic over the params so each estimator keeps its own param type.
 */
export abstract class LinearModel<P extends Record<string, boolean | number>> extends Regressor<P, LinearModelState> {
  protected abstract penalty(): number;

  async fit(X: MatrixInput, y: TargetInput): Promise<this> {
    const matrix = this.checkFitInput(X);
    const target = checkTarget(y, { expectedLength: matrix.rows });
    const { fitIntercept } = this.getParams();
    const fit = fitLeastSquares(
      float64Data(matrix),
      matrix.rows,
      matrix.cols,
      target,
      fitIntercept === true,
      this.penalty(),
      // Every core, as scikit-learn's BLAS uses; the result does not depend on the count.
      kernelRunner(availableParallelism()),
    );
    this.setState({ nFeatures: matrix.cols, ...fit });
    return this;
  }

  predict(X: MatrixInput): Float64Array {
    const { coef, intercept } = this.state();
    const { rows, cols, data } = this.checkPredictInput(X);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let sum = intercept;
      for (let j = 0; j < cols; j++) sum += data[i * cols + j] * coef[j];
      out[i] = sum;
    }
    return out;
  }

  /** One weight per feature, scikit-learn's `coef_`. */
  get coef(): Float64Array {
    return Float64Array.from(this.state().coef);
  }

  /** 0 when fitIntercept is false. */
  get intercept(): number {
    return this.state().intercept;
  }

  /** Numerical rank of the centred X, scikit-learn's `rank_` (LinearRegression). */
  get rank(): number {
    return this.state().rank;
  }

  protected stateToJSON(state: LinearModelState): JsonObject {
    return { nFeatures: state.nFeatures, coef: jsonArray(state.coef), intercept: state.intercept, rank: state.rank };
  }

  protected stateFromJSON(state: JsonReader): LinearModelState {
    const nFeatures = state.integer('nFeatures', 1);
    const intercept = state.raw('intercept');
    if (typeof intercept !== 'number' || !Number.isFinite(intercept))
      throw state.invalid('intercept', 'a finite number');
    const rank = state.integer('rank');
    if (rank > nFeatures) throw state.invalid('rank', `an integer ≤ nFeatures (${nFeatures})`);
    return { nFeatures, coef: state.float64Array('coef', nFeatures), intercept, rank };
  }
}

/**
 * Ordinary least squares, scikit-learn's `LinearRegression`: the exact minimiser of the
 * squared error (the minimum-norm one when columns are collinear, as `lstsq` gives).
 */
export class LinearRegression extends LinearModel<LinearRegressionParams> {
  static readonly algorithm = 'linear_regression';
  static readonly tags: EstimatorTags = linearModelTags;

  constructor(params: Partial<LinearRegressionParams> = {}) {
    super(specs, params);
  }

  protected penalty(): number {
    return 0;
  }
}
