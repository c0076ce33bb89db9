import { extname } from 'node:path';
import { invalidArgument, type DataSourceConfig } from '../../core/index.js';

/** The flags of `keel data import`, as commander parses them. */
export interface ImportFlags {
  readonly format?: string;
  readonly delimiter?: string;
  readonly quote?: string;
  readonly escape?: string;
  /** False with `--no-header`. */
  readonly header: boolean;
  readonly missing?: string;
  readonly postgres?: string;
  readonly query?: string;
  readonly recordsPath?: string;
  readonly httpHeader?: readonly string[];
  readonly timeout?: string;
}

type FileFormat = 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson';

const FORMATS: readonly FileFormat[] = ['csv', 'tsv', 'parquet', 'json', 'ndjson'];

const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

/**
 * The data source a `keel data import` command line names: a file (its format from `--format`
 * or the extension), an http(s) URL, or `--postgres URL --query SQL`. A flag that does not apply
 * to that kind of source is refused rather than ignored.
 */
export function importSourceOf(target: string | undefined, flags: ImportFlags): DataSourceConfig {
  if (flags.postgres !== undefined) {
    if (target !== undefined) throw invalidArgument(`give a FILE or URL, or --postgres, not both`, { field: 'source' });
    if (flags.query === undefined) throw invalidArgument('--postgres needs --query SQL', { field: '--query' });
    refuse(
      flags,
      ['format', 'delimiter', 'quote', 'escape', 'header', 'missing', 'recordsPath', 'httpHeader', 'timeout'],
      '--postgres',
    );
    return { type: 'postgres', url: flags.postgres, query: flags.query };
  }
  if (flags.query !== undefined) throw invalidArgument('--query needs --postgres URL', { field: '--query' });
  if (target === undefined) {
    throw invalidArgument('give a FILE or URL to import, or --postgres URL --query SQL', { field: 'source' });
  }

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1].toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    if (flags.format !== undefined && flags.format !== 'json') {
      throw invalidArgument('a URL is read as JSON: --format does not apply', { field: '--format' });
    }
    refuse(flags, ['delimiter', 'quote', 'escape', 'header', 'missing'], 'a URL');
    return {
      type: 'http',
      url: target,
      ...(flags.httpHeader ? { headers: parseHeaders(flags.httpHeader) } : {}),
      ...(flags.recordsPath !== undefined ? { recordsPath: flags.recordsPath } : {}),
      ...(flags.timeout !== undefined ? { timeoutSeconds: parseTimeout(flags.timeout) } : {}),
    };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw invalidArgument(`import from PostgreSQL with --postgres ${target} --query SQL`, { field: 'source' });
  }
  if (scheme !== undefined) throw invalidArgument(`${target}: only http(s) URLs can be imported`, { field: 'source' });

  refuse(flags, ['recordsPath', 'httpHeader', 'timeout'], 'a file');
  const format = fileFormat(target, flags.format);
  const missing = flags.missing === undefined ? {} : { missing: parseMissing(flags.missing) };
  if (format === 'csv' || format === 'tsv') {
    return {
      type: format,
      path: target,
      ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter } : {}),
      ...(flags.quote !== undefined ? { quote: flags.quote } : {}),
      ...(flags.escape !== undefined ? { escape: flags.escape } : {}),
      ...(flags.header ? {} : { header: false }),
      ...missing,
    };
  }
  refuse(flags, ['delimiter', 'quote', 'escape', 'header'], `a ${format} file`);
  return { type: format, path: target, ...missing };
}

function fileFormat(path: string, format: string | undefined): FileFormat {
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw invalidArgument(`--format ${format} is not one of ${FORMATS.join(', ')}`, { field: '--format' });
    }
    return format as FileFormat;
  }
  const inferred = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!inferred) {
    throw invalidArgument(`cannot tell the format of ${path} from its extension: give --format ${FORMATS.join('|')}`, {
      field: '--format',
    });
  }
  return inferred;
}

const FLAG_NAMES: Readonly<Record<keyof ImportFlags, string>> = {
  format: '--format',
  delimiter: '--delimiter',
  quote: '--quote',
  escape: '--escape',
  header: '--no-header',
  missing: '--missing',
  postgres: '--postgres',
  query: '--query',
  recordsPath: '--records-path',
  httpHeader: '--http-header',
  timeout: '--timeout',
};

function refuse(flags: ImportFlags, names: ReadonlyArray<keyof ImportFlags>, source: string): void {
  for (const name of names) {
    const given = name === 'header' ? !flags.header : flags[name] !== undefined;
    if (given) throw invalidArgument(`${FLAG_NAMES[name]} does not apply to ${source}`, { field: FLAG_NAMES[name] });
  }
}

/** `"",NA,?` → `['', 'NA', '?']`: `""` spells the empty field. */
function parseMissing(markers: string): string[] {
  return markers.split(',').map((m) => (m === '""' ? '' : m));
}

function parseHeaders(headers: readonly string[]): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw invalidArgument(`--http-header "${header}" is not "Name: value"`, { field: '--http-header' });
    }
    parsed[name] = header.slice(colon + 1).trim();
  }
  return parsed;
}

function parseTimeout(timeout: string): number {
  const seconds = Number(timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw invalidArgument(`--timeout ${timeout} is not a positive number of seconds`, { field: '--timeout' });
  }
  return seconds;
}
