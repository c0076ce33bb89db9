import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { toErrorBody } from './errors.js';
import { parseJsonBody } from './json-body.js';

/**
 * The hot path of serving. A single-row prediction does ~30 µs of Keel's own work; Fastify's
 * request lifecycle (routing, hooks, content-type parsing, reply serialisation) costs more than
 * that again, which halves single-row throughput. A fast route answers a JSON POST straight from
 * Node's `http` server, before Fastify sees it, with the same handler, the same error bodies and
 * the same headers as the Fastify route registered for the same path (which still serves
 * `app.inject()`, the OpenAPI document and every request the fast path passes on).
 *
 * Only the plain case is taken: a POST whose path matches, with `Content-Type: application/json`
 * and a `Content-Length` within the body limit. Anything else (chunked bodies, other media types,
 * empty or oversized bodies, escaped paths) goes to Fastify, so its error answers stay the only ones.
 */
export interface FastRoute<State = unknown> {
  /** Matches the path (no query string): the path parameters, or null when the route does not apply. */
  match(path: string): Record<string, string> | null;
  /** A fresh per-request state given to `handle` and `done` (e.g. the variant that answered). */
  state(): State;
  /** Answers the parsed body; a throw becomes the error response (`toErrorBody`). */
  handle(params: Record<string, string>, body: unknown, state: State): Promise<unknown>;
  /** Told once the response is written: its status, the time since the request arrived, and the error code. */
  done?(params: Record<string, string>, body: unknown, state: State, outcome: FastOutcome): void;
}

export interface FastOutcome {
  readonly status: number;
  readonly latencyMs: number;
  readonly errorCode: string | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

export interface FastRouteOptions {
  readonly bodyLimit: number;
  /** Headers every response carries (also set on Fastify's responses by the app). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The fast routes of one app, consulted by the HTTP server before Fastify's handler. */
export class FastRoutes {
  private readonly routes: FastRoute<never>[] = [];
  private readonly headers: [string, string][];

  constructor(private readonly options: FastRouteOptions) {
    this.headers = Object.entries(options.headers ?? {});
  }

  add<State>(route: FastRoute<State>): void {
    this.routes.push(route as FastRoute<never>);
  }

  /**
   * A Fastify `serverFactory`: an `http.Server` that tries the fast routes first. Fastify's
   * server settings (timeouts) are applied here, as Fastify does for a server it creates.
   */
  serverFactory = (
    fastifyHandler: (request: IncomingMessage, response: ServerResponse) => void,
    settings: { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number },
  ): Server => {
    const server = createServer((request, response) => {
      if (!this.tryHandle(request, response)) fastifyHandler(request, response);
    });
    if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
    if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
    if (settings.connectionTimeout !== undefined) server.setTimeout(settings.connectionTimeout);
    return server;
  };

  /** True when a fast route took the request (and will answer it). */
  private tryHandle(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST' || this.routes.length === 0) return false;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (path.includes('%')) return false;
    const length = Number(request.headers['content-length']);
    if (!(length > 0 && length <= this.options.bodyLimit) || !isJson(request.headers['content-type'])) return false;
    for (const route of this.routes) {
      const params = route.match(path);
      if (params) {
        this.serve(route, params, request, response, length);
        return true;
      }
    }
    return false;
  }

  private serve(
    route: FastRoute<unknown>,
    params: Record<string, string>,
    request: IncomingMessage,
    response: ServerResponse,
    requestBytes: number,
  ): void {
    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Node's parser stops the body at Content-Length; a client that leaves early never gets here.
    request.on('end', () => {
      let body: unknown;
      try {
        const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
        body = parseJsonBody(text);
      } catch (error) {
        return this.fail(route, params, null, undefined, response, { started, requestBytes }, error);
      }
      const state = route.state();
      route.handle(params, body, state).then(
        (answer) => {
          const responseBytes = this.write(response, 200, JSON.stringify(answer));
          route.done?.(params, body, state, {
            status: 200,
            latencyMs: performance.now() - started,
            errorCode: null,
            requestBytes,
            responseBytes,
          });
        },
        (error: unknown) => this.fail(route, params, body, state, response, { started, requestBytes }, error),
      );
    });
  }

  private fail(
    route: FastRoute<unknown>,
    params: Record<string, string>,
    body: unknown,
    state: unknown,
    response: ServerResponse,
    request: { readonly started: number; readonly requestBytes: number },
    error: unknown,
  ): void {
    const { status, body: errorBody } = toErrorBody(error, { bodyLimit: this.options.bodyLimit });
    if (status >= 500) console.error('keel: request failed:', error);
    const responseBytes = this.write(response, status, JSON.stringify(errorBody));
    route.done?.(params, body, state ?? route.state(), {
      status,
      latencyMs: performance.now() - request.started,
      errorCode: status >= 400 ? String(status) : null,
      requestBytes: request.requestBytes,
      responseBytes,
    });
  }

  /** Writes the response; its body's size in bytes. */
  private write(response: ServerResponse, status: number, payload: string): number {
    const bytes = Buffer.byteLength(payload);
    if (response.destroyed) return bytes;
    for (const [name, value] of this.headers) response.setHeader(name, value);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes });
    response.end(payload);
    return bytes;
  }
}

/** `application/json`, with or without parameters (`; charset=utf-8`), as Fastify's JSON parser takes it. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json';
}
