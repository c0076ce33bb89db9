import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface DrainOptions {
  /** Connections count as drained once no request has been in flight for this long (ms). */
  readonly quietMs?: number;
  /** Give up waiting after this long (ms); `app.close()` then still waits for requests in flight. */
  readonly maxMs?: number;
}

/**
 * Graceful shutdown that fails no request a client already sent. Fastify's `close()` (Node's
 * `server.close()`) drops every keep-alive connection it deems idle at once — but under load an
 * "idle" connection often holds the client's next request, sent and still unread in its socket
 * buffer, so that request would fail. `drain()` first only stops listening (new connections are
 * refused), answers every request still arriving on the open connections with
 * `Connection: close` so each connection ends after its response, and resolves once requests
 * have stopped arriving; what is left is truly idle, for `close()` to drop. Call before listening
 * (it adds hooks); drain, then close the app, then flush the logs.
 */
export function gracefulDrain(app: FastifyInstance): (options?: DrainOptions) => Promise<void> {
  let draining = false;
  let inFlight = 0;
  let lastActivity = 0;
  const ended = () => {
    inFlight--;
    lastActivity = performance.now();
  };
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight++;
    lastActivity = performance.now();
    // `close` comes after the response is sent and also when the client goes away first.
    reply.raw.once('close', ended);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  return async ({ quietMs = 100, maxMs = 10_000 } = {}) => {
    if (draining) return;
    draining = true;
    lastActivity = performance.now();
    // net.Server's close stops listening; http.Server's would also drop the "idle" connections.
    if (app.server.listening) NetServer.prototype.close.call(app.server);
    const started = performance.now();
    while (performance.now() - started < maxMs) {
      if (inFlight === 0 && performance.now() - lastActivity >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
}
