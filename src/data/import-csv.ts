import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashValue, KeelError, sha256File, type DatasetVersion } from '../core/index.js';
import type { ArtifactStore, DatasetStore } from '../store/index.js';
import { resolveCsvOptions, runCsvStep, typeCsv, type CsvOptions } from './csv.js';
import { quotedString, withDuckDB } from './duckdb.js';
import { inferSchema } from './infer-schema.js';
import { profileParquet } from './profile-parquet.js';

export interface DataStores {
  readonly metadata: DatasetStore;
  readonly artifacts: ArtifactStore;
}

export interface ImportCsvInput extends CsvOptions {
  readonly dataset: string;
  readonly path: string;
}

export interface ImportResult {
  readonly version: DatasetVersion;
  /** False when a version with the same content hash already existed and was returned instead. */
  readonly created: boolean;
}

/**
 * Names the parsing rules in the content hash, so that a change to how Keel reads CSV makes a
 * new version instead of silently matching one parsed the old way.
 */
const CSV_IMPORT_FORMAT = 'keel.csv/1';

/**
 * Imports a CSV file as an immutable dataset version stored as Parquet (zstd). The content hash
 * is the sha256 of the file's bytes and of the options that shape parsing; importing the same
 * content again returns the existing version. DuckDB does all the row work (parse, type, write
 * Parquet, profile); the metadata store is written last, so a failure leaves no version behind.
 */
export async function importCsv(stores: DataStores, input: ImportCsvInput): Promise<ImportResult> {
  if (!input.dataset) throw new KeelError('invalid_argument', 'a dataset name is required', { field: 'dataset' });
  const options = resolveCsvOptions(input);
  const path = resolve(input.path);
  const fileHash = await sha256File(path).catch((error: unknown) => {
    throw new KeelError('not_found', `no readable file at ${path}`, { file: path }, { cause: error });
  });
  const contentHash = hashValue({ format: CSV_IMPORT_FORMAT, file: fileHash, options });

  const existing = await stores.metadata.findDatasetVersionByHash(input.dataset, contentHash);
  if (existing) return { version: existing, created: false };

  const workDir = await mkdtemp(join(tmpdir(), 'keel-import-'));
  try {
    const parquet = join(workDir, 'data.parquet');
    await withDuckDB(async (connection) => {
      const csv = await typeCsv(connection, path, options);
      await runCsvStep(path, () =>
        connection.run(`COPY ${csv.select} TO ${quotedString(parquet)} (FORMAT parquet, COMPRESSION zstd)`),
      );
    });
    const artifact = await stores.artifacts.putFile(parquet);
    const profile = await profileParquet(parquet);
    const schema = inferSchema(profile);

    try {
      const version = await stores.metadata.createDatasetVersion({
        dataset: input.dataset,
        contentHash,
        artifact: artifact.digest,
        source: { kind: 'csv', uri: path, options },
        rows: profile.rows,
        columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
        schema,
        profile,
      });
      return { version, created: true };
    } catch (error) {
      // A concurrent import of the same content may have won the race: return its version.
      const raced = await stores.metadata.findDatasetVersionByHash(input.dataset, contentHash);
      if (raced) return { version: raced, created: false };
      throw error;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
