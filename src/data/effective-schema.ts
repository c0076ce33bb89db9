import { notFound, type DataSchema, type DatasetVersion, type SchemaSource } from '../core/index.js';
import type { DatasetStore } from '../store/index.js';

/** The schema a version of a dataset is validated against, and where it comes from. */
export interface EffectiveSchema {
  readonly schema: DataSchema;
  /** `edited`: a stored edit of the dataset's schema; `inferred`: the version's own, inferred at import. */
  readonly source: SchemaSource;
  /** The stored schema version in force; null when it is the dataset version's inferred schema. */
  readonly schemaVersion: number | null;
  readonly datasetVersion: DatasetVersion;
}

/**
 * The schema to validate `dataset@datasetVersion` (the latest version when omitted) against.
 * The dataset's latest stored schema version decides: when it is an edit, that edit applies to
 * every version of the dataset, older or newer than it; when there is none, or the latest is a
 * stored `inferred` schema (which is how edits are ended), each version is checked against the
 * schema inferred from its own data at import. Fails with not_found when the version does not exist.
 */
export async function effectiveSchema(
  metadata: DatasetStore,
  dataset: string,
  datasetVersion?: number,
): Promise<EffectiveSchema> {
  const [version, latestSchema] = await Promise.all([
    metadata.getDatasetVersion(dataset, datasetVersion),
    metadata.getSchemaVersion(dataset),
  ]);
  if (!version) {
    throw notFound(
      datasetVersion === undefined
        ? `no dataset ${dataset} (see \`keel data list\`)`
        : `no dataset ${dataset}@${datasetVersion}`,
      { field: 'dataset' },
    );
  }
  if (latestSchema?.source === 'edited') {
    return {
      schema: latestSchema.schema,
      source: 'edited',
      schemaVersion: latestSchema.version,
      datasetVersion: version,
    };
  }
  return { schema: version.schema, source: 'inferred', schemaVersion: null, datasetVersion: version };
}
