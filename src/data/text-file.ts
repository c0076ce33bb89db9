import { open, stat } from 'node:fs/promises';
import { KeelError } from '../core/index.js';

/** The start of a text file, decoded; `wholeFile` says whether it is all of it. */
export interface TextHead {
  readonly text: string;
  readonly wholeFile: boolean;
}

/** The first 1 MiB is enough for any sane header or first record; the binary check looks at 64 KiB. */
const HEAD_BYTES = 1 << 20;
const BINARY_PROBE_BYTES = 1 << 16;

/** Checks that `path` is a regular file, with not_found / invalid_data errors naming it. */
export async function requireFile(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new KeelError('not_found', `no file at ${path}`, { file: path });
  if (!info.isFile()) throw new KeelError('invalid_data', `${path} is not a file`, { file: path });
  return info.size;
}

/**
 * Reads the start of a text file of `format` (a name for messages, e.g. `CSV`) and rejects
 * missing, binary, non-UTF-8 and empty files early, with messages that say so rather than
 * DuckDB's. A leading byte-order mark is dropped.
 */
export async function readTextHead(path: string, format: string): Promise<TextHead> {
  const size = await requireFile(path);
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }

  const nul = head.subarray(0, BINARY_PROBE_BYTES).indexOf(0);
  if (nul >= 0) {
    const line = lineAt(head, nul);
    throw new KeelError(
      'invalid_data',
      `${path} looks like a binary file, not ${format} text (NUL byte on line ${line})`,
      { file: path, line },
    );
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
  return { text, wholeFile: head.length === size };
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
