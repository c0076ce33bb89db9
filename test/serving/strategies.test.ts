import { describe, expect, it } from 'vitest';
import type { GuardrailReport, RolloutState, TrafficPolicy } from '../../src/core/index.js';
import { Rng } from '../../src/ml/index.js';
import {
  decide,
  evaluateGuardrails,
  parseDuration,
  parseSteps,
  rolloutPlan,
  routeRequest,
  strategies,
  strategyNames,
  strategyOf,
  type GuardrailWindow,
} from '../../src/serving/index.js';

const v = (version: number) => ({ model: 'churn', version });
const direct = (version: number): TrafficPolicy => strategies.direct.build(null, v(version));
const customer = (i: number) => ({ customerID: `c-${i}` });

/** Each strategy builds its policy from what an endpoint serves now, and picks the routes of a request. */
describe('deployment strategies', () => {
  it('are five modules of one shape, found by name', () => {
    expect(strategyNames).toEqual(['direct', 'canary', 'blue-green', 'shadow', 'ab']);
    for (const name of strategyNames) expect(strategyOf(name).name).toBe(name);
    expect(() => strategyOf('sideways')).toThrow(/unknown strategy "sideways"; use one of: direct, canary/);
    expect(() => strategyOf('toString')).toThrow(/unknown strategy/);
  });

  it('canary: splits by percent; without a sticky key, 20 % of 2,000 requests is 20 ± 3 %', () => {
    const policy = strategies.canary.build(direct(1), { ...v(2), percent: 20 });
    expect(policy).toEqual({
      strategy: 'canary',
      routes: [
        { model: 'churn', version: 1, percent: 80, variant: 'primary' },
        { model: 'churn', version: 2, percent: 20, variant: 'canary' },
      ],
    });
    const rng = new Rng(7);
    let canary = 0;
    for (let i = 0; i < 2000; i++)
      if (routeRequest(policy, {}, () => rng.nextFloat()).answer.variant === 'canary') canary++;
    expect(Math.abs(canary / 2000 - 0.2)).toBeLessThanOrEqual(0.03);
  });

  it('canary: a sticky key keeps each caller on one version, and a growing canary only gains callers', () => {
    const at = (percent: number) => strategies.canary.build(direct(1), { ...v(2), percent, stickyKey: 'customerID' });
    const onCanary = (policy: TrafficPolicy) =>
      new Set(
        Array.from({ length: 2000 }, (_, i) => i).filter(
          (i) => routeRequest(policy, customer(i), () => Math.random()).answer.variant === 'canary',
        ),
      );
    const five = onCanary(at(5));
    expect(onCanary(at(5))).toEqual(five); // the same callers every time, whatever the random source
    const fifty = onCanary(at(50));
    for (const i of five) expect(fifty.has(i)).toBe(true);
    expect(Math.abs(fifty.size / 2000 - 0.5)).toBeLessThanOrEqual(0.03);
  });

  it('canary and ab need a serving primary, another version and a percent strictly between 0 and 100', () => {
    for (const name of ['canary', 'ab', 'shadow', 'blue-green'] as const) {
      expect(() => strategies[name].build(null, v(2))).toThrow(
        expect.objectContaining({ details: { field: 'strategy' } }),
      );
      expect(() => strategies[name].build(direct(2), v(2))).toThrow(
        expect.objectContaining({ details: { field: 'model' } }),
      );
    }
    for (const percent of [0, 100, -5, 150, Number.NaN]) {
      expect(() => strategies.canary.build(direct(1), { ...v(2), percent })).toThrow(
        expect.objectContaining({ details: { field: 'percent' } }),
      );
    }
    expect(() => strategies.shadow.build(direct(1), { ...v(2), percent: 10 })).toThrow(
      /percent does not apply to shadow/,
    );
    expect(() => strategies.direct.build(null, { ...v(2), stickyKey: 'id' })).toThrow(/stickyKey does not apply/);
  });

  it('a new deployment builds on the version that serves now, whatever the strategy before', () => {
    const canary = strategies.canary.build(direct(1), { ...v(2), percent: 10 });
    expect(strategies.canary.build(canary, { ...v(3), percent: 30 }).routes.map((r) => r.version)).toEqual([1, 3]);
    const switched = strategies['blue-green'].build(direct(1), v(2));
    expect(strategies.shadow.build(switched, v(3)).routes.map((r) => [r.variant, r.version])).toEqual([
      ['primary', 2],
      ['shadow', 3],
    ]);
  });

  it('shadow: the primary answers every request, the shadow gets a copy of each', () => {
    const policy = strategies.shadow.build(direct(1), v(2));
    for (let i = 0; i < 50; i++) {
      const { answer, mirrors } = routeRequest(policy, customer(i));
      expect(answer).toMatchObject({ version: 1, variant: 'primary' });
      expect(mirrors).toEqual([{ model: 'churn', version: 2, percent: 0, variant: 'shadow' }]);
    }
    expect(strategies.shadow.promote(policy, 'e')).toEqual(direct(2));
    expect(strategies.shadow.rollback(policy, 'e', [])).toEqual(direct(1));
  });

  it('blue-green: switch, switch back, and the next deployment goes to the standby colour', () => {
    const bg = strategies['blue-green'];
    const green = bg.build(direct(1), v(2));
    expect(routeRequest(green, {}).answer).toMatchObject({ version: 2, variant: 'green' });
    const blue = bg.rollback(green, 'e', []);
    expect(routeRequest(blue, {}).answer).toMatchObject({ version: 1, variant: 'blue' });
    expect(bg.candidate(blue)).toMatchObject({ version: 2, variant: 'green', percent: 0 });
    const next = bg.build(blue, v(3));
    expect(next.routes.map((r) => [r.variant, r.version, r.percent])).toEqual([
      ['green', 3, 100],
      ['blue', 1, 0],
    ]);
    expect(() => bg.promote(next, 'e')).toThrow(/nothing to promote/);
  });

  it('direct: rolls back to the version it served before, found in its history', () => {
    expect(
      strategies.direct.rollback(
        direct(3),
        'e',
        [v(3), v(3), v(2)].map((r) => ({ ...r, percent: 100, variant: 'primary' })),
      ),
    ).toEqual(direct(2));
    expect(() => strategies.direct.rollback(direct(3), 'e', [])).toThrow(/has only ever served churn@3/);
  });
});

