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
import { blankSql as blank, resolveMissingMarkers, WHITESPACE_SQL as WHITESPACE } from './storage-relation.js';
import { readTextHead } from './text-file.js';

/** How a CSV file is parsed. Every option here is part of a dataset version's content hash. */
export interface CsvOptions {
  /** One character; default `,`. */
  readonly delimiter?: string;
  /** Exact field values read as missing; default `['', 'NA', '?']`. Whitespace-only fields are always missing. */
  readonly missing?: readonly string[];
  /** Whether the first record names the columns; default true. Without it columns are `column0`, `column1`, … */
  readonly header?: boolean;
  /** One character that quotes a field; default `"`. */
  readonly quote?: string;
  /** One character that, inside a quoted field, makes the next character literal; default the quote (doubled). */
  readonly escape?: string;
}

// A type alias (not an interface) so that it is assignable to a dataset source's options record.
export type ResolvedCsvOptions = {
  readonly delimiter: string;
  readonly missing: readonly string[];
  readonly header: boolean;
  /**
   * Present only when not `"` (and `escape` only when not the quote): versions imported before
   * these options existed then keep their content hash.
   */
  readonly quote?: string;
  readonly escape?: string;
};

export function resolveCsvOptions(options: CsvOptions): ResolvedCsvOptions {
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? '"';
  const escape = options.escape ?? quote;
  if (delimiter.length !== 1 || delimiter === quote || isNewline(delimiter)) {
    throw new KeelError('invalid_argument', `CSV delimiter must be one character other than a quote or newline`, {
      field: 'delimiter',
    });
  }
  if (quote.length !== 1 || isNewline(quote)) {
    throw new KeelError('invalid_argument', `CSV quote must be one character other than the delimiter or a newline`, {
      field: 'quote',
    });
  }
  if (escape.length !== 1 || escape === delimiter || isNewline(escape)) {
    throw new KeelError('invalid_argument', `CSV escape must be one character other than the delimiter or a newline`, {
      field: 'escape',
    });
  }
  return {
    delimiter,
    missing: resolveMissingMarkers(options.missing),
    header: options.header ?? true,
    ...(quote === '"' ? {} : { quote }),
    ...(escape === quote ? {} : { escape }),
  };
}

const isNewline = (c: string): boolean => c === '\n' || c === '\r';
const quoteOf = (options: ResolvedCsvOptions): string => options.quote ?? '"';
const escapeOf = (options: ResolvedCsvOptions): string => options.escape ?? quoteOf(options);

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
    const fast = await readTypedBySample(connection, path, resolved);
    if (fast) return fast;
    const csv = await typeCsv(connection, path, resolved);
    return runCsvStep(path, () => readRelation(connection, csv.select, csv.columns, csv.rows));
  });
}

/** Rows the fast path types its columns from. */
const SAMPLE_ROWS = 10_000;

/**
 * readCsvTable's fast path: one pass instead of two. The columns are typed from the first
 * SAMPLE_ROWS rows by the same rules as `typeCsv`, then the file is read once with DuckDB
 * parsing numbers natively as it reads (2–3 times faster than casting text). The guess is
 * confirmed by the read itself, and any doubt returns null so the caller takes the exact
 * two-pass path, which gives the same Table or the proper error:
 * - a later value that does not parse as a number (a word, hex, a blank of spaces) in a
 *   numeric column is a DuckDB conversion error;
 * - `inf` or `nan`, which DuckDB parses but Keel reads as text, arrive as non-finite values;
 * - a column the sample leaves without values, or typed boolean or datetime (whose later
 *   values could fail the cast silently), is not guessed at all.
 * Small files (the sample is the whole file) take the exact path directly.
 */
