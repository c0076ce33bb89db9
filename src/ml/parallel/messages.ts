import { KeelError, type ErrorCode, type ErrorDetails } from '../../core/index.js';

/** What the pool and its workers send each other. */

export interface TaskRequest {
  readonly id: number;
  readonly task: string;
  readonly input: unknown;
}

export type TaskReply =
  { readonly id: number; readonly output: unknown } | { readonly id: number; readonly error: SerializedError };

/**
 * An error as plain data. Structured cloning would keep an Error's message but drop a
 * KeelError's class, code and details, which callers rely on.
 */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: ErrorCode;
  readonly details?: ErrorDetails;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof KeelError) {
    return { name: error.name, message: error.message, stack: error.stack, code: error.code, details: error.details };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The error again, on the calling thread, with the worker's stack (where it was thrown). */
export function deserializeError(serialized: SerializedError): Error {
  const { name, message, stack, code, details } = serialized;
  const error = code === undefined ? new Error(message) : new KeelError(code, message, details);
  if (!(error instanceof KeelError)) error.name = name;
  if (stack !== undefined) error.stack = `${stack}\n    at <worker thread>`;
  return error;
}

/**
 * The non-shared ArrayBuffers under the typed arrays of `value` (in arrays and plain objects),
 * to transfer rather than copy. SharedArrayBuffers are shared by structured cloning anyway.
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (item: unknown): void => {
    if (ArrayBuffer.isView(item)) {
      if (item.buffer instanceof ArrayBuffer) found.add(item.buffer);
    } else if (Array.isArray(item)) {
      item.forEach(visit);
    } else if (typeof item === 'object' && item !== null && Object.getPrototypeOf(item) === Object.prototype) {
      Object.values(item).forEach(visit);
    }
  };
  visit(value);
  return [...found];
}
