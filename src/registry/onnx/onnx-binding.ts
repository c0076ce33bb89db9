import { KeelError, sha256Hex } from '../../core/index.js';
import type { ModelPackage } from '../model-package.js';

/**
 * How a package with `runtime: 'onnx'` holds its model: the .onnx file inline (base64, so the
 * package stays one self-contained, content-addressed document like every other package) and
 * how request rows become the graph's inputs and its outputs become predictions.
 */
export interface OnnxBinding {
  /** The .onnx file, base64. */
  readonly model: string;
  /** sha256 of the file (hex), checked when the package is loaded. */
  readonly sha256: string;
  /** Who wrote the file: the ModelProto's producer name and version, e.g. `skl2onnx 1.16.0`. */
  readonly producer: string;
  readonly inputs: OnnxInputs;
  readonly outputs: OnnxOutputs;
}

/** Element types Keel feeds. */
export type OnnxTensorType = 'float' | 'double' | 'int64' | 'int32' | 'bool' | 'string';

export type OnnxInputs =
  | {
      /** One tensor per signature column, named as the column, in signature order. */
      readonly kind: 'columns';
      readonly tensors: ReadonlyArray<{
        readonly name: string;
        readonly type: OnnxTensorType;
        /** [N, 1] (`column`) or [N] (`vector`). */
        readonly shape: 'column' | 'vector';
      }>;
      /** `one`: the graph takes a single row per run (a fixed batch dimension of 1). */
      readonly batch: 'any' | 'one';
    }
  | {
      /** One [N, F] tensor whose columns are the signature columns, in order. */
      readonly kind: 'matrix';
      readonly tensor: string;
      readonly type: 'float' | 'double';
      readonly batch: 'any' | 'one';
    };

export type OnnxOutputs =
  | {
      readonly kind: 'classifier';
      /** [N, classes] probabilities, or with `positiveOnly` [N, 1] / [N] of the second class's. */
      readonly probabilities: string;
      readonly positiveOnly: boolean;
      /** The graph's own predicted label, when it has one; otherwise the most probable class. */
      readonly label: string | null;
    }
  | { readonly kind: 'regressor'; readonly value: string };

/** The .onnx bytes of a package with `runtime: 'onnx'`, checked against their digest. */
export function onnxBytesOf(pkg: ModelPackage, source = 'model package'): Uint8Array {
  const binding = pkg.onnx;
  if (pkg.runtime !== 'onnx' || !binding || typeof binding.model !== 'string') {
    throw new KeelError('invalid_data', `${source} holds no ONNX model`, { file: source, field: 'onnx' });
  }
  const bytes = new Uint8Array(Buffer.from(binding.model, 'base64'));
  if (sha256Hex(bytes) !== binding.sha256) {
    throw new KeelError('invalid_data', `${source} is corrupted: its ONNX model does not match its sha256`, {
      file: source,
      field: 'onnx.model',
    });
  }
  return bytes;
}
