/**
 * Content-addressed blob storage. A digest is `sha256:<hex>` of the bytes, so the same bytes
 * are stored once and a digest always names exactly one content.
 */
export interface ArtifactRef {
  readonly digest: string;
  readonly size: number;
}

export interface ArtifactStore {
  put(data: Uint8Array | string): Promise<ArtifactRef>;
  /** Copies a file in, streaming (for Parquet files of any size). */
  putFile(path: string): Promise<ArtifactRef>;
  get(digest: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /**
   * A path on the local filesystem holding the artifact, for readers such as DuckDB that
   * want a file. Remote stores materialise it into a local cache first.
   */
  localPath(digest: string): Promise<string>;
}
