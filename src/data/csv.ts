import { open, stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KeelError, type Table } from '../core/index.js';
import {
  quotedIdentifier,
  quotedString,
  readRelation,
  withDuckDB,
  type RelationColumn,
  type StorageType,
} from './duckdb.js';

/** How a CSV file is parsed. Every option here is part of a dataset version's content hash. */
export interface CsvOptions {
  /** One character; default `,`. */
  readonly delimiter?: string;
  /** Exact field values read as missing; default `['', 'NA', '?']`. Whitespace-only fields are always missing. */
  readonly missing?: readonly string[];
  /** Whether the first record names the columns; default true. Without it columns are `column0`, `column1`, … */
  readonly header?: boolean;
}

// A type alias (not an interface) so that it is assignable to a dataset source's options record.
export type ResolvedCsvOptions = {
  readonly delimiter: string;
  readonly missing: readonly string[];
  readonly header: boolean;
};

export function resolveCsvOptions(options: CsvOptions): ResolvedCsvOptions {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new KeelError('invalid_argument', `CSV delimiter must be one character other than a quote or newline`, {
      field: 'delimiter',
    });
  }
  // Sorted and deduplicated: the list is a set, and its spelling must not change the content hash.
  const missing = [...new Set(options.missing ?? ['', 'NA', '?'])].sort();
  return { delimiter, missing, header: options.header ?? true };
}

/** A CSV file whose columns are named and typed: `select` yields its rows with Keel's types. */
export interface TypedCsv {
  readonly rows: number;
  readonly columns: readonly RelationColumn[];
  /** A parenthesised query, usable wherever DuckDB takes a relation. */
  readonly select: string;
}

/**
 * Reads the file twice with DuckDB, never into JS rows: a first pass decides each column's type,
 * the second (run by the caller, e.g. into Parquet) casts to it. DuckDB's type sniffer is not used
 * because a single stray value (churn's `TotalCharges` has 11 fields holding one space) would
 * turn a numeric column into text; here whitespace-only fields are missing before typing.
 */
export async function typeCsv(
  connection: DuckDBConnection,
  path: string,
  options: ResolvedCsvOptions,
): Promise<TypedCsv> {
  const names = await readColumnNames(path, options);
  const raw = rawCsvRelation(path, names.length, options);
  const kinds = names.map((_, j) => `bit_or(${valueKind(`c${j}`)})`);
  const firstPass = await runCsvQuery(path, connection, `SELECT count(*), ${kinds.join(', ')} FROM ${raw}`);
  const rows = Number(firstPass[0]);
  if (rows === 0) {
    throw new KeelError('invalid_data', `${path} has no data rows`, { file: path, line: options.header ? 2 : 1 });
  }

  const columns = names.map((name, j): RelationColumn => ({ name, type: columnType(Number(firstPass[1 + j])) }));
  const casts = columns.map((c, j) => `${castExpression(c.type, `c${j}`)} AS ${quotedIdentifier(c.name)}`);
  return { rows, columns, select: `(SELECT ${casts.join(', ')} FROM ${raw})` };
}

/** Reads a CSV file straight into a Table with the same parsing and typing as an import. */
export async function readCsvTable(path: string, options: CsvOptions = {}): Promise<Table> {
  const resolved = resolveCsvOptions(options);
  return withDuckDB(async (connection) => {
    const csv = await typeCsv(connection, path, resolved);
    return runCsvStep(path, () => readRelation(connection, csv.select, csv.columns, csv.rows));
  });
}

/** Runs a DuckDB step over the file, turning DuckDB's parse errors into KeelErrors naming file and line. */
export async function runCsvStep<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof KeelError) throw error;
    throw csvError(path, error);
  }
}

const WHITESPACE = `' ' || chr(9) || chr(10) || chr(13)`;

/** Bits of a value's kind; a column's kinds are OR-ed together in the typing pass. */
const INTEGER = 1;
const FLOAT = 2;
const BOOLEAN = 4;
const DATETIME = 8;
const TEXT = 16;

