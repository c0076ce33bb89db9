import { KeelError, keelVersion, type ModelSignature, type ReferenceProfile } from '../core/index.js';

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
  for (const key of ['signature', 'features', 'estimator', 'reference', 'algorithm'] as const) {
    if (pkg[key] === undefined || pkg[key] === null) {
      throw new KeelError('invalid_data', `${source} is corrupted: "${key}" is missing`, { file: source, field: key });
    }
  }
  return pkg as ModelPackage;
}
