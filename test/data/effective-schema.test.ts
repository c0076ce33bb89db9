import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DataSchema } from '../../src/core/index.js';
import { effectiveSchema } from '../../src/data/index.js';
import { openMetadataStore, type MetadataStore, type NewDatasetVersion } from '../../src/store/index.js';

let metadata: MetadataStore;
beforeAll(async () => {
  metadata = await openMetadataStore('sqlite::memory:');
});
afterAll(async () => {
  await metadata.close();
});

/** A dataset version whose inferred schema has one integer column with the range [0, max]. */
function versionInput(dataset: string, max: number): NewDatasetVersion {
  const schema: DataSchema = { columns: [{ name: 'tenure', type: 'integer', nullable: false, min: 0, max }] };
  return {
    dataset,
    contentHash: `sha256:${dataset}-${max}`,
    artifact: 'sha256:parquet',
    source: { kind: 'csv', uri: 'churn.csv' },
    rows: 10,
    columns: [{ name: 'tenure', type: 'integer' }],
    schema,
    profile: { rows: 10, columns: [] },
  };
}

const edited: DataSchema = { columns: [{ name: 'tenure', type: 'integer', nullable: true, min: 0, max: 100 }] };

describe('effectiveSchema', () => {
  test('without stored schemas, each version is checked against the schema inferred from its data', async () => {
    await metadata.createDatasetVersion(versionInput('plain', 72));
    await metadata.createDatasetVersion(versionInput('plain', 80));

    const v1 = await effectiveSchema(metadata, 'plain', 1);
    expect(v1).toMatchObject({ source: 'inferred', schemaVersion: null, datasetVersion: { version: 1 } });
    expect(v1.schema.columns[0].max).toBe(72);
    const latest = await effectiveSchema(metadata, 'plain');
    expect(latest.datasetVersion.version).toBe(2);
    expect(latest.schema.columns[0].max).toBe(80);
  });

  test('the latest edit applies to every version, older and newer than it', async () => {
    await metadata.createDatasetVersion(versionInput('pinned', 72));
    await metadata.createSchemaVersion({ dataset: 'pinned', schema: edited, source: 'edited', basedOn: 1 });
    await metadata.createDatasetVersion(versionInput('pinned', 80));

    for (const version of [1, 2]) {
      expect(await effectiveSchema(metadata, 'pinned', version)).toMatchObject({
        schema: edited,
        source: 'edited',
        schemaVersion: 1,
        datasetVersion: { version },
      });
    }
  });

  test('a stored inferred schema ends the edits', async () => {
    const first = await metadata.createDatasetVersion(versionInput('reset', 72));
    await metadata.createSchemaVersion({ dataset: 'reset', schema: edited, source: 'edited' });
    await metadata.createSchemaVersion({ dataset: 'reset', schema: first.schema, source: 'inferred', basedOn: 1 });
    await metadata.createDatasetVersion(versionInput('reset', 80));

    const latest = await effectiveSchema(metadata, 'reset');
    expect(latest).toMatchObject({ source: 'inferred', schemaVersion: null, datasetVersion: { version: 2 } });
    expect(latest.schema.columns[0].max).toBe(80);
  });

  test('a dataset or version that does not exist is not_found', async () => {
    await expect(effectiveSchema(metadata, 'nothing')).rejects.toMatchObject({
      code: 'not_found',
      message: 'no dataset nothing (see `keel data list`)',
    });
    await expect(effectiveSchema(metadata, 'plain', 9)).rejects.toMatchObject({
      code: 'not_found',
      message: 'no dataset plain@9',
    });
  });
});
