export { Registry, type RegisterOptions } from './registry.js';
export { LoadedModel, type Prediction } from './loaded-model.js';
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
