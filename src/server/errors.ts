import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf, isKeelError, type ErrorCode } from '../core/index.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * One error shape for every route: `{ error: { code, message, details } }`. Bad input is a 4xx
 * that names the field or row; only faults of the server itself are 5xx.
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error, { bodyLimit: request.routeOptions.bodyLimit });
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send(body);
}

/**
 * A request Node's HTTP parser refuses before any route sees it (headers over 16 KiB, a
 * malformed request line, a timeout) gets the same error shape, then the connection closes.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request line and headers are larger than the server accepts (16 KiB)']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not well-formed HTTP'];
  const body = JSON.stringify({
    error: { code: status === 408 ? 'timeout' : 'invalid_argument', message, details: {} },
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** `bodyLimit`: the largest body the route takes, named when a body is refused for its size. */
export function toErrorBody(error: unknown, context: { bodyLimit?: number } = {}): { status: number; body: ErrorBody } {
  if (isKeelError(error)) {
    return { status: httpStatusOf(error), body: { error: error.toJSON() as ErrorBody['error'] } };
  }
  const fastifyError = error as FastifyError & {
    validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>;
    validationContext?: string;
  };
  if (fastifyError.validation && fastifyError.validation.length > 0) {
    const first = fastifyError.validation[0];
    const missing = first.params?.missingProperty as string | undefined;
    const path = `${fastifyError.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}${missing ? `.${missing}` : ''}`;
    return {
      status: 400,
      body: {
        error: {
          code: 'invalid_argument',
          message: `${path}: ${missing ? 'is required' : (first.message ?? 'is invalid')}`,
          details: { field: path },
        },
      },
    };
  }
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && context.bodyLimit !== undefined) {
    const limit = context.bodyLimit;
    return {
      status: 413,
      body: {
        error: {
          code: 'payload_too_large',
          message: `the body is larger than the server accepts: the limit is ${formatBytes(limit)}; send fewer rows per request`,
          details: { limit },
        },
      },
    };
  }
  if (status < 500) {
    return {
      status,
      body: {
        error: { code: codeForStatus(status, fastifyError.code), message: clientMessage(fastifyError), details: {} },
      },
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal server error', details: {} } } };
}

function codeForStatus(status: number, fastifyCode: string | undefined): ErrorCode | string {
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return 'invalid_argument';
  return 'invalid_argument';
}

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    return `the body is not valid JSON: ${error.message}`;
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'the body is empty; send JSON such as {"instances": [{…}]}';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return `the body is larger than the server accepts (${error.message})`;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return `unsupported Content-Type; send application/json`;
  if (error.code === 'FST_ERR_BAD_URL') {
    return 'the URL is not valid: a "%" must start an escape of two hexadecimal digits, such as %20';
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return 'a part of the URL path is longer than a name may be';
  return error.message;
}

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  if (bytes >= mib && bytes % mib === 0) return `${bytes / mib} MiB (${bytes} bytes)`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB (${bytes} bytes)`;
  return `${bytes} bytes`;
}
