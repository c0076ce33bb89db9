export {
  Registry,
  CARD_MARKDOWN_TAG,
  CARD_TAG,
  EVALUATION_REPORT_PATH,
  type AliasMove,
  type RegisterOptions,
  type RegistryOptions,
  type StoredModelCard,
} from './registry.js';
export { LoadedModel, type Prediction, type ServableModel } from './loaded-model.js';
export {
  createPackage,
  decodePackage,
  encodePackage,
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  type ModelPackage,
  type NewModelPackage,
  type PackageLineage,
} from './model-package.js';
export { parseModelRef, formatModelRef, type ModelRef } from './model-ref.js';
export { evaluateGate, type GateDecision, type GatePolicy } from './gate.js';
export { measurePredictLatency } from './latency.js';
export { buildModelCard, intendedUseOf, renderModelCard, type ModelCardFacts } from './model-card.js';
export { datasetVersionLineage, modelVersionLineage } from './lineage.js';
export {
  describeOnnx,
  exportOnnx,
  onnxBytesOf,
  onnxPackage,
  OnnxModel,
  ONNX_METADATA,
  ONNX_ML_OPSET,
  ONNX_OPSET,
  type OnnxBinding,
  type OnnxDescription,
  type OnnxExportOptions,
  type OnnxImportOptions,
  type OnnxPackageOptions,
} from './onnx/index.js';
