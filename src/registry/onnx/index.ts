/**
 * ONNX out and in: `exportOnnx` writes a package (feature pipeline + estimator) as one ONNX
 * graph of standard ONNX and ONNX-ML operators; `describeOnnx` and `onnxPackage` read a
 * foreign .onnx file into a package that `OnnxModel` serves through ONNX Runtime. See docs/onnx.md.
 */
export { exportOnnx, METADATA as ONNX_METADATA, type OnnxExportOptions } from './export-onnx.js';
export {
  describeOnnx,
  onnxPackage,
  type OnnxDescription,
  type OnnxImportOptions,
  type OnnxPackageOptions,
} from './import-onnx.js';
export { OnnxModel } from './onnx-model.js';
export {
  onnxBytesOf,
  type OnnxBinding,
  type OnnxInputs,
  type OnnxOutputs,
  type OnnxTensorType,
} from './onnx-binding.js';
export { ONNX_ML_OPSET, ONNX_OPSET } from './graph-builder.js';
