/**
 * Data: CSV import into content-hashed Parquet dataset versions, reading Parquet and CSV into
 * columnar Tables, profiles, schema inference and validation. DuckDB does the row work.
 */
export { importCsv, type DataStores, type ImportCsvInput, type ImportResult } from './import-csv.js';
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
