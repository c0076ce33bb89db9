/**
 * Features: transforms with the scikit-learn contract (fit learns, state is JSON, serving never
 * refits) and the feature pipeline that turns a Table or a request row into model inputs.
 */
export {
  FeaturePipeline,
  transformFromJSON,
  type FeaturePipelineConfig,
  type FeaturePipelineJSON,
} from './feature-pipeline.js';
export { SimpleImputer, type ImputeStrategy, type SimpleImputerParams } from './simple-imputer.js';
export { StandardScaler } from './standard-scaler.js';
export { OneHotEncoder, type HandleUnknown, type OneHotEncoderParams } from './one-hot-encoder.js';
export type { FeatureRecord, FeatureValue, Transform, TransformJSON } from './transform.js';
