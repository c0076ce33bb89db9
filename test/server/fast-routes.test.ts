import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/server/index.js';
import { V, churnFixture, type ChurnFixture } from '../helpers/churn-fixture.js';

/**
 * Keel's predict route is answered twice over: by a fast route straight from Node's HTTP server
 * (real sockets) and by the Fastify route (`app.inject`, and whatever the fast path passes on).
 * Every kind of request must get the same status, body and content type from both.
 */
describe('the fast predict route answers as the Fastify route does', () => {
  let fixture: ChurnFixture;
  let app: FastifyInstance;
  let url: string;
  let endpoint: string;
  beforeAll(async () => {
    fixture = await churnFixture({ microBatch: false });
    // A second app over the same runtime, listening, with a small body limit and a worker header.
    app = await createApp({
      ...fixture.workspace,
      registry: fixture.registry,
      runtime: fixture.runtime,
      bodyLimit: 64 * 1024,
      responseHeaders: { 'x-keel-worker': '7' },
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    endpoint = await fixture.endpoint('fast');
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const row = () => ({ ...fixture.rows[0] });
  const cases: Array<[string, () => { path?: string; body: string; contentType?: string }]> = [
    ['one row', () => ({ body: JSON.stringify({ instances: [row()] }) })],
    ['three rows', () => ({ body: JSON.stringify({ instances: fixture.rows.slice(0, 3) }) })],
    [
      'charset in the content type',
      () => ({ body: JSON.stringify({ instances: [row()] }), contentType: 'application/json; charset=utf-8' }),
    ],
    ['malformed JSON', () => ({ body: '{"instances": [' })],
    ['no instances', () => ({ body: '{}' })],
    ['instances not an array', () => ({ body: '{"instances": {"tenure": 3}}' })],
    ['empty instances', () => ({ body: '{"instances": []}' })],
    ['a row that is a number', () => ({ body: '{"instances": [1]}' })],
    ['a JSON array body', () => ({ body: '[1, 2]' })],
    ['a JSON null body', () => ({ body: 'null' })],
    ['prototype poisoning', () => ({ body: '{"instances": [], "__proto__": {"x": 1}}' })],
    ['a wrong type', () => ({ body: JSON.stringify({ instances: [{ ...row(), tenure: 'twelve' }] }) })],
    [
      'a missing field',
      () => {
        const { tenure: _dropped, ...rest } = row();
        return { body: JSON.stringify({ instances: [rest] }) };
      },
    ],
    [
      'an unknown endpoint',
      () => ({ path: '/v1/endpoints/nope/predict', body: JSON.stringify({ instances: [row()] }) }),
    ],
    [
      'a name the route refuses',
      () => ({ path: '/v1/endpoints/-bad/predict', body: JSON.stringify({ instances: [row()] }) }),
    ],
    ['an escaped name', () => ({ path: `/v1/endpoints/${encodeURIComponent(endpoint)}%2E/predict`, body: '{}' })],
    [
      'a query string',
      () => ({ path: `/v1/endpoints/${endpoint}/predict?x=1`, body: JSON.stringify({ instances: [row()] }) }),
    ],
    ['text/plain', () => ({ body: JSON.stringify({ instances: [row()] }), contentType: 'text/plain' })],
    ['an empty body', () => ({ body: '' })],
    ['a body over the limit', () => ({ body: JSON.stringify({ instances: Array.from({ length: 200 }, row) }) })],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const { path = `/v1/endpoints/${endpoint}/predict`, body, contentType = 'application/json' } = make();
    const viaSocket = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const viaFastify = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': contentType },
      payload: body,
    });
    const socketBody = normalise(await viaSocket.text());
    expect({ status: viaSocket.status, body: socketBody }).toEqual({
      status: viaFastify.statusCode,
      body: normalise(viaFastify.body),
    });
    expect(viaSocket.headers.get('content-type')).toBe(viaFastify.headers['content-type']);
    expect(viaSocket.headers.get('x-keel-worker')).toBe('7');
    expect(viaFastify.headers['x-keel-worker']).toBe('7');
  });

  it('logs every prediction and request of the fast path', async () => {
    const name = await fixture.endpoint('fast-log');
    const body = JSON.stringify({ instances: fixture.rows.slice(0, 2) });
    const answer = await fetch(`${url}/v1/endpoints/${name}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = (await answer.json()) as { predictions: Array<{ id: string }>; model: { version: number } };
    expect(json.model.version).toBe(V.primary);
    await fetch(`${url}/v1/endpoints/${name}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"instances": [1]}',
    });
    await fixture.runtime.log.flush();
    const logged = await fixture.workspace.metadata.listPredictions({ endpoint: name });
    expect(logged.map((p) => p.id).sort()).toEqual(json.predictions.map((p) => p.id).sort());
    const requests = await fixture.workspace.metadata.listRequests({ endpoint: name });
    expect(requests.map((r) => [r.status, r.rows, r.variant]).sort()).toEqual(
      [
        [200, 2, 'primary'],
        [400, 1, undefined],
      ].sort(),
    );
  });
});

/** Prediction ids differ between two answers; everything else must not. */
function normalise(text: string): unknown {
  try {
    return JSON.parse(text.replace(/"pred_[0-9a-z]+"/g, '"pred_…"'));
  } catch {
    return text;
  }
}
