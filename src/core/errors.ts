/**
 * Errors are values with a code, a message a user can act on, and where the problem is.
 * Every layer throws KeelError; the server maps `code` to an HTTP status and the CLI prints
 * `message` as its one-line reason.
 */
export type ErrorCode =
  | 'invalid_argument' // bad input from a user: a flag, a body, a row
  | 'invalid_config' // keel.yaml or another config file does not match its schema
  | 'invalid_data' // a data file that cannot be read or fails validation
  | 'not_found'
  | 'already_exists'
  | 'conflict' // a concurrent change won
  | 'failed_precondition' // the state does not allow it (e.g. an unfitted estimator)
  | 'payload_too_large'
  | 'incompatible' // a package or store from an incompatible version
  | 'not_exportable' // a model part that the target format (ONNX) cannot express
  | 'internal';

export interface ErrorDetails {
  /** The offending field, key or column (e.g. `training.candidates[1].algorithm`). */
  readonly field?: string;
  /** The offending row (0-based index into a batch) when the error is about one row. */
  readonly row?: number;
  /** The file the error is about, with `line` when known. */
  readonly file?: string;
  readonly line?: number;
  readonly [key: string]: unknown;
}

export class KeelError extends Error {
  override readonly name = 'KeelError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

const httpStatusByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  invalid_config: 400,
  invalid_data: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 409,
  payload_too_large: 413,
  incompatible: 422,
  not_exportable: 422,
  internal: 500,
};

export function httpStatusOf(error: KeelError): number {
  return httpStatusByCode[error.code];
}

export function isKeelError(error: unknown): error is KeelError {
  return error instanceof KeelError;
}

/** Short constructors for the common cases. */
export const invalidArgument = (message: string, details?: ErrorDetails): KeelError =>
  new KeelError('invalid_argument', message, details);
export const notFound = (message: string, details?: ErrorDetails): KeelError =>
  new KeelError('not_found', message, details);