describe('rollout plans', () => {
  it('fill what they leave out and check what they say, naming the field', () => {
    expect(rolloutPlan({})).toEqual({
      steps: [1, 5, 25, 50, 100],
      bakeMs: 600_000,
      automation: 'manual',
      guardrails: { errorRate: { max: 0.05 }, minRequests: 100 },
    });
    expect(
      rolloutPlan({
        steps: [10, 100],
        bake: '30s',
        automation: 'auto',
        guardrails: { p99Ms: { max: 20 }, minRequests: 5 },
      }),
    ).toEqual({
      steps: [10, 100],
      bakeMs: 30_000,
      automation: 'auto',
      guardrails: { errorRate: { max: 0.05 }, p99Ms: { max: 20 }, minRequests: 5 },
    });
    const field = (input: Parameters<typeof rolloutPlan>[0]) => {
      try {
        rolloutPlan(input);
        return null;
      } catch (error) {
        return (error as { details: { field: string } }).details.field;
      }
    };
    expect(field({ steps: [5, 1, 100] })).toBe('rollout.steps[1]');
    expect(field({ steps: [5, 50] })).toBe('rollout.steps');
    expect(field({ steps: [0, 100] })).toBe('rollout.steps[0]');
    expect(field({ bake: '10 minutes' })).toBe('rollout.bake');
    expect(field({ automation: 'sometimes' })).toBe('rollout.automation');
    expect(field({ guardrails: { errorRate: { max: 2 } } })).toBe('rollout.guardrails.errorRate.max');
    expect(field({ guardrails: { minRequests: 0 } })).toBe('rollout.guardrails.minRequests');
    expect(field({ guardrails: { erorRate: { max: 0.1 } } as never })).toBe('rollout.guardrails.erorRate');
  });

  it('parse durations and step lists as the CLI takes them', () => {
    expect([
      parseDuration('250ms', 'x'),
      parseDuration('30s', 'x'),
      parseDuration('10m', 'x'),
      parseDuration('1h', 'x'),
    ]).toEqual([250, 30_000, 600_000, 3_600_000]);
    expect(parseSteps('1, 5,25,50,100', '--rollout')).toEqual([1, 5, 25, 50, 100]);
    expect(() => parseSteps('1,,100', '--rollout')).toThrow(/--rollout "1,,100" is not a list of percents/);
  });
});

