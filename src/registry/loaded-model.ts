import type { DenseMatrix, ModelSignature, ReferenceProfile, Row } from '../core/index.js';
import { FeaturePipeline } from '../features/index.js';
import { estimatorFromJSON, isClassifier, type Estimator } from '../ml/index.js';
import type { ModelPackage } from './model-package.js';

export type Prediction =
  | { readonly label: string | number; readonly probabilities: Readonly<Record<string, number>> }
  | { readonly value: number };

/**
 * What serving predicts with, whatever runs the model: Keel's own fitted pipeline and estimator
 * (`LoadedModel`, synchronous) or an imported ONNX graph in ONNX Runtime (`OnnxModel`, whose
 * runs are asynchronous). Rows must already be checked against `signature` (`validateRows`).
 */
export interface ServableModel {
  readonly signature: ModelSignature;
  /** The training reference monitoring compares served rows and outputs with (absent in an imported model without one). */
  readonly reference?: ReferenceProfile;
  predict(rows: readonly Row[]): Prediction[] | Promise<Prediction[]>;
}

/** Largest feature matrix (values) `LoadedModel.predict` writes into its reused buffer: 512 KiB. */
const SCRATCH_VALUES = 1 << 16;

/**
 * A package made ready to predict: the feature pipeline and the estimator rebuilt from their
 * fitted state once, then reused for every request. It never refits.
 */
export class LoadedModel implements ServableModel {
  private scratch = new Float64Array(0);

  private constructor(
    readonly signature: ModelSignature,
    private readonly features: FeaturePipeline,
    private readonly estimator: Estimator,
    readonly reference?: ReferenceProfile,
  ) {}

  static fromPackage(pkg: ModelPackage): LoadedModel {
    return new LoadedModel(
      pkg.signature,
      FeaturePipeline.fromJSON(pkg.features),
      estimatorFromJSON(pkg.estimator),
      pkg.reference,
    );
  }

  /** Rows must already be checked against the signature (see `validateRows` in data). */
  predict(rows: readonly Row[]): Prediction[] {
    const width = this.features.featureNames.length;
    const data = this.matrixData(rows.length * width);
    for (let i = 0; i < rows.length; i++) this.features.transformRowInto(rows[i], data, i * width);
    return this.predictMatrix({ rows: rows.length, cols: width, data });
  }

  /**
   * The feature matrix of one `predict` call. Up to SCRATCH_VALUES it is a view of one buffer kept
   * for the next call — `predict` is synchronous and estimators keep nothing of their input — as
   * a Float64Array of more than 64 bytes lives outside the JS heap, and allocating one per
   * request cost more than transforming the row into it.
   */
  private matrixData(size: number): Float64Array {
    if (size > SCRATCH_VALUES) return new Float64Array(size);
    if (this.scratch.length < size) this.scratch = new Float64Array(Math.max(size, 2 * this.scratch.length));
    return this.scratch.subarray(0, size);
  }

  predictMatrix(matrix: DenseMatrix): Prediction[] {
    const out: Prediction[] = new Array(matrix.rows);
    if (this.signature.task === 'regression') {
      const values = this.estimator.predict(matrix);
      for (let i = 0; i < matrix.rows; i++) out[i] = { value: Number(values[i]) };
      return out;
    }
    const estimator = this.estimator;
    if (!isClassifier(estimator)) throw new Error(`${estimator.algorithm} cannot predict classes`);
    const classes = estimator.classes;
    const proba = estimator.predictProba(matrix);
    for (let i = 0; i < matrix.rows; i++) {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < classes.length; c++) {
        const p = proba.data[i * proba.cols + c];
        probabilities[String(classes[c])] = p;
        if (p > proba.data[i * proba.cols + best]) best = c;
      }
      out[i] = { label: classes[best], probabilities };
    }
    return out;
  }
}
