import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { hashValue, KeelError, sha256File, type ErrorDetails } from '../../core/index.js';
import { quotedString } from '../duckdb.js';
import { copyToParquet, resolveMissingMarkers, storageRelation } from '../storage-relation.js';
import { readTextHead } from '../text-file.js';
import type { SourceConfig, SourceOpener } from './source.js';

export type JsonFormat = 'json' | 'ndjson';

/**
 * A JSON file holding an array of records, or an NDJSON file with one record per line. DuckDB
 * reads it (the whole file is scanned to decide the column types, as for CSV) and writes Parquet;
 * no rows reach JS. The content hash is the sha256 of the bytes, the format and the options.
 */
export const openJsonSource: SourceOpener<SourceConfig<JsonFormat>> = async (config, context) => {
  const path = resolve(context.baseDir, config.path);
  const records: JsonRecordsFile = { path, format: config.type, label: path, details: { file: path } };
  const { text } = await readTextHead(path, 'JSON');
  checkJsonStart(records, text);
  const options = { missing: resolveMissingMarkers(config.missing) };
  const contentHash = hashValue({ format: `keel.${config.type}/1`, file: await sha256File(path), options });
  return {
    kind: config.type,
    uri: path,
    options,
    details: records.details,
    contentHash,
    writeParquet: async (connection, parquetPath) => ({
      rows: await copyJsonToParquet(connection, records, options.missing, parquetPath),
      contentHash,
    }),
  };
};

/** A file of JSON records and how errors about it name it (a path, or the URL it came from). */
export interface JsonRecordsFile {
  readonly path: string;
  readonly format: JsonFormat;
  readonly label: string;
  readonly details: ErrorDetails;
}

/**
 * Checks how the text starts, so that the common mistakes (an object instead of an array, an
 * array in an NDJSON file, an empty array) get a message rather than DuckDB's binder error.
 */
export function checkJsonStart(file: JsonRecordsFile, head: string): void {
  const text = head.trimStart();
  const first = text[0];
  if (file.format === 'json') {
    if (first === '{') {
      throw new KeelError(
        'invalid_data',
        `${file.label} holds a JSON object, not an array of records (a file with one record per line is ndjson)`,
        file.details,
      );
    }
    if (first !== '[') {
      throw new KeelError('invalid_data', `${file.label} is not a JSON array of records`, file.details);
    }
    if (text.slice(1).trimStart().startsWith(']')) {
      throw new KeelError('invalid_data', `${file.label} has no records (the array is empty)`, file.details);
    }
  } else if (first === '[') {
    throw new KeelError(
      'invalid_data',
      `${file.label}, line 1: a JSON array, not one record per line (an array of records is json, not ndjson)`,
      { ...file.details, line: 1 },
    );
  } else if (first !== '{') {
    throw new KeelError('invalid_data', `${file.label}, line 1: not a JSON record`, { ...file.details, line: 1 });
  }
}

/** Writes the records as Parquet with Keel's storage types; resolves to the rows written. */
export async function copyJsonToParquet(
  connection: DuckDBConnection,
  file: JsonRecordsFile,
  missing: readonly string[],
  parquetPath: string,
): Promise<number> {
  const relation =
    `read_json(${quotedString(file.path)}, format = '${file.format === 'ndjson' ? 'newline_delimited' : 'array'}', ` +
    `records = true, sample_size = -1, maximum_depth = -1)`;
  try {
    const typed = await storageRelation(connection, relation, missing);
    return await copyToParquet(connection, typed.select, parquetPath);
  } catch (error) {
    throw jsonError(file, error);
  }
}

/** DuckDB's JSON errors, reworded: where (a line in NDJSON, a record in an array) and why. */
function jsonError(file: JsonRecordsFile, error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const malformed = /Malformed JSON in file .*?, at byte \d+ in (line|record\/value) (\d+): ([^\n]*?)\.?\s*(\n|$)/.exec(
    message,
  );
  if (malformed) {
    const reason = `malformed JSON (${malformed[3]})`;
    if (malformed[1] === 'line') {
      const line = Number(malformed[2]);
      return new KeelError('invalid_data', `cannot read JSON ${file.label}, line ${line}: ${reason}`, {
        ...file.details,
        line,
      });
    }
    // DuckDB counts the array itself as the first value, so record k of the array is value k + 1.
    const record = Math.max(1, Number(malformed[2]) - 1);
    return new KeelError('invalid_data', `cannot read JSON ${file.label}, record ${record}: ${reason}`, {
      ...file.details,
      record,
    });
  }
  if (/expected records, but got non-record JSON/.test(message)) {
    return new KeelError(
      'invalid_data',
      `${file.label} holds JSON values that are not records with columns (each must be an object of column: value)`,
      file.details,
    );
  }
  if (/No files found/.test(message)) {
    return new KeelError('not_found', `no file at ${file.label}`, file.details);
  }
  // An error we have no wording for: DuckDB's first line, without its error-class prefix.
  const first = message
    .split('\n')[0]
    .replace(/^[A-Za-z ]*Error: /, '')
    .replaceAll(file.path, file.label);
  return new KeelError('invalid_data', `cannot read JSON ${file.label}: ${first}`, file.details, { cause: error });
}
