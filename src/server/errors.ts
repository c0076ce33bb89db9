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
  const { status, body } = toErrorBody(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send(body);
}

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
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
  return error.message;
}
