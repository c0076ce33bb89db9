import { extname } from 'node:path';
import { KeelError, type Table } from '../core/index.js';
import { readCsvTable, type CsvOptions } from './csv.js';
import { readTable } from './read-table.js';

export type BatchFormat = 'csv' | 'tsv' | 'parquet';

/** The format a batch file's extension names: `.csv`, `.tsv` or `.parquet`. */
export function batchFormat(path: string): BatchFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.parquet') return 'parquet';
  throw new KeelError(
    'invalid_argument',
    `${path}: cannot tell the format of a batch from "${ext || 'no extension'}"; use a .csv, .tsv or .parquet file`,
    { file: path },
  );
}

/**
 * Reads a batch to validate into a Table, by extension: CSV and TSV with the same parsing and
 * typing as an import (`options` apply to them; TSV defaults to a tab delimiter), Parquet as stored.
 */
export async function readBatch(path: string, options: CsvOptions = {}): Promise<Table> {
  switch (batchFormat(path)) {
    case 'csv':
      return readCsvTable(path, options);
    case 'tsv':
      return readCsvTable(path, { ...options, delimiter: options.delimiter ?? '\t' });
    case 'parquet':
      return readTable(path);
  }
}