/** The field is missing or blank, testing the cheap conditions first (DuckDB's CASE short-circuits). */
const blank = (c: string): string => `${c} = '' OR (ascii(${c}) IN (9, 10, 13, 32) AND trim(${c}, ${WHITESPACE}) = '')`;

/**
 * The kind of one field, as pandas would read it: an integer or decimal number (finite; DuckDB's
 * extra spellings such as `1_000` or `inf` count as text), `true`/`false` in any case, an ISO
 * date or timestamp, or text. Missing and whitespace-only fields have no kind (0).
 */
function valueKind(c: string): string {
  return `CASE
    WHEN ${c} IS NULL THEN 0
    WHEN isfinite(TRY_CAST(${c} AS DOUBLE)) THEN CASE
      WHEN contains(${c}, '_') THEN ${TEXT}
      WHEN regexp_full_match(${c}, '\\s*[+-]?[0-9]+\\s*') AND TRY_CAST(${c} AS BIGINT) IS NOT NULL THEN ${INTEGER}
      ELSE ${FLOAT} END
    WHEN ${blank(c)} THEN 0
    WHEN strlen(${c}) < 16 AND lower(trim(${c}, ${WHITESPACE})) IN ('true', 'false') THEN ${BOOLEAN}
    WHEN ascii(ltrim(${c})) BETWEEN 48 AND 57 AND TRY_CAST(${c} AS TIMESTAMP) IS NOT NULL THEN ${DATETIME}
    ELSE ${TEXT} END`;
}

/** The narrowest type all of a column's values fit; a column with no values is float, as in pandas. */
function columnType(kinds: number): StorageType {
  if (kinds === 0) return 'float';
  if (kinds === INTEGER) return 'integer';
  if ((kinds & ~(INTEGER | FLOAT)) === 0) return 'float';
  if (kinds === BOOLEAN) return 'boolean';
  if (kinds === DATETIME) return 'datetime';
  return 'text';
}

