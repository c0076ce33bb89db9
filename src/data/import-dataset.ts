import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeelError, type DataSourceConfig, type DatasetVersion } from '../core/index.js';
import type { ArtifactStore, DatasetStore } from '../store/index.js';
import { withDuckDB } from './duckdb.js';
import { inferSchema } from './infer-schema.js';
import { profileParquet } from './profile-parquet.js';
import { openCsvSource } from './sources/csv-source.js';
import { openHttpSource } from './sources/http-source.js';
import { openJsonSource } from './sources/json-source.js';
import { openParquetSource } from './sources/parquet-source.js';
import { openPostgresSource } from './sources/postgres-source.js';
import type { SourceConfig, SourceContext, SourceOpener } from './sources/source.js';

export interface DataStores {
  readonly metadata: DatasetStore;
  readonly artifacts: ArtifactStore;
}

export interface ImportDatasetInput {
  readonly dataset: string;
  /** Where the rows come from: the project file's `data.source`. */
  readonly source: DataSourceConfig;
  /** Relative file paths resolve against this folder; default the current directory. */
  readonly baseDir?: string;
  /** Where a postgres source's `urlEnv` is looked up; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ImportResult {
  readonly version: DatasetVersion;
  /** False when a version with the same content hash already existed and was returned instead. */
  readonly created: boolean;
}

type SourceType = DataSourceConfig['type'];

/** One opener per source type; each lives in `sources/` and opens to the same `OpenedSource` shape. */
const openers: { readonly [T in SourceType]: SourceOpener<SourceConfig<T>> } = {
  csv: openCsvSource,
  tsv: openCsvSource,
  parquet: openParquetSource,
  json: openJsonSource,
  ndjson: openJsonSource,
  postgres: openPostgresSource,
  http: openHttpSource,
};

/**
 * Imports a data source as an immutable dataset version stored as Parquet (zstd). The content
 * hash covers the content and every option that shaped the rows; importing the same content
 * again returns the existing version (`created: false`). DuckDB does the row work (parse, type,
 * write Parquet, profile); the metadata store is written last, and the temp folder is always
 * removed, so a failure leaves neither a version nor files behind.
 */
export async function importDataset(stores: DataStores, input: ImportDatasetInput): Promise<ImportResult> {
  if (!input.dataset) throw new KeelError('invalid_argument', 'a dataset name is required', { field: 'dataset' });
  const opener = openers[input.source.type] as SourceOpener<DataSourceConfig> | undefined;
  if (!opener) {
    throw new KeelError('invalid_argument', `unknown source type "${input.source.type as string}"`, {
      field: 'source.type',
    });
  }

  const workDir = await mkdtemp(join(tmpdir(), 'keel-import-'));
  try {
    const context: SourceContext = { baseDir: input.baseDir ?? process.cwd(), workDir, env: input.env ?? process.env };
    const source = await opener(input.source, context);
    if (source.contentHash) {
      const existing = await stores.metadata.findDatasetVersionByHash(input.dataset, source.contentHash);
      if (existing) return { version: existing, created: false };
    }

    const parquet = join(workDir, 'data.parquet');
    const { rows, contentHash } = await withDuckDB((connection) => source.writeParquet(connection, parquet));
    if (rows === 0) throw new KeelError('invalid_data', `${source.uri} has no rows`, source.details);
    if (!source.contentHash) {
      const existing = await stores.metadata.findDatasetVersionByHash(input.dataset, contentHash);
      if (existing) return { version: existing, created: false };
    }

    const artifact = await stores.artifacts.putFile(parquet);
    const profile = await profileParquet(parquet);
    const schema = inferSchema(profile);
    try {
      const version = await stores.metadata.createDatasetVersion({
        dataset: input.dataset,
        contentHash,
        artifact: artifact.digest,
        source: { kind: source.kind, uri: source.uri, options: source.options },
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
