import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashValue, KeelError } from '../../core/index.js';
import { resolveMissingMarkers } from '../storage-relation.js';
import { checkJsonStart, copyJsonToParquet, type JsonRecordsFile } from './json-source.js';
import type { SourceConfig, SourceOpener } from './source.js';

const DEFAULT_TIMEOUT_SECONDS = 30;
/** Enough of the body to see how the JSON starts. */
const PROBE_BYTES = 1 << 16;

/**
 * An http(s) URL answering JSON: an array of records, or an object holding one at `recordsPath`
 * (dot-separated keys, e.g. `data.items`; digits index arrays). The body streams to a temp file
 * while it is hashed; the content hash is the sha256 of the body, the URL and the options. Header
 * values may be secrets, so only their names are recorded. The recorded uri has no user info.
 */
export const openHttpSource: SourceOpener<SourceConfig<'http'>> = async (config, context) => {
  const { url: uri, headers } = requestOf(config);
  const timeoutSeconds = config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const bodyPath = join(context.workDir, 'body.json');
  const { sha256, contentType } = await download(uri, headers, timeoutSeconds, bodyPath);

  const records: JsonRecordsFile = {
    path: config.recordsPath ? join(context.workDir, 'records.json') : bodyPath,
    format: 'json',
    label: uri,
    details: { url: uri },
  };
  const head = await readHead(bodyPath);
  const first = head.trimStart()[0];
  if (first !== '[' && first !== '{') {
    const answered = head.trim() === '' ? 'an empty body' : contentType || 'no content-type';
    throw new KeelError('invalid_data', `${uri} did not answer JSON (it answered ${answered})`, records.details);
  }
  // With recordsPath the document is checked when the records are extracted (writeParquet).
  if (!config.recordsPath) {
    if (first === '{') {
      throw new KeelError(
        'invalid_data',
        `${uri} answered a JSON object, not an array of records: set recordsPath to the array inside it (e.g. data.items)`,
        records.details,
      );
    }
    checkJsonStart(records, head);
  }

  const options = {
    missing: resolveMissingMarkers(undefined),
    ...(config.recordsPath ? { recordsPath: config.recordsPath } : {}),
    ...(config.headers ? { headers: Object.keys(config.headers).sort() } : {}),
  };
  const contentHash = hashValue({ format: 'keel.http/1', body: sha256, url: uri, options });
  return {
    kind: 'http',
    uri,
    options,
    details: records.details,
    contentHash,
    async writeParquet(connection, parquetPath) {
      if (config.recordsPath) {
        // The records sit inside a document, so it is parsed in JS: the one import path that
        // holds a whole source in memory. A top-level array is streamed by DuckDB instead.
        await extractRecords(bodyPath, config.recordsPath, records);
      }
      return { rows: await copyJsonToParquet(connection, records, options.missing, parquetPath), contentHash };
    },
  };
};

interface HttpRequest {
  /** Without user info, so it can be recorded and shown. */
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** fetch refuses URLs with credentials: they become a Basic authorization header instead. */
function requestOf(config: SourceConfig<'http'>): HttpRequest {
  let parsed: URL;
  try {
    parsed = new URL(config.url);
  } catch {
    throw new KeelError('invalid_argument', `"${config.url}" is not a URL`, { field: 'url' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new KeelError('invalid_argument', `${config.url} is not an http(s) URL`, { field: 'url' });
  }
  const headers: Record<string, string> = { ...config.headers };
  const given = (name: string): boolean => Object.keys(headers).some((key) => key.toLowerCase() === name);
  if (!given('accept')) headers.accept = 'application/json';
  if (parsed.username || parsed.password) {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    if (!given('authorization')) headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.toString(), headers };
}

async function download(
  uri: string,
  headers: Record<string, string>,
  timeoutSeconds: number,
  bodyPath: string,
): Promise<{ sha256: string; contentType: string }> {
  const details = { url: uri };
  // One deadline for the whole exchange: it also aborts a body that stalls halfway.
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  let response: Response;
  try {
    response = await fetch(uri, { headers, signal, redirect: 'follow' });
  } catch (error) {
    throw fetchError(uri, error, timeoutSeconds);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new KeelError(
      response.status === 404 || response.status === 410 ? 'not_found' : 'invalid_data',
      `${uri} answered HTTP ${status}`,
      { ...details, status: response.status },
    );
  }

  const hash = createHash('sha256');
  const file = await open(bodyPath, 'w');
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        hash.update(chunk.value);
        await file.write(chunk.value);
      }
    }
  } catch (error) {
    throw fetchError(uri, error, timeoutSeconds);
  } finally {
    await file.close();
  }
  return { sha256: hash.digest('hex'), contentType: response.headers.get('content-type') ?? '' };
}

function fetchError(uri: string, error: unknown, timeoutSeconds: number): KeelError {
  const details = { url: uri };
  const { name, message, cause } = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new KeelError('not_found', `${uri} did not answer within ${timeoutSeconds} s`, details, { cause: error });
  }
  let reason: string;
  if (cause?.code === 'ECONNREFUSED') reason = 'connection refused';
  else if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') reason = 'unknown host';
  else if (cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET') reason = 'the connection was closed';
  else reason = cause?.message ?? message ?? String(error);
  return new KeelError('not_found', `cannot reach ${uri}: ${reason}`, details, { cause: error });
}

async function readHead(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(PROBE_BYTES);
    const { bytesRead } = await file.read(buffer, 0, PROBE_BYTES, 0);
    const text = new TextDecoder('utf-8').decode(buffer.subarray(0, bytesRead), { stream: true });
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } finally {
    await file.close();
  }
}

/** Picks the array at `recordsPath` out of the body and writes it where `records.path` says. */
async function extractRecords(bodyPath: string, recordsPath: string, records: JsonRecordsFile): Promise<void> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(bodyPath, 'utf8'));
  } catch (error) {
    throw new KeelError(
      'invalid_data',
      `${records.label} did not answer valid JSON: ${(error as Error).message}`,
      records.details,
    );
  }
  let value = document;
  const walked: string[] = [];
  for (const key of recordsPath.split('.')) {
    const next = childOf(value, key);
    if (next === undefined) {
      const at = walked.length > 0 ? `"${walked.join('.')}"` : 'the top level';
      throw new KeelError(
        'invalid_data',
        `${records.label}: recordsPath "${recordsPath}" is not in the answer (no "${key}" at ${at})`,
        { ...records.details, field: 'recordsPath' },
      );
    }
    walked.push(key);
    value = next;
  }
  if (!Array.isArray(value)) {
    throw new KeelError(
      'invalid_data',
      `${records.label}: recordsPath "${recordsPath}" holds ${value === null ? 'null' : `a ${typeof value}`}, not an array of records`,
      { ...records.details, field: 'recordsPath' },
    );
  }
  if (value.length === 0) {
    throw new KeelError('invalid_data', `${records.label} has no records at "${recordsPath}"`, records.details);
  }
  await writeFile(records.path, JSON.stringify(value));
}

function childOf(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) {
    return (value as Record<string, unknown>)[key];
  }
  return undefined;
}
