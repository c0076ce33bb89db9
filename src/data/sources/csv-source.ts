import { resolve } from 'node:path';
import { hashValue, KeelError, sha256File } from '../../core/index.js';
import { resolveCsvOptions, runCsvStep, typeCsv } from '../csv.js';
import { copyToParquet } from '../storage-relation.js';
import type { SourceConfig, SourceOpener } from './source.js';

/**
 * Names the parsing rules in the content hash, so that a change to how Keel reads CSV makes a
 * new version instead of silently matching one parsed the old way.
 */
const CSV_IMPORT_FORMAT = 'keel.csv/1';

/**
 * A CSV or TSV file (a TSV is a CSV whose delimiter defaults to a tab, so it is recorded as
 * `csv`). The content hash is the sha256 of the bytes and of the options that shape parsing.
 * DuckDB parses and types the file in two passes (see `typeCsv`); no rows reach JS.
 */
export const openCsvSource: SourceOpener<SourceConfig<'csv' | 'tsv'>> = async (config, context) => {
  const options = resolveCsvOptions({ ...config, delimiter: config.delimiter ?? (config.type === 'tsv' ? '\t' : ',') });
  const path = resolve(context.baseDir, config.path);
  const file = await sha256File(path).catch((error: unknown) => {
    throw new KeelError('not_found', `no readable file at ${path}`, { file: path }, { cause: error });
  });
  const contentHash = hashValue({ format: CSV_IMPORT_FORMAT, file, options });
  return {
    kind: 'csv',
    uri: path,
    options,
    details: { file: path },
    contentHash,
    async writeParquet(connection, parquetPath) {
      const csv = await typeCsv(connection, path, options);
      const rows = await runCsvStep(path, () => copyToParquet(connection, csv.select, parquetPath));
      return { rows, contentHash };
    },
  };
};