describe('the rollout state machine', () => {
  const started = '2026-01-01T00:00:00.000Z';
  const state = (overrides: Partial<RolloutState> = {}): RolloutState => ({
    plan: rolloutPlan({ steps: [5, 50, 100], bake: '10m', automation: 'auto', guardrails: { minRequests: 10 } }),
    step: 0,
    stepStartedAt: started,
    status: 'baking',
    candidate: v(2),
    ...overrides,
  });
  const report = (verdict: GuardrailReport['verdict'], requests = 50): GuardrailReport => ({
    since: started,
    until: started,
    requests,
    verdict,
    checks:
      verdict === 'breach'
        ? [{ name: 'errorRate', value: 0.5, limit: 0.05, passed: false, reason: 'error rate 0.5 > max 0.05' }]
        : [],
  });
  const minutes = (m: number) => new Date(Date.parse(started) + m * 60_000);

  it('rolls back on a broken guardrail at once, during the bake and while waiting for approval', () => {
    expect(decide(state(), report('breach'), minutes(1))).toEqual({
      action: 'rollback',
      reason: 'guardrail broken at step 1/3 (5%): error rate 0.5 > max 0.05',
    });
    expect(decide(state({ status: 'awaiting-approval' }), report('breach'), minutes(1)).action).toBe('rollback');
  });

  it('advances after the bake with enough requests; asks for approval as the automation level says', () => {
    expect(decide(state(), report('pass'), minutes(5))).toMatchObject({
      action: 'wait',
      reason: expect.stringMatching(/baking, 300 s left/),
    });
    expect(decide(state(), report('insufficient-data', 3), minutes(11))).toMatchObject({
      action: 'wait',
      reason: expect.stringMatching(/3 of 10/),
    });
    expect(decide(state(), report('pass'), minutes(11)).action).toBe('advance');
    const manual = state({ plan: { ...state().plan, automation: 'manual' } });
    expect(decide(manual, report('pass'), minutes(11)).action).toBe('await-approval');
    const untilLast = { ...state().plan, automation: 'auto-until-100' as const };
    expect(decide(state({ plan: untilLast }), report('pass'), minutes(11)).action).toBe('advance');
    expect(decide(state({ plan: untilLast, step: 1 }), report('pass'), minutes(11)).action).toBe('await-approval');
    expect(decide(state({ status: 'awaiting-approval' }), report('pass'), minutes(60)).action).toBe('wait');
  });
});

describe('guardrails', () => {
  const window = (overrides: Partial<GuardrailWindow>): GuardrailWindow => ({
    since: 'a',
    until: 'b',
    requests: [],
    candidatePredictions: [],
    primaryPredictions: [],
    labeled: [],
    ...overrides,
  });
  const requests = (n: number, failing: number, latencyMs = 2) =>
    Array.from({ length: n }, (_, i) => ({
      endpoint: 'e',
      status: i < failing ? 500 : 200,
      rows: 1,
      latencyMs,
      errorCode: null,
      at: 'x',
    }));
  const scores = (n: number, shift: number, seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => {
      const p = Math.min(1, Math.max(0, rng.nextFloat() * 0.5 + shift));
      return { output: { label: p > 0.5 ? 'Yes' : 'No', probabilities: { No: 1 - p, Yes: p } } };
    });
  };

  it('give no verdict before minRequests, then pass or break on error rate and p99', () => {
    const guardrails = { errorRate: { max: 0.05 }, p99Ms: { max: 50 }, minRequests: 100 };
    expect(evaluateGuardrails(guardrails, window({ requests: requests(99, 50) })).verdict).toBe('insufficient-data');
    expect(evaluateGuardrails(guardrails, window({ requests: requests(100, 3) })).verdict).toBe('pass');
    const broken = evaluateGuardrails(guardrails, window({ requests: requests(100, 6, 80) }));
    expect(broken.verdict).toBe('breach');
    expect(broken.checks.map((c) => [c.name, c.passed, c.reason])).toEqual([
      ['errorRate', false, 'error rate 0.06 (6 of 100) > max 0.05'],
      ['p99Ms', false, 'p99 latency 80 ms > max 50 ms over 100 requests'],
    ]);
  });

  it("compare the candidate's prediction distribution with the primary's (PSI)", () => {
    const guardrails = { predictionDrift: { max: 0.2 }, minRequests: 1 };
    const same = evaluateGuardrails(
      guardrails,
      window({
        requests: requests(1, 0),
        primaryPredictions: scores(2000, 0.1, 1),
        candidatePredictions: scores(2000, 0.1, 2),
      }),
    );
    expect(same.checks[0].value).toBeLessThan(0.05);
    expect(same.verdict).toBe('pass');
    const shifted = evaluateGuardrails(
      guardrails,
      window({
        requests: requests(1, 0),
        primaryPredictions: scores(2000, 0.1, 1),
        candidatePredictions: scores(2000, 0.4, 2),
      }),
    );
    expect(shifted.checks[0].value).toBeGreaterThan(0.2);
    expect(shifted.verdict).toBe('breach');
  });
});
