/**
 * Data: imports (CSV/TSV, Parquet, JSON/NDJSON files, PostgreSQL queries, HTTP(S) JSON) into
 * content-hashed Parquet dataset versions, reading Parquet and CSV into columnar Tables,
 * profiles, schema inference and validation. DuckDB does the row work.
 */
export { importCsv, type ImportCsvInput } from './import-csv.js';
export { importDataset, type DataStores, type ImportDatasetInput, type ImportResult } from './import-dataset.js';
export { cleanDataset, type CleanDatasetInput, type CleanResult, type CleaningStepReport } from './clean.js';
export { readCsvTable, type CsvOptions } from './csv.js';
export { readTable, type ReadTableOptions } from './read-table.js';
export {
  profileParquet,
  isCategorical,
  HISTOGRAM_BINS,
  MAX_CATEGORIES,
  PROFILE_QUANTILES,
  TOP_VALUES,
} from './profile-parquet.js';
export { inferSchema } from './infer-schema.js';
export {
  validateTable,
  type Anomaly,
  type AnomalyKind,
  type Severity,
  type ValidateTableOptions,
  type ValidationReport,
} from './validate-table.js';
export { validateRows, type RowProblem, type RowValidation, type ValidatedRow } from './validate-rows.js';
export { effectiveSchema, type EffectiveSchema } from './effective-schema.js';
export {
  formatSchemaFile,
  parseSchemaFile,
  readSchemaFile,
  schemaFileFormat,
  writeSchemaFile,
  type SchemaFile,
  type SchemaFileFormat,
} from './schema-file.js';
export {
  diffDatasetVersions,
  diffProfiles,
  diffSchemas,
  hasChanged,
  statisticChange,
  type ColumnStatisticsDiff,
  type DatasetDiff,
  type DatasetRef,
  type SchemaChange,
  type SchemaChangeKind,
  type StatisticChange,
  type ValueRange,
} from './diff.js';
export { batchFormat, readBatch, type BatchFormat } from './read-batch.js';
export { withBatchRows, type BatchRows } from './read-batch-rows.js';
export { writeBatch, type OutputChunk, type OutputColumn, type OutputFormat } from './write-batch.js';
