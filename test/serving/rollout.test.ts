import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, RolloutPlan } from '../../src/core/index.js';
import { startServer } from '../../src/server/index.js';
import { deploy, promote, rollback, RolloutController, type RolloutTick } from '../../src/serving/index.js';
import { churnFixture, SLOW_MS, V, type ChurnFixture } from '../helpers/churn-fixture.js';

/** Progressive rollout with automatic rollback, on the churn example served in-process. */
describe('progressive rollout on the churn example', () => {
  let f: ChurnFixture;
  let controller: RolloutController;
  const churn = (version: number) => ({ name: 'churn', version });
  const plan = (overrides: Partial<RolloutPlan> = {}): RolloutPlan => ({
    steps: [25, 50, 100],
    bakeMs: 0,
    automation: 'auto',
    // p99 far above what the churn model takes, even on a busy machine; the slow version sleeps past it.
    guardrails: { errorRate: { max: 0.05 }, p99Ms: { max: 1000 }, minRequests: 20 },
    ...overrides,
  });
  let next = 0;
  /** Sends `n` requests of distinct customers, a few at a time, and writes the logs. */
  const traffic = async (endpoint: string, n = 160) => {
    const rows = Array.from({ length: n }, () => f.rows[next++ % f.rows.length]);
    for (let i = 0; i < rows.length; i += 8) {
      await Promise.all(rows.slice(i, i + 8).map((row) => f.predict(endpoint, [row])));
    }
    await f.runtime.log.flush();
  };
  const endpointOf = async (name: string): Promise<Endpoint> => (await f.workspace.metadata.getEndpoint(name))!;
  const tick = async (name: string, c = controller): Promise<RolloutTick> => {
    const ticks = await c.tick(name);
    expect(ticks).toHaveLength(1);
    return ticks[0];
  };
  const start = async (prefix: string, version: number, rollout: RolloutPlan) => {
    const endpoint = await f.endpoint(prefix);
    await deploy(f.workspace.metadata, endpoint, { model: churn(version), rollout }, { actor: 'ana', reason: '' });
    return endpoint;
  };

  beforeAll(async () => {
    f = await churnFixture();
    controller = new RolloutController(f.workspace.metadata);
  });
  afterAll(() => f?.close());

  it('a good candidate reaches 100 % step by step, each step recorded', async () => {
    const endpoint = await start('good', V.candidate, plan());
    expect((await endpointOf(endpoint)).policy.routes.map((r) => [r.variant, r.version, r.percent])).toEqual([
      ['primary', V.primary, 75],
      ['canary', V.candidate, 25],
    ]);
    for (const percent of [50, 100]) {
      await traffic(endpoint);
      const { decision, changed } = await tick(endpoint);
      expect(decision.action).toBe('advance');
      expect(changed?.policy.rollout?.plan.steps[changed.policy.rollout.step]).toBe(percent);
    }
    const done = await endpointOf(endpoint);
    expect(done.policy).toMatchObject({
      strategy: 'direct',
      routes: [{ model: 'churn', version: V.candidate, percent: 100, variant: 'primary' }],
      rollout: { status: 'completed', step: 2 },
    });
    const events = await f.workspace.metadata.listEndpointEvents(endpoint);
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['promote', 'keel-rollout'],
      ['promote', 'keel-rollout'],
      ['deploy', 'ana'],
      ['deploy', 'test'],
    ]);
    expect(events[0].reason).toMatch(/^step 2\/3 \(50%\) passed its guardrails over \d+ requests; advancing to 100%$/);
    // Finished: the controller leaves it alone.
    expect(await controller.tick(endpoint)).toEqual([]);
  });

  it('a candidate that errors on its requests is rolled back automatically, saying why', async () => {
    const endpoint = await start('errors', V.needsField, plan());
    await traffic(endpoint);
    const answers = await f.workspace.metadata.listRequests({ endpoint, variant: 'canary' });
    expect(answers.length).toBeGreaterThanOrEqual(20);
    expect(answers.every((r) => r.status === 400 && r.version === V.needsField)).toBe(true);

    const { decision, changed } = await tick(endpoint);
    expect(decision.action).toBe('rollback');
    expect(changed?.policy).toMatchObject({
      strategy: 'direct',
      routes: [{ model: 'churn', version: V.primary, percent: 100 }],
      rollout: { status: 'rolled-back', candidate: { version: V.needsField } },
    });
    const [event] = await f.workspace.metadata.listEndpointEvents(endpoint, 1);
    expect(event).toMatchObject({ kind: 'rollback', actor: 'keel-rollout' });
    expect(event.reason).toMatch(/^guardrail broken at step 1\/3 \(25%\): error rate 1 \(\d+ of \d+\) > max 0\.05$/);
    // Every customer is answered by the primary again.
    for (const row of f.rows.slice(0, 20)) {
      expect((await f.predict(endpoint, [row])).body).toMatchObject({ model: churn(V.primary), variant: 'primary' });
    }
  });

  it('a slow candidate is rolled back by the p99 guardrail; a failing one by the error rate', async () => {
    const slow = await start(
      'slow',
      V.slow,
      plan({ guardrails: { errorRate: { max: 0.05 }, p99Ms: { max: SLOW_MS / 2 }, minRequests: 20 } }),
    );
    // 200 requests: the canary (25 %, drawn at random) gets its 20 with room to spare (at 120 it fell short about once in 100 runs).
    await traffic(slow, 200);
    const slowTick = await tick(slow);
    expect(slowTick.decision).toMatchObject({ action: 'rollback' });
    expect(slowTick.decision.reason).toMatch(/p99 latency \d+(\.\d+)? ms > max 40 ms/);

    const broken = await start('broken', V.failing, plan());
    await traffic(broken, 200);
    const brokenTick = await tick(broken);
    expect(brokenTick.decision.action).toBe('rollback');
    expect(brokenTick.report.checks.find((c) => c.name === 'errorRate')).toMatchObject({ value: 1, passed: false });
  });

  it('manual: every step waits for `promote`, which approves exactly one step', async () => {
    const endpoint = await start('manual', V.candidate, plan({ automation: 'manual' }));
    await traffic(endpoint);
    expect((await tick(endpoint)).decision.action).toBe('await-approval');
    expect((await endpointOf(endpoint)).policy.rollout?.status).toBe('awaiting-approval');
    // Waiting is idempotent: more looks, also by a fresh controller after a restart, change nothing.
    const revision = (await endpointOf(endpoint)).revision;
    expect((await tick(endpoint)).decision.action).toBe('wait');
    expect((await tick(endpoint, new RolloutController(f.workspace.metadata))).decision.action).toBe('wait');
    expect((await endpointOf(endpoint)).revision).toBe(revision);

    const approved = await promote(f.workspace.metadata, endpoint, { actor: 'ana', reason: '' });
    expect(approved.policy.rollout).toMatchObject({ step: 1, status: 'baking' });
    expect(approved.policy.routes.find((r) => r.variant === 'canary')?.percent).toBe(50);
    await traffic(endpoint);
    expect((await tick(endpoint)).decision.action).toBe('await-approval');
    const finished = await promote(f.workspace.metadata, endpoint, { actor: 'ana', reason: 'ship it' });
    expect(finished.policy).toMatchObject({ strategy: 'direct', rollout: { status: 'completed' } });
    const kinds = (await f.workspace.metadata.listEndpointEvents(endpoint)).map((e) => `${e.kind}:${e.actor}`);
    expect(kinds).toEqual([
      'promote:ana',
      'rollout-awaiting-approval:keel-rollout',
      'promote:ana',
      'rollout-awaiting-approval:keel-rollout',
      'deploy:ana',
      'deploy:test',
    ]);
  });

  it('auto-until-100: steps advance on their own, the last one waits for approval', async () => {
    const endpoint = await start('until-100', V.candidate, plan({ automation: 'auto-until-100' }));
    await traffic(endpoint);
    expect((await tick(endpoint)).decision.action).toBe('advance');
    await traffic(endpoint);
    const last = await tick(endpoint);
    expect(last.decision).toMatchObject({ action: 'await-approval' });
    expect(last.decision.reason).toContain('100% needs approval');
    await promote(f.workspace.metadata, endpoint, { actor: 'ana', reason: '' });
    expect((await endpointOf(endpoint)).policy.rollout?.status).toBe('completed');
  });

  it('a step advances only after its bake time and with enough requests, however well it does', async () => {
    let now = new Date();
    const clock = new RolloutController(f.workspace.metadata, { now: () => now });
    const endpoint = await start('bake', V.candidate, plan({ bakeMs: 10 * 60_000 }));
    await traffic(endpoint);
    const baking = await tick(endpoint, clock);
    expect(baking.decision.action).toBe('wait');
    expect(baking.decision.reason).toMatch(/is baking, \d+ s left/);
    now = new Date(Date.now() + 11 * 60_000);
    expect((await tick(endpoint, clock)).decision.action).toBe('advance');

    // The next step starts its own window: no requests yet, so no verdict, even long after its bake.
    now = new Date(Date.now() + 30 * 60_000);
    const empty = await tick(endpoint, clock);
    expect(empty.decision.action).toBe('wait');
    expect(empty.report).toMatchObject({ verdict: 'insufficient-data', requests: 0 });
  });

  it('a person can roll a rollout back at any step; the state keeps the candidate and why', async () => {
    const endpoint = await start('by-hand', V.candidate, plan());
    const back = await rollback(f.workspace.metadata, endpoint, { actor: 'ana', reason: 'support tickets' });
    expect(back.policy).toMatchObject({
      strategy: 'direct',
      routes: [{ version: V.primary }],
      rollout: { status: 'rolled-back', reason: 'rolled back by ana: support tickets' },
    });
    expect(await controller.tick(endpoint)).toEqual([]);
  });

  it('of two controllers acting on the same step only one changes the endpoint', async () => {
    const endpoint = await start('race', V.needsField, plan());
    await traffic(endpoint);
    const [a, b] = await Promise.all([
      new RolloutController(f.workspace.metadata).tick(endpoint),
      new RolloutController(f.workspace.metadata).tick(endpoint),
    ]);
    const acted = [...a, ...b].filter((t) => t.changed);
    expect(acted).toHaveLength(1);
    const kinds = (await f.workspace.metadata.listEndpointEvents(endpoint)).map((e) => e.kind);
    expect(kinds).toEqual(['rollback', 'deploy', 'deploy']);
  });

  it('live accuracy from feedback rolls back a candidate that gets answers wrong', async () => {
    const endpoint = await start(
      'accuracy',
      V.candidate,
      plan({ guardrails: { accuracy: { min: 0.9, minLabels: 10 }, minRequests: 20 } }),
    );
    await traffic(endpoint);
    const canary = await f.workspace.metadata.listPredictions({ endpoint, variant: 'canary' });
    // The truth is the opposite of every answer the candidate gave.
    await f.workspace.metadata.addFeedback(
      canary.map((p) => ({
        predictionId: p.id,
        endpoint,
        label: p.output.label === 'Yes' ? 'No' : 'Yes',
        value: null,
        at: new Date().toISOString(),
      })),
    );
    const { decision, report } = await tick(endpoint);
    expect(decision.action).toBe('rollback');
    expect(report.checks).toEqual([expect.objectContaining({ name: 'accuracy', value: 0, passed: false, limit: 0.9 })]);
  });

  it('the server runs the controller on a timer: a bad candidate is rolled back without anyone asking', async () => {
    const server = await startServer(f.workspace, { port: 0, rolloutIntervalMs: 50 });
    try {
      const endpoint = await start('server', V.needsField, plan());
      for (const row of f.rows.slice(0, 120)) {
        await fetch(`${server.url}/v1/endpoints/${endpoint}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [row] }),
        });
      }
      await server.runtime.log.flush();
      const deadline = Date.now() + 10_000;
      while ((await endpointOf(endpoint)).policy.rollout?.status !== 'rolled-back' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await endpointOf(endpoint)).policy.rollout?.status).toBe('rolled-back');
      const answer = await fetch(`${server.url}/v1/endpoints/${endpoint}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [f.rows[0]] }),
      });
      expect(await answer.json()).toMatchObject({ model: churn(V.primary), variant: 'primary' });
    } finally {
      await server.close();
    }
  });
});