/** Casts a raw field to its column's type; blanks fail TRY_CAST, so they become NULL. */
function castExpression(type: StorageType, c: string): string {
  switch (type) {
    case 'integer':
      return `TRY_CAST(${c} AS BIGINT)`;
    case 'float':
      return `TRY_CAST(${c} AS DOUBLE)`;
    case 'boolean':
      return `CASE lower(trim(${c}, ${WHITESPACE})) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    case 'datetime':
      return `TRY_CAST(${c} AS TIMESTAMP)`;
    case 'text':
      // Text keeps its spaces (trimming is a cleaning step); only whitespace-only becomes missing.
      return `CASE WHEN ${blank(c)} THEN NULL ELSE ${c} END`;
  }
}

/**
 * read_csv with every dialect option explicit and sniffing off: the sniffer can silently pick
 * another header or skip rows on a ragged file, and explicit options give errors with a line.
 */
function rawCsvRelation(path: string, columnCount: number, options: ResolvedCsvOptions): string {
  const columns = Array.from({ length: columnCount }, (_, j) => `'c${j}': 'VARCHAR'`).join(', ');
  const nullstr = options.missing.length > 0 ? `, nullstr = [${options.missing.map(quotedString).join(', ')}]` : '';
  return (
    `read_csv(${quotedString(path)}, auto_detect = false, columns = {${columns}}, header = ${options.header}, ` +
    `delim = ${quotedString(options.delimiter)}, quote = '"', escape = '"', comment = '', skip = 0, ` +
    `strict_mode = true${nullstr})`
  );
}

async function runCsvQuery(path: string, connection: DuckDBConnection, sql: string): Promise<unknown[]> {
  return runCsvStep(path, async () => {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowsJS()[0] ?? [];
  });
}

/** The first 1 MiB is enough for any sane header; the binary check looks at the first 64 KiB. */
const HEAD_BYTES = 1 << 20;
const BINARY_PROBE_BYTES = 1 << 16;

/**
 * Column names from the first record (or `column0`… without a header), parsed here rather than
 * by DuckDB so that sniffing can stay off. Also rejects missing, empty and binary files early,
 * with messages that say so rather than DuckDB's.
 */
async function readColumnNames(path: string, options: ResolvedCsvOptions): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new KeelError('not_found', `no file at ${path}`, { file: path });
  if (!info.isFile()) throw new KeelError('invalid_data', `${path} is not a file`, { file: path });

  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }

  const nul = head.subarray(0, BINARY_PROBE_BYTES).indexOf(0);
  if (nul >= 0) {
    const line = lineAt(head, nul);
    throw new KeelError('invalid_data', `${path} looks like a binary file, not CSV text (NUL byte on line ${line})`, {
      file: path,
      line,
    });
  }
  let text: string;
  try {
    // `stream: true` tolerates a character cut in half at the end of the 1 MiB window.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    const line = firstNonUtf8Line(head);
    throw new KeelError('invalid_data', `${path}, line ${line}: the file is not UTF-8 text`, { file: path, line });
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') throw new KeelError('invalid_data', `${path} is empty`, { file: path, line: 1 });

  const record = parseFirstRecord(text, options.delimiter, head.length === info.size);
  if (record === 'unterminated') {
    throw new KeelError('invalid_data', `${path}, line 1: a quoted value is never closed`, { file: path, line: 1 });
  }
  if (record === 'too_long') {
    throw new KeelError('invalid_data', `${path}, line 1: the first record is longer than 1 MiB`, {
      file: path,
      line: 1,
    });
  }
  return options.header ? uniqueNames(record) : record.map((_, j) => `column${j}`);
}

function firstNonUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    try {
      decoder.decode(bytes.subarray(start, end < 0 ? bytes.length : end), { stream: end < 0 });
    } catch {
      return line;
    }
    if (end < 0) return line;
    start = end + 1;
  }
}

function lineAt(bytes: Buffer, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** RFC 4180 fields of the first record of `text`, with `"` quotes doubled inside quoted fields. */
function parseFirstRecord(text: string, delimiter: string, wholeFile: boolean): string[] | 'unterminated' | 'too_long' {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      fieldStart = true;
    } else if (c === '\n' || c === '\r') {
      fields.push(field);
      return fields;
    } else {
      field += c;
      fieldStart = false;
    }
  }
  if (!wholeFile) return 'too_long';
  if (quoted) return 'unterminated';
  fields.push(field);
  return fields;
}

/**
 * Header names made usable as column names: blanks become `column<i>` and repeats get `_1`, `_2`…
 * as DuckDB does. Uniqueness ignores case because DuckDB identifiers do.
 */
function uniqueNames(header: readonly string[]): string[] {
  const taken = new Set<string>();
  return header.map((raw, j) => {
    const base = raw === '' ? `column${j}` : raw;
    let name = base;
    for (let k = 1; taken.has(name.toLowerCase()); k++) name = `${base}_${k}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** DuckDB's CSV errors, reworded: `CSV Error on Line: N` plus a reason among pages of advice. */
function csvError(path: string, error: unknown): KeelError {
  const message = error instanceof Error ? error.message : String(error);
  const lineMatch = /CSV Error on Line: (\d+)/.exec(message);
  const line = lineMatch ? Number(lineMatch[1]) : undefined;
  const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  let reason: string;
  if (columns) reason = `expected ${columns[1]} fields, found ${columns[2]}`;
  else if (/unterminated quote/i.test(message)) reason = 'a quoted value is never closed';
  else if (/invalid unicode/i.test(message)) reason = 'the file is not UTF-8 text';
  else if (/No files found/i.test(message)) return new KeelError('not_found', `no file at ${path}`, { file: path });
  else {
    // An error we have no wording for: DuckDB's first line, without its error-class prefix.
    const first = message.split('\n')[0].replace(/^[A-Za-z ]*Error: /, '');
    reason = first.startsWith('CSV Error on Line') ? 'the record cannot be parsed as CSV' : first;
  }
  const where = line === undefined ? path : `${path}, line ${line}`;
  return new KeelError(
    'invalid_data',
    `cannot read CSV ${where}: ${reason}`,
    line === undefined ? { file: path } : { file: path, line },
    {
      cause: error,
    },
  );
}
