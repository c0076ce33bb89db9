import type { ModelPackage } from '../model-package.js';
import { exportEstimator } from './export-estimator.js';
import { exportFeatures } from './export-features.js';
import { GraphBuilder } from './graph-builder.js';
import { onnxBytesOf } from './onnx-binding.js';
import { notExportable } from './ops.js';

export interface OnnxExportOptions {
  /**
   * Element type of the numeric inputs: `double` (default: Keel's own precision, and what a
   * NumPy float64 array is) or `float` (float32, as most ONNX tools default to; the values are
   * then rounded to float32 on the way in).
   */
  readonly numericInput?: 'double' | 'float';
  /** Recorded in the model's metadata, e.g. `churn@3`. */
  readonly modelName?: string;
}

/** Metadata keys Keel writes (and reads back on import). */
export const METADATA = {
  signature: 'keel.signature',
  model: 'keel.model',
  algorithm: 'keel.algorithm',
  classes: 'classes',
} as const;

const OUTPUT_NAMES = ['label', 'probabilities', 'variable'];

/**
 * One ONNX model of the whole package — feature pipeline and estimator — runnable by ONNX
 * Runtime: an input per raw column named as the column ([N, 1]; double, or float with
 * `numericInput: 'float'`, for numeric columns, string for the ones the pipeline reads as
 * categories, "" meaning missing), outputs `label` [N] and `probabilities` [N, classes] for
 * classifiers, `variable` [N, 1] for regressors. Opsets: ONNX 17 and ONNX-ML 3.
 *
 * A package imported from ONNX gives back the file it was imported from. Parts that standard
 * operators cannot express (date parts, hashing, text-valued expressions, k-nearest
 * neighbours, clustering, anomaly scores) fail with a `not_exportable` KeelError naming them.
 */
export function exportOnnx(pkg: ModelPackage, options: OnnxExportOptions = {}): Uint8Array {
  if (pkg.runtime === 'onnx') return onnxBytesOf(pkg);
  const clash = pkg.signature.inputs.find((c) => OUTPUT_NAMES.includes(c.name));
  if (clash) {
    throw notExportable(
      `input column "${clash.name}"`,
      `its name is one of the outputs' (${OUTPUT_NAMES.join(', ')}); rename the column`,
      clash.name,
    );
  }
  const g = new GraphBuilder();
  const features = exportFeatures(g, pkg.features, { numericInput: options.numericInput ?? 'double' });
  const outputs = exportEstimator(g, pkg.estimator, pkg.signature.task, features.matrix, features.width);
  const classes = outputs.kind === 'classifier' ? outputs.classes.map(String) : null;
  return g.encode({
    name: `keel_${pkg.algorithm}`,
    docString:
      `Keel ${pkg.algorithm} (${pkg.signature.task}) with its feature pipeline. Inputs: one [N, 1] tensor per column; ` +
      'text inputs use "" for a missing value, numeric inputs NaN. ' +
      (classes
        ? `Outputs: label [N], probabilities [N, ${classes.length}] (${classes.join(', ')}).`
        : 'Output: variable [N, 1].'),
    metadata: {
      [METADATA.signature]: JSON.stringify(pkg.signature),
      [METADATA.algorithm]: pkg.algorithm,
      ...(options.modelName ? { [METADATA.model]: options.modelName } : {}),
      ...(classes ? { [METADATA.classes]: JSON.stringify(classes) } : {}),
    },
  });
}
