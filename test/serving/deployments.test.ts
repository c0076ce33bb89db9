import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointEvent, TrafficPolicy } from '../../src/core/index.js';
import { endpointMonitoring } from '../../src/monitoring/index.js';
import { deploy, promote, rollback, ServingRuntime } from '../../src/serving/index.js';
import { churnFixture, SLOW_MS, V, type ChurnFixture } from '../helpers/churn-fixture.js';

/** The deployment strategies on the churn example, served in-process. */
describe('deployment strategies on the churn example', () => {
  let f: ChurnFixture;
  const change = { actor: 'ana', reason: '' };
  const at = (percent?: number) => ({ percent });
  const churn = (version: number) => ({ name: 'churn', version });
  const events = (endpoint: string): Promise<EndpointEvent[]> => f.workspace.metadata.listEndpointEvents(endpoint);
  const policyOf = async (endpoint: string): Promise<TrafficPolicy> =>
    (await f.workspace.metadata.getEndpoint(endpoint))!.policy;

  beforeAll(async () => {
    f = await churnFixture();
  });
  afterAll(() => f?.close());

  it('a canary at 20 % answers 20 ± 3 % of 2,000 customers, and a sticky key never switches version', async () => {
    const endpoint = await f.endpoint('canary');
    await deploy(
      f.workspace.metadata,
      endpoint,
      { model: churn(V.candidate), strategy: 'canary', ...at(20), stickyKey: 'customerID' },
      change,
    );
    const seen = new Map<string, string>();
    let canary = 0;
    for (const row of f.rows.slice(0, 2000)) {
      const { status, body } = await f.predict(endpoint, [row]);
      expect(status).toBe(200);
      expect(body.variant === 'canary' ? V.candidate : V.primary).toBe(body.model.version);
      if (body.variant === 'canary') canary++;
      seen.set(String(row.customerID), `${body.variant}@${body.model.version}`);
    }
    expect(canary / 2000).toBeGreaterThanOrEqual(0.17);
    expect(canary / 2000).toBeLessThanOrEqual(0.23);

    // The same customers again, each several times: every answer comes from the version they saw first.
    for (let round = 0; round < 3; round++) {
      for (const row of f.rows.slice(0, 300)) {
        const { body } = await f.predict(endpoint, [row]);
        expect(`${body.variant}@${body.model.version}`).toBe(seen.get(String(row.customerID)));
      }
    }
  });

  it('blue-green switches in one step and rolls back in one step, keeping the standby loaded', async () => {
    const endpoint = await f.endpoint('blue-green');
    const row = f.rows[0];
    await deploy(f.workspace.metadata, endpoint, { model: churn(V.candidate), strategy: 'blue-green' }, change);
    for (let i = 0; i < 20; i++) {
      expect((await f.predict(endpoint, [f.rows[i]])).body).toMatchObject({
        model: churn(V.candidate),
        variant: 'green',
      });
    }
    expect((await policyOf(endpoint)).routes).toEqual([
      { model: 'churn', version: V.candidate, percent: 100, variant: 'green' },
      { model: 'churn', version: V.primary, percent: 0, variant: 'blue' },
    ]);

    await rollback(f.workspace.metadata, endpoint, { actor: 'ana', reason: 'tree misbehaves' });
    expect((await f.predict(endpoint, [row])).body).toMatchObject({ model: churn(V.primary), variant: 'blue' });
    const [back] = await events(endpoint);
    expect(back).toMatchObject({ kind: 'rollback', actor: 'ana', reason: 'tree misbehaves' });

    // And forward again: the standby colour takes the new version.
    await rollback(f.workspace.metadata, endpoint, change);
    expect((await f.predict(endpoint, [row])).body).toMatchObject({ model: churn(V.candidate), variant: 'green' });
    expect((await events(endpoint)).map((e) => e.kind)).toEqual(['rollback', 'rollback', 'deploy', 'deploy']);
  });

  it('shadow never changes an answer: the same rows get the answers direct serving gives', async () => {
    const direct = await f.endpoint('direct');
    const shadowed = await f.endpoint('shadowed');
    await deploy(f.workspace.metadata, shadowed, { model: churn(V.candidate), strategy: 'shadow' }, change);
    const rows = f.rows.slice(100, 400);
    for (let i = 0; i < rows.length; i += 10) {
      const batch = rows.slice(i, i + 10);
      const [a, b] = await Promise.all([f.predict(direct, batch), f.predict(shadowed, batch)]);
      expect(b.status).toBe(200);
      expect(b.body).toMatchObject({ model: churn(V.primary), variant: 'primary' });
      expect(b.body.predictions.map(({ label, probabilities }) => ({ label, probabilities }))).toEqual(
        a.body.predictions.map(({ label, probabilities }) => ({ label, probabilities })),
      );
    }
    await f.runtime.shadows.drain();
    await f.runtime.log.flush();

    // The shadow's predictions are logged beside the answers, each compared with the primary's.
    const logged = await f.workspace.metadata.listPredictions({ endpoint: shadowed });
    const answers = new Map(logged.filter((p) => p.variant === 'primary').map((p) => [p.id, p]));
    const shadows = logged.filter((p) => p.variant === 'shadow');
    expect(answers.size).toBe(300);
    expect(shadows).toHaveLength(300);
    for (const s of shadows) {
      const comparison = s.output.comparison as { primaryId: string; agrees: boolean; difference: number };
      const answer = answers.get(comparison.primaryId)!;
      expect(s.version).toBe(V.candidate);
      expect(s.inputs).toEqual(answer.inputs);
      expect(comparison.agrees).toBe(s.output.label === answer.output.label);
      expect(comparison.difference).toBeGreaterThanOrEqual(0);
    }
    const summary = await endpointMonitoring(f.workspace.metadata, noReference, shadowed);
    const shadow = summary.variants.find((v) => v.variant === 'shadow')!;
    expect(shadow).toMatchObject({ model: 'churn', version: V.candidate, requests: 0, predictions: 300 });
    expect(shadow.agreement?.compared).toBe(300);
    // Two reasonable churn models agree on most customers.
    expect(shadow.agreement?.rate).toBeGreaterThan(0.7);
    expect(summary.variants.find((v) => v.variant === 'primary')).toMatchObject({ requests: 30, errors: 0 });
  });

  it('a slow or failing shadow changes neither the latency nor the status of an answer', async () => {
    const endpoint = await f.endpoint('slow-shadow');
    for (const bad of [V.slow, V.failing]) {
      await deploy(f.workspace.metadata, endpoint, { model: churn(bad), strategy: 'shadow' }, change);
      const before = f.runtime.shadows.stats;
      const started = performance.now();
      for (const row of f.rows.slice(0, 20)) {
        const { status, body } = await f.predict(endpoint, [row]);
        expect(status).toBe(200);
        expect(body.model).toEqual(churn(V.primary));
      }
      // 20 answers in far less than one slow shadow prediction each would take.
      expect(performance.now() - started).toBeLessThan(20 * SLOW_MS * 0.5);
      await f.runtime.shadows.drain();
      const after = f.runtime.shadows.stats;
      if (bad === V.failing) expect(after.failed - before.failed).toBe(20);
      else expect(after.completed - before.completed).toBe(20);
    }
  });

  it('a full shadow queue drops copies instead of growing, and never holds up answers', async () => {
    const runtime = new ServingRuntime(f.workspace.metadata, f.registry, {
      policyTtlMs: 0,
      shadow: { concurrency: 1, maxQueue: 5 },
    });
    try {
      const endpoint = await f.endpoint('bounded-shadow');
      await deploy(f.workspace.metadata, endpoint, { model: churn(V.slow), strategy: 'shadow' }, change);
      const answers = await Promise.all(f.rows.slice(0, 50).map((row) => runtime.predict(endpoint, [row])));
      expect(answers.every((a) => a.variant === 'primary')).toBe(true);
      expect(runtime.shadows.stats.dropped).toBeGreaterThanOrEqual(40);
      expect(runtime.shadows.stats.queued).toBeLessThanOrEqual(5);
    } finally {
      await runtime.close();
    }
  });

  it('A/B splits traffic between two versions and monitoring reports each variant', async () => {
    const endpoint = await f.endpoint('ab');
    await deploy(
      f.workspace.metadata,
      endpoint,
      { model: churn(V.candidate), strategy: 'ab', stickyKey: 'customerID' },
      change,
    );
    for (const row of f.rows.slice(0, 400)) expect((await f.predict(endpoint, [row])).status).toBe(200);
    await f.runtime.log.flush();
    const summary = await endpointMonitoring(f.workspace.metadata, noReference, endpoint);
    const [a, b] = ['a', 'b'].map((variant) => summary.variants.find((v) => v.variant === variant)!);
    expect(a).toMatchObject({ model: 'churn', version: V.primary, errors: 0 });
    expect(b).toMatchObject({ model: 'churn', version: V.candidate, errors: 0 });
    expect(a.requests + b.requests).toBe(400);
    expect(Math.abs(a.requests - b.requests)).toBeLessThan(80);
    expect(a.predictions).toBe(a.requests);
    expect(a.latencyMs?.p99).toBeGreaterThan(0);
    const churnShare = (v: typeof a) => v.outputs.labels?.Yes ?? 0;
    expect(churnShare(a)).toBeGreaterThan(0);
    expect(churnShare(b)).toBeGreaterThan(0);

    // The winner takes all traffic in one command.
    await promote(f.workspace.metadata, endpoint, { actor: 'ana', reason: 'b converts better' });
    expect(await policyOf(endpoint)).toEqual({
      strategy: 'direct',
      routes: [{ model: 'churn', version: V.candidate, percent: 100, variant: 'primary' }],
    });
  });

  it('a canary is promoted or rolled back in one command; a direct endpoint rolls back to the version before', async () => {
    const endpoint = await f.endpoint('promote');
    await deploy(f.workspace.metadata, endpoint, { model: churn(V.candidate), strategy: 'canary' }, change);
    expect((await policyOf(endpoint)).routes.map((r) => [r.variant, r.percent])).toEqual([
      ['primary', 90],
      ['canary', 10],
    ]);
    await rollback(f.workspace.metadata, endpoint, change);
    expect((await policyOf(endpoint)).routes).toEqual([
      { model: 'churn', version: V.primary, percent: 100, variant: 'primary' },
    ]);
    await deploy(f.workspace.metadata, endpoint, { model: churn(V.candidate) }, change);
    await rollback(f.workspace.metadata, endpoint, { actor: 'ana', reason: 'back to the champion' });
    expect((await policyOf(endpoint)).routes[0].version).toBe(V.primary);
    expect((await events(endpoint))[0]).toMatchObject({ kind: 'rollback', reason: 'back to the champion' });
  });

  it('refuses what a strategy cannot do, naming the field, and changes nothing', async () => {
    const endpoint = await f.endpoint('refusals');
    const attempt = (d: Parameters<typeof deploy>[2]) =>
      deploy(f.workspace.metadata, endpoint, d, change).then(
        () => null,
        (e: { code: string; details: { field?: string } }) => [e.code, e.details.field],
      );
    expect(await attempt({ model: churn(99) })).toEqual(['not_found', 'model']);
    expect(await attempt({ model: churn(V.candidate), strategy: 'canary', percent: 120 })).toMatchObject([
      'invalid_argument',
      'percent',
    ]);
    expect(await attempt({ model: churn(V.candidate), strategy: 'canary', percent: 0 })).toMatchObject([
      'invalid_argument',
      'percent',
    ]);
    expect(await attempt({ model: churn(V.primary), strategy: 'canary' })).toMatchObject(['invalid_argument', 'model']);
    expect(await attempt({ model: churn(V.candidate), strategy: 'shadow', percent: 5 })).toMatchObject([
      'invalid_argument',
      'percent',
    ]);
    const fresh = deploy(
      f.workspace.metadata,
      'nothing-yet',
      { model: churn(V.candidate), strategy: 'canary' },
      change,
    );
    await expect(fresh).rejects.toMatchObject({ code: 'invalid_argument', details: { field: 'strategy' } });
    await expect(promote(f.workspace.metadata, endpoint, change)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(await events(endpoint)).toHaveLength(1);
    expect(await f.workspace.metadata.getEndpoint('nothing-yet')).toBeNull();
  });

  it('serves deployments, promotion, rollback and the audit trail over the API', async () => {
    const endpoint = await f.endpoint('api');
    const post = (path: string, payload?: unknown) =>
      f.app.inject({ method: 'POST', url: `/api/v1/endpoints/${endpoint}/${path}`, payload: payload as object });

    const created = await post('deployments', {
      model: 'churn@2',
      strategy: 'canary',
      percent: 30,
      stickyKey: 'customerID',
      reason: 'try the tree',
      actor: 'ana',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      endpoint: { name: endpoint, revision: 2, policy: { strategy: 'canary', stickyKey: 'customerID' } },
      event: { kind: 'deploy', actor: 'ana', reason: 'try the tree' },
    });
    expect((await f.predict(endpoint, [f.rows[0]])).status).toBe(200);

    const promoted = await post('promote', { reason: 'looks good' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().endpoint.policy.routes).toEqual([
      { model: 'churn', version: 2, percent: 100, variant: 'primary' },
    ]);
    const rolledBack = await post('rollback');
    expect(rolledBack.json().event).toMatchObject({ kind: 'rollback', actor: 'api' });

    const trail = await f.app.inject({ url: `/api/v1/endpoints/${endpoint}/events?limit=3` });
    expect(trail.json().events.map((e: EndpointEvent) => [e.kind, e.actor])).toEqual([
      ['rollback', 'api'],
      ['promote', 'api'],
      ['deploy', 'ana'],
    ]);

    const refused = async (payload: unknown) => {
      const response = await post('deployments', payload);
      const { error } = response.json();
      expect(error.message.split('\n')).toHaveLength(1);
      return [response.statusCode, error.details.field];
    };
    expect(await refused({ model: 'churn@99' })).toEqual([404, 'model']);
    expect(await refused({ model: 'churn@champion', strategy: 'canary' })).toEqual([400, 'model']);
    expect(await refused({ model: 'churn@2', strategy: 'canary', percent: 101 })).toEqual([400, 'percent']);
    expect(await refused({ model: 'churn@2', strategy: 'sideways' })).toEqual([400, 'strategy']);
    expect(await refused({ model: 'churn@2', strategy: 'canary', rollout: { steps: [5, 1, 100] } })).toEqual([
      400,
      'rollout.steps[1]',
    ]);
    expect(await refused({ strategy: 'canary' })).toEqual([400, 'body.model']);
    const missing = await f.app.inject({ method: 'POST', url: '/api/v1/endpoints/nope/promote' });
    expect(missing.statusCode).toBe(404);
    const openapi = (await f.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/endpoints/{name}/deployments',
        '/api/v1/endpoints/{name}/promote',
        '/api/v1/endpoints/{name}/rollback',
        '/api/v1/endpoints/{name}/events',
      ]),
    );
  });
});

const noReference = async () => ({ rows: 0, features: [] });
