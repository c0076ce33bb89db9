import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataSourceConfig, DatasetSource, ErrorDetails } from '../../core/index.js';

/** The project file's configuration of one source type, e.g. `SourceConfig<'postgres'>`. */
export type SourceConfig<T extends DataSourceConfig['type']> = DataSourceConfig & { readonly type: T };

export interface SourceContext {
  /** Relative file paths resolve against this folder (the project's, or the current one). */
  readonly baseDir: string;
  /** A private folder for downloads and staging, removed when the import ends. */
  readonly workDir: string;
  /** Where `urlEnv` names are looked up. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What writing a source's rows produced. */
export interface WrittenParquet {
  readonly rows: number;
  readonly contentHash: string;
}

/**
 * A source ready to import: what the version will record about it and how to write its rows.
 * Every source kind (`sources/*-source.ts`) opens to this one shape, so `importDataset` never
 * branches on the kind.
 */
export interface OpenedSource {
  readonly kind: DatasetSource['kind'];
  /** The file path or URL, without credentials. */
  readonly uri: string;
  /** Everything that shaped the rows; recorded on the version and part of its content hash. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where errors about the rows point (`file` or `url`). */
  readonly details: ErrorDetails;
  /**
   * The content hash when it is known before the rows are read (files and downloaded bodies
   * are hashed first); null when only reading the rows gives it (a query's result).
   */
  readonly contentHash: string | null;
  /** Writes the rows as zstd Parquet with Keel's storage types (see `storageRelation`). */
  writeParquet(connection: DuckDBConnection, parquetPath: string): Promise<WrittenParquet>;
}

export type SourceOpener<C extends DataSourceConfig> = (config: C, context: SourceContext) => Promise<OpenedSource>;
