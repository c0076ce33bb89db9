import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/**
 * The reference of the serving benchmark: a bare `node:http` server that reads each request's
 * body and answers with a fixed JSON body (a real Keel prediction response, so both servers
 * send the same bytes). `node bare-server.js BODY_FILE` prints its URL once listening.
 */
const body = readFileSync(process.argv[2] ?? '');
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    response.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