async function readTypedBySample(
  connection: DuckDBConnection,
  path: string,
  options: ResolvedCsvOptions,
): Promise<Table | null> {
  const names = await readColumnNames(path, options);
  const raw = rawCsvRelation(path, names.length, options);
  const kinds = names.map((_, j) => `bit_or(${valueKind(`c${j}`)})`);
  const sample = await runCsvQuery(
    path,
    connection,
    `SELECT count(*), ${kinds.join(', ')} FROM (SELECT * FROM ${raw} LIMIT ${SAMPLE_ROWS})`,
  );
  if (Number(sample[0]) < SAMPLE_ROWS) return null;
  const columns = names.map((name, j): RelationColumn | null => {
    const seen = Number(sample[1 + j]);
    const type = columnType(seen);
    return seen !== 0 && (type === 'integer' || type === 'float' || type === 'text') ? { name, type } : null;
  });
  if (columns.some((c) => c === null)) return null;
  const typed = columns as RelationColumn[];
  // Numbers are parsed by the reader as doubles, integers too: a Table holds every number as a
  // double, and a decimal or an exponent in an "integer" column gives the same double either way.
  const relation = rawCsvRelation(
    path,
    names.length,
    options,
    typed.map((c) => (c.type === 'text' ? 'VARCHAR' : 'DOUBLE')),
  );
  const select = typed.map((c, j) => {
    const field = `c${j}`;
    return `${c.type === 'text' ? castExpression('text', field) : field} AS ${quotedIdentifier(c.name)}`;
  });
  try {
    return await readRelation(connection, `(SELECT ${select.join(', ')} FROM ${relation})`, typed, undefined, {
      finiteOnly: true,
    });
  } catch {
    // Whatever the reason (a guess that does not hold, or a malformed file), the exact path
    // decides, and reports a malformed file with its line.
    return null;
  }
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

/** Bits of a value's kind; a column's kinds are OR-ed together in the typing pass. */
const INTEGER = 1;
const FLOAT = 2;
const BOOLEAN = 4;
const DATETIME = 8;
const TEXT = 16;

/**
 * The kind of one field, as pandas would read it: an integer or decimal number (finite, as
 * DuckDB parses numbers, so `1_000` is a thousand; `inf` and `nan` count as text), `true`/`false`
 * in any case, an ISO date or timestamp, or text. Missing and whitespace-only fields have no
 * kind (0).
 */
function valueKind(c: string): string {
  return `CASE
    WHEN ${c} IS NULL THEN 0
    WHEN isfinite(TRY_CAST(${c} AS DOUBLE)) THEN CASE
      -- a number without a point or an exponent is an integer when it fits 64 bits
      WHEN contains(${c}, '.') OR contains(${c}, 'e') OR contains(${c}, 'E') THEN ${FLOAT}
      WHEN TRY_CAST(${c} AS BIGINT) IS NOT NULL THEN ${INTEGER}
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
function rawCsvRelation(
  path: string,
  columnCount: number,
  options: ResolvedCsvOptions,
  types: readonly string[] = [],
): string {
  const columns = Array.from({ length: columnCount }, (_, j) => `'c${j}': '${types[j] ?? 'VARCHAR'}'`).join(', ');
  const nullstr = options.missing.length > 0 ? `, nullstr = [${options.missing.map(quotedString).join(', ')}]` : '';
  return (
    `read_csv(${quotedString(path)}, auto_detect = false, columns = {${columns}}, header = ${options.header}, ` +
    `delim = ${quotedString(options.delimiter)}, quote = ${quotedString(quoteOf(options))}, ` +
    `escape = ${quotedString(escapeOf(options))}, comment = '', skip = 0, ` +
    `strict_mode = true${nullstr})`
  );
}

async function runCsvQuery(path: string, connection: DuckDBConnection, sql: string): Promise<unknown[]> {
  return runCsvStep(path, async () => {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowsJS()[0] ?? [];
  });
}

/**
 * Column names from the first record (or `column0`… without a header), parsed here rather than
 * by DuckDB so that sniffing can stay off. Also rejects missing, empty and binary files early,
 * with messages that say so rather than DuckDB's.
 */
async function readColumnNames(path: string, options: ResolvedCsvOptions): Promise<string[]> {
  const { text, wholeFile } = await readTextHead(path, 'CSV');
  const record = parseFirstRecord(text, options, wholeFile);
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

/**
 * RFC 4180 fields of the first record of `text`. Inside a quoted field the escape character makes
 * the next character literal, as DuckDB reads it; when it is the quote itself, a doubled quote is
 * one quote and a single one closes the field.
 */
function parseFirstRecord(
  text: string,
  options: ResolvedCsvOptions,
  wholeFile: boolean,
): string[] | 'unterminated' | 'too_long' {
  const { delimiter } = options;
  const quote = quoteOf(options);
  const escape = escapeOf(options);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === escape && (escape !== quote || text[i + 1] === quote) && i + 1 < text.length) {
        field += text[i + 1];
        i++;
      } else if (c === quote) quoted = false;
      else field += c;
    } else if (c === quote && fieldStart) {
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
export function uniqueNames(header: readonly string[]): string[] {
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
