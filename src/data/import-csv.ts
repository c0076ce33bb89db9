import type { CsvOptions } from './csv.js';
import { importDataset, type DataStores, type ImportResult } from './import-dataset.js';

export type { DataStores, ImportResult } from './import-dataset.js';

export interface ImportCsvInput extends CsvOptions {
  readonly dataset: string;
  /** Resolved against the current directory. */
  readonly path: string;
}

/** Imports a CSV file as a dataset version: `importDataset` with a `csv` source. */
export async function importCsv(stores: DataStores, input: ImportCsvInput): Promise<ImportResult> {
  const { dataset, path, missing, ...options } = input;
  return importDataset(stores, {
    dataset,
    source: { type: 'csv', path, ...options, missing: missing && [...missing] },
  });
}
