import { KeelError, isKeelError, type DenseMatrix } from '../core/index.js';
import { JsonReader, type JsonObject } from './json.js';
import type { ClassLabel, TargetInput } from './labels.js';
import { checkMatrix, type MatrixInput } from './matrix.js';
import { resolveParams, type ParamSpecs, type ParamValue } from './params.js';

/**
 * The estimator contract, scikit-learn's in camelCase:
 * - the constructor only validates and stores params; nothing is learned there;
 * - `await fit(X, y)` learns, replaces any earlier fit, and returns the estimator (`fit(X)` for
 *   unsupervised estimators);
 * - `getParams`/`setParams`/`clone` let search and pipelines treat every estimator alike;
 * - the fitted state is separate from the params and round-trips through `toJSON`/`fromJSON`,
 *   so serving loads a model and never refits;
 * - capabilities are declared as static `tags`, never probed.
 */

/** Capabilities generic code (pipelines, search, serving, tests) reads instead of probing. */
export interface EstimatorTags {
  /** Predicts class labels; has `classes` and `predictProba`. */
  readonly classifier: boolean;
  /** Predicts a number per row. */
  readonly regressor: boolean;
  /** Fits more than two classes. */
  readonly multiclass: boolean;
  /** Accepts NaN in X as a missing value; otherwise NaN is rejected with its row and column. */
  readonly handlesMissing: boolean;
  /** Uses randomness, fixed by its `seed` param. */
  readonly randomized: boolean;
  /** Exposes `featureImportances` after fitting. */
  readonly featureImportances: boolean;
  /**
   * Learns from X alone (clustering, anomaly detection): `fit(X)` needs no y and ignores one
   * if given; neither `classifier` nor `regressor`. Absent means false.
   */
  readonly unsupervised?: boolean;
}

/** A fitted (or unfitted) estimator as plain JSON. */
export interface EstimatorJSON {
  readonly algorithm: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Null while unfitted. */
  readonly state: JsonObject | null;
}

/** What every fitted state records. */
export interface FittedState {
  readonly nFeatures: number;
}

/** A dense row-major Float64 matrix, as predictions are returned. */
export interface Float64Matrix extends DenseMatrix {
  readonly data: Float64Array;
}

/** The static side of an estimator class, as the registry and `fromJSON` use it. */
export interface EstimatorClass<E extends Estimator = Estimator> {
  new (params?: Readonly<Record<string, ParamValue>>): E;
  /** The snake_case name used in keel.yaml, runs and model packages. */
  readonly algorithm: string;
  readonly tags: EstimatorTags;
  fromJSON(json: unknown): E;
}

export abstract class Estimator<
  P extends Record<string, ParamValue> = Record<string, ParamValue>,
  S extends FittedState = FittedState,
