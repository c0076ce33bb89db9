import { KeelError, keelVersion, type ModelSignature, type ReferenceProfile } from '../core/index.js';
import type { OnnxBinding } from './onnx/onnx-binding.js';

/**
 * A model package is everything needed to serve a model with no access to its training data:
 * the fitted feature pipeline, the fitted estimator, the input signature, the evaluation metrics,
 * the reference statistics for monitoring and the lineage. It is one JSON document in the
 * artifact store, addressed by its digest, so a version can never change under a deployment.
 */
export const PACKAGE_FORMAT = 'keel.model-package';
/** Bump when a change would make older Keel read a package wrongly. */
export const PACKAGE_FORMAT_VERSION = 1;

export interface PackageLineage {
  readonly runId: string | null;
  readonly datasetVersionId: string | null;
  readonly pipelineRunId: string | null;
}

export interface ModelPackage {
  readonly format: typeof PACKAGE_FORMAT;
  readonly formatVersion: number;
  readonly keelVersion: string;
  readonly createdAt: string;
  readonly algorithm: string;
  readonly signature: ModelSignature;
  /** `FeaturePipeline.toJSON()` of the fitted pipeline. */
  readonly features: unknown;
  /** `estimator.toJSON()` of the fitted estimator. */
  readonly estimator: unknown;
  readonly metrics: Readonly<Record<string, number>>;
  readonly reference: ReferenceProfile;
  readonly lineage: PackageLineage;
  /**
   * What predicts: `keel` (also when absent, as in every package before ONNX import) runs
   * `features` and `estimator`; `onnx` runs the imported graph in `onnx` with ONNX Runtime,
   * and `features` and `estimator` are null.
   */
  readonly runtime?: 'keel' | 'onnx';
  /** For `runtime: 'onnx'`: the .onnx file (base64) and how rows map to its inputs and outputs. */
  readonly onnx?: OnnxBinding;
}

export type NewModelPackage = Omit<ModelPackage, 'format' | 'formatVersion' | 'keelVersion' | 'createdAt'>;

export function createPackage(input: NewModelPackage): ModelPackage {
  return {
    format: PACKAGE_FORMAT,
    formatVersion: PACKAGE_FORMAT_VERSION,
    keelVersion,
    createdAt: new Date().toISOString(),
    ...input,
  };
}

export function encodePackage(pkg: ModelPackage): string {
  return JSON.stringify(pkg);
}

/** Parses and checks a package; a damaged or foreign file gets a clear error, not a crash later. */
export function decodePackage(bytes: Uint8Array | string, source = 'model package'): ModelPackage {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new KeelError('invalid_data', `${source} is corrupted: not valid JSON (${(error as Error).message})`, {
      file: source,
    });
  }
  const pkg = value as Partial<ModelPackage> | null;
  if (!pkg || typeof pkg !== 'object' || pkg.format !== PACKAGE_FORMAT) {
    throw new KeelError('invalid_data', `${source} is not a Keel model package (format is not "${PACKAGE_FORMAT}")`, {
      file: source,
    });
  }
  if (pkg.formatVersion !== PACKAGE_FORMAT_VERSION) {
    throw new KeelError(
      'incompatible',
      `${source} has package format version ${String(pkg.formatVersion)} (written by Keel ${String(pkg.keelVersion)}); ` +
        `this Keel ${keelVersion} reads version ${PACKAGE_FORMAT_VERSION}`,
      { file: source, field: 'formatVersion' },
    );
  }
  if (pkg.runtime !== undefined && pkg.runtime !== 'keel' && pkg.runtime !== 'onnx') {
    throw new KeelError(
      'incompatible',
      `${source} needs the runtime "${String(pkg.runtime)}", which this Keel does not have`,
      {
        file: source,
        field: 'runtime',
      },
    );
  }
  for (const key of ['signature', ...runtimeParts(pkg), 'reference', 'algorithm'] as const) {
    if (pkg[key] === undefined || pkg[key] === null) {
      throw new KeelError('invalid_data', `${source} is corrupted: "${key}" is missing`, { file: source, field: key });
    }
  }
  checkFieldTypes(pkg, source);
  return pkg as ModelPackage;
}

/** The parts that predict: the fitted state, or the ONNX graph. */
function runtimeParts(pkg: Partial<ModelPackage>): ReadonlyArray<'features' | 'estimator' | 'onnx'> {
  return pkg.runtime === 'onnx' ? ['onnx'] : ['features', 'estimator'];
}

const TASKS: readonly string[] = ['binary_classification', 'multiclass_classification', 'regression'];

/** The fields serving reads before the estimator is rebuilt, checked for their type. */
function checkFieldTypes(pkg: Partial<ModelPackage>, source: string): void {
  const fail = (field: string, problem: string): never => {
    throw new KeelError('invalid_data', `${source} is corrupted: "${field}" ${problem}`, { file: source, field });
  };
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (typeof pkg.algorithm !== 'string') fail('algorithm', 'is not a string');
  for (const key of [...runtimeParts(pkg), 'reference'] as const) {
    if (!isObject(pkg[key])) fail(key, 'is not an object');
  }
  const signature: unknown = pkg.signature;
  if (!isObject(signature)) return fail('signature', 'is not an object');
  if (!TASKS.includes(signature.task as string)) fail('signature.task', `is not one of ${TASKS.join(', ')}`);
  if (!Array.isArray(signature.inputs)) return fail('signature.inputs', 'is not a list');
  signature.inputs.forEach((input: unknown, i) => {
    if (!isObject(input) || typeof input.name !== 'string' || typeof input.type !== 'string') {
      fail(`signature.inputs[${i}]`, 'is not a column with a name and a type');
    }
  });
  if (
    signature.classes !== undefined &&
    !(Array.isArray(signature.classes) && signature.classes.every((c) => typeof c === 'string'))
  ) {
    fail('signature.classes', 'is not a list of class names');
  }
  if (
    pkg.metrics !== undefined &&
    (!isObject(pkg.metrics) || !Object.values(pkg.metrics).every((v) => typeof v === 'number'))
  ) {
    fail('metrics', 'is not an object of numbers');
  }
  if (!Array.isArray((pkg.reference as { features?: unknown }).features)) fail('reference.features', 'is not a list');
}
