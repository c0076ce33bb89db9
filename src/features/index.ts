/**
 * Features: transforms with the scikit-learn contract (fit learns, state is JSON, serving never
 * refits) and the feature pipeline that turns a Table or a request row into model inputs.
 */
export {
  FeaturePipeline,
  defaultRecipe,
  type DerivedColumnSpec,
  type FeaturePipelineConfig,
  type FeaturePipelineJSON,
  type FeaturePipelineOptions,
  type FeaturePipelineSpec,
  type FeatureStepSpec,
} from './feature-pipeline.js';
export { featurePipelineFromConfig, type FeatureConfigOptions } from './feature-pipeline-from-config.js';
export { selectColumns } from './select-columns.js';
export {
  createTransform,
  transformFromJSON,
  transformSpecOf,
  TRANSFORM_NAMES,
  type TransformSpec,
} from './transform-registry.js';
export {
  bindExpression,
  parseExpression,
  type BoundExpression,
  type ParsedExpression,
  type ValueType,
} from './expression.js';
export { SimpleImputer, type ImputeStrategy, type SimpleImputerParams } from './simple-imputer.js';
export { StandardScaler, type StandardScalerParams } from './standard-scaler.js';
export { MinMaxScaler, type MinMaxScalerParams } from './min-max-scaler.js';
export { RobustScaler, type RobustScalerParams } from './robust-scaler.js';
export { OneHotEncoder, type HandleUnknown, type OneHotEncoderParams } from './one-hot-encoder.js';
export { OrdinalEncoder, type OrdinalEncoderParams } from './ordinal-encoder.js';
export { TargetEncoder, type TargetEncoderParams, type TargetType } from './target-encoder.js';
export { KBinsDiscretizer, type KBinsDiscretizerParams } from './k-bins-discretizer.js';
export { LogTransform, type LogTransformParams } from './log-transform.js';
export { Clip, type ClipParams } from './clip.js';
export { DateParts, parseDatetime, type CyclicalPart, type DatePart, type DatePartsParams } from './date-parts.js';
export { HashingEncoder, type HashingEncoderParams } from './hashing-encoder.js';
export { murmurhash3 } from './murmurhash3.js';
export type {
  FeatureRecord,
  FeatureTarget,
  FeatureValue,
  Transform,
  TransformInput,
  TransformJSON,
} from './transform.js';