> {
  private params: P;
  private fitted: S | null = null;

  protected constructor(
    private readonly specs: ParamSpecs<P>,
    params: Partial<P> | undefined,
  ) {
    this.params = resolveParams(this.algorithm, specs, params);
  }

  private get class(): EstimatorClass {
    return this.constructor as EstimatorClass;
  }

  get algorithm(): string {
    return this.class.algorithm;
  }

  get tags(): EstimatorTags {
    return this.class.tags;
  }

  getParams(): P {
    return { ...this.params };
  }

  /**
   * Updates some params. Unlike scikit-learn this also discards a previous fit, so a model's
   * params always describe how its state was learned (toJSON could otherwise record a lie).
   */
  setParams(params: Partial<P>): this {
    this.params = resolveParams(this.algorithm, this.specs, params, this.params);
    this.fitted = null;
    return this;
  }

  /** An unfitted estimator with the same params. */
  clone(): this {
    const Class = this.constructor as new (params: P) => this;
    return new Class(this.getParams());
  }

  get isFitted(): boolean {
    return this.fitted !== null;
  }

  /** Number of columns X had at fit time (scikit-learn's `n_features_in_`). */
  get nFeatures(): number {
    return this.state().nFeatures;
  }

  /** Learns from X and, unless the estimator is unsupervised, the targets y. */
  abstract fit(X: MatrixInput, y?: TargetInput): Promise<this>;

  abstract predict(X: MatrixInput): ClassLabel[] | Float64Array;

  toJSON(): EstimatorJSON {
    return {
      algorithm: this.algorithm,
      params: this.getParams(),
      state: this.fitted === null ? null : this.stateToJSON(this.fitted),
    };
  }

  /**
   * Rebuilds an estimator from `toJSON` output, validating the params and every field of the
   * state. Call it on the class: `DecisionTreeClassifier.fromJSON(json)`.
   */
  static fromJSON<E extends Estimator>(this: EstimatorClass<E>, json: unknown): E {
    const root = JsonReader.object(json, 'model');
    const algorithm = root.string('algorithm');
    if (algorithm !== this.algorithm) {
      throw new KeelError('invalid_data', `model JSON is for "${algorithm}", not "${this.algorithm}"`, {
        field: 'model.algorithm',
      });
    }
    let estimator: E;
    try {
      // The constructor validates every param value; the reader only checks there is an object.
      estimator = new this(root.record('params') as Readonly<Record<string, ParamValue>>);
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'invalid_argument') throw error;
      throw new KeelError('invalid_data', `model JSON is invalid: ${error.message}`, {
        field: `model.params.${String(error.details.field)}`,
      });
    }
    const state = root.raw('state');
    if (state !== null) estimator.restore(JsonReader.object(state, 'model.state'));
    return estimator;
  }

  private restore(state: JsonReader): void {
    this.fitted = this.stateFromJSON(state);
  }

  /** Serialises the fitted state into plain JSON (typed arrays become number arrays). */
  protected abstract stateToJSON(state: S): JsonObject;

  /** Reads and validates a state written by `stateToJSON`. */
  protected abstract stateFromJSON(state: JsonReader): S;

  /** Replaces the fitted state; called once at the end of a successful `fit`. */
  protected setState(state: S): void {
    this.fitted = state;
  }

  /** The fitted state; fails with a clear error before `fit`. */
  protected state(): S {
    if (this.fitted === null) {
      throw new KeelError(
        'failed_precondition',
        `${this.constructor.name} is not fitted yet: call fit(X, y) before using it`,
        { algorithm: this.algorithm },
      );
    }
    return this.fitted;
  }

  /** Validates X for fitting: non-empty, rectangular, numeric, no NaN unless the estimator handles it. */
  protected checkFitInput(X: MatrixInput): DenseMatrix {
    return checkMatrix(X, { estimator: this.constructor.name, allowNaN: this.tags.handlesMissing });
  }

  /** Validates X for prediction: as for fit, plus the fitted column count. */
  protected checkPredictInput(X: MatrixInput): DenseMatrix {
    const { nFeatures } = this.state();
    return checkMatrix(X, { estimator: this.constructor.name, allowNaN: this.tags.handlesMissing, nFeatures });
  }
}

export interface ClassifierState extends FittedState {
  readonly classes: readonly ClassLabel[];
}

/** Estimators that predict one of a fixed set of class labels. */
export abstract class Classifier<
  P extends Record<string, ParamValue> = Record<string, ParamValue>,
  S extends ClassifierState = ClassifierState,
> extends Estimator<P, S> {
  /** The class labels seen in y at fit time, in the order of predictProba's columns. */
  get classes(): ClassLabel[] {
    return [...this.state().classes];
  }

  predict(X: MatrixInput): ClassLabel[] {
    const { classes } = this.state();
    const codes = this.predictCodes(X);
    const labels = new Array<ClassLabel>(codes.length);
    for (let i = 0; i < codes.length; i++) labels[i] = classes[codes[i]];
    return labels;
  }

  /** Class probabilities: one row per sample, one column per class in `classes` order. */
  abstract predictProba(X: MatrixInput): Float64Matrix;

  /** The predicted class of each row as an index into `classes`. */
  protected abstract predictCodes(X: MatrixInput): Int32Array;
}

/** Estimators that predict a real number. */
export abstract class Regressor<
  P extends Record<string, ParamValue> = Record<string, ParamValue>,
  S extends FittedState = FittedState,
> extends Estimator<P, S> {
  abstract override predict(X: MatrixInput): Float64Array;
}

export function isClassifier(estimator: Estimator): estimator is Classifier {
  return estimator.tags.classifier;
}

export function isRegressor(estimator: Estimator): estimator is Regressor {
  return estimator.tags.regressor;
}
