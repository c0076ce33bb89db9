import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, EndpointEvent, RequestRecord } from '../../src/core/index.js';
import { openMetadataStore } from '../../src/store/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { keelBinary, runKeel, type KeelResult } from '../helpers/keel-cli.js';

/** The churn project copied with `edit` applied to its keel.yaml. */
function churnVariant(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-deploy-project-'));
  cpSync(churnProjectDir, dir, { recursive: true });
  writeFileSync(join(dir, 'keel.yaml'), edit(readFileSync(join(dir, 'keel.yaml'), 'utf8')));
  return dir;
}

describe('keel deploy and keel endpoints, after two runs of examples/churn', () => {
  let home: string;
  const projects: string[] = [];
  const keel = (...args: string[]): Promise<KeelResult> => runKeel({ home, env: { KEEL_ACTOR: 'ana' } }, ...args);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await keel(...args, '--json');
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const show = (endpoint: string) =>
    json<{ endpoint: Endpoint; events: EndpointEvent[] }>('endpoints', 'show', endpoint);
  const versionsOf = async (endpoint: string) =>
    (await show(endpoint)).endpoint.policy.routes.map((r) => `${r.variant} v${r.version} ${r.percent}%`);
  /** One line on stderr naming the reason, exit code 1. */
  const expectOneLineFailure = (result: KeelResult, message: RegExp) => {
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  };
  /** Requests of the canary as the server's request log holds them (this process plays the traffic). */
  const logCanaryRequests = async (endpoint: string, version: number, ok: number, failed: number) => {
    const store = await openMetadataStore(`sqlite://${join(home, 'keel.db')}`);
    try {
      const at = new Date().toISOString();
      const request = (status: number): RequestRecord => ({
        endpoint,
        status,
        rows: 1,
        latencyMs: 3,
        errorCode: status >= 400 ? String(status) : null,
        at,
        model: 'churn',
        version,
        variant: 'canary',
      });
      await store.appendRequests([...Array(ok).fill(200), ...Array(failed).fill(500)].map(request));
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-deploy-'));
    expect((await keel('run', churnProjectDir)).code).toBe(0);
    // A second version, a tree, that the strict recall threshold keeps from the gate.
    const strict = churnVariant((y) =>
      y.replace('maxDepth: 6', 'maxDepth: 5').replace('recall: { min: 0.45 }', 'recall: { min: 0.95 }'),
    );
    projects.push(strict);
    expect((await keel('run', strict)).code).toBe(0);
  });
  afterAll(() => {
    for (const dir of [home, ...projects]) rmSync(dir, { recursive: true, force: true });
  });

  it('has help for deploy and every endpoints command', async () => {
    const deploy = await keel('deploy', '--help');
    expect(deploy.stdout).toMatch(/^Usage: keel deploy \[options\] <model>/);
    for (const flag of ['--strategy', '--percent', '--sticky-key', '--rollout', '--bake', '--automation', '--reason']) {
      expect(deploy.stdout).toContain(flag);
    }
    for (const command of ['list', 'show', 'promote', 'rollback', 'tick']) {
      const help = await keel('endpoints', command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: keel endpoints ${command} `));
    }
  });

  it('blue-green switches with one command and rolls back with one command', async () => {
    expect((await keel('deploy', 'churn@1', '--endpoint', 'bg')).code).toBe(0);
    const switched = await keel('deploy', 'churn@2', '--endpoint', 'bg', '--strategy', 'blue-green');
    expect(switched.stdout).toBe('Deployed churn@2 to bg: blue-green: churn@2 100% (green), churn@1 0% (blue)\n');
    expect(await versionsOf('bg')).toEqual(['green v2 100%', 'blue v1 0%']);

    const back = await keel('endpoints', 'rollback', 'bg', '--reason', 'tickets from support');
    expect(back.stdout).toBe('bg: tickets from support\n  now blue-green: churn@1 100% (blue), churn@2 0% (green)\n');
    expect(await versionsOf('bg')).toEqual(['blue v1 100%', 'green v2 0%']);
    const { events } = await show('bg');
    expect(events.map((e) => [e.kind, e.actor, e.reason])).toEqual([
      ['rollback', 'ana', 'tickets from support'],
      ['deploy', 'ana', 'deployed blue-green: churn@2 100% (green), churn@1 0% (blue)'],
      ['deploy', 'ana', 'deployed direct: churn@1 100% (primary)'],
    ]);
  });

  it('deploys a sticky canary, lists and shows it, and promotes it', async () => {
    await keel('deploy', 'churn@1', '--endpoint', 'canary');
    const deployed = await keel(
      'deploy',
      'churn@2',
      '--endpoint',
      'canary',
      '--strategy',
      'canary',
      '--percent',
      '20',
      '--sticky-key',
      'customerID',
      '--reason',
      'try the tree on 20%',
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    const list = await keel('endpoints', 'list');
    expect(list.stdout).toMatch(/^canary +canary +primary churn@1 80%, canary churn@2 20% +– /m);
    const text = (await keel('endpoints', 'show', 'canary')).stdout;
    expect(text).toMatch(/^Endpoint canary {2}canary {2}\(revision 2, updated .+\)$/m);
    expect(text).toMatch(/^canary +churn@2 +20% +answers$/m);
    expect(text).toContain('Sticky by customerID: one key always reaches the same variant.');
    expect(text).toMatch(/ ana +deploy +try the tree on 20%$/m);
    expect((await json<{ endpoints: Endpoint[] }>('endpoints', 'list')).endpoints.map((e) => e.name)).toEqual(
      expect.arrayContaining(['canary', 'churn']),
    );

    const promoted = await json<{ endpoint: Endpoint; event: EndpointEvent }>('endpoints', 'promote', 'canary');
    expect(promoted.endpoint.policy.routes).toEqual([{ model: 'churn', version: 2, percent: 100, variant: 'primary' }]);
    expect(promoted.event).toMatchObject({ kind: 'promote', actor: 'ana', reason: 'promoted churn@2 to all traffic' });
  });

  it('refuses bad deployments with one line naming what is wrong, and changes nothing', async () => {
    await keel('deploy', 'churn@1', '--endpoint', 'refusals');
    expectOneLineFailure(await keel('deploy', 'churn@9', '--endpoint', 'refusals'), /has no version 9/);
    expectOneLineFailure(
      await keel('deploy', 'churn@2', '--endpoint', 'refusals', '--strategy', 'canary', '--percent', '120'),
      /percent must be a number between 0 and 100/,
    );
    expectOneLineFailure(
      await keel('deploy', 'churn@1', '--endpoint', 'refusals', '--strategy', 'canary'),
      /canary needs a candidate other than churn@1/,
    );
    expectOneLineFailure(
      await keel('deploy', 'churn@2', '--endpoint', 'brand-new', '--strategy', 'shadow'),
      /shadow needs a version already serving on the endpoint/,
    );
    expectOneLineFailure(
      await keel('deploy', 'churn@2', '--endpoint', 'refusals', '--strategy', 'sideways'),
      /unknown strategy "sideways"/,
    );
    expectOneLineFailure(
      await keel('deploy', 'churn@2', '--endpoint', 'refusals', '--strategy', 'shadow', '--rollout', '5,100'),
      /ramp a canary; not shadow/,
    );
    expectOneLineFailure(await keel('endpoints', 'promote', 'refusals'), /nothing to promote/);
    expectOneLineFailure(await keel('endpoints', 'show', 'nope'), /no endpoint named "nope"/);
    const badSteps = await keel('deploy', 'churn@2', '--endpoint', 'refusals', '--rollout', '50,5,100');
    expect(badSteps.code).toBe(2);
    expect(badSteps.stderr).toContain('--rollout must ascend: 50 is followed by 5');
    const badBake = await keel('deploy', 'churn@2', '--endpoint', 'refusals', '--rollout', '5,100', '--bake', 'soon');
    expect(badBake.stderr).toContain('--bake "soon" is not a duration such as 30s, 10m or 1h');
    expect((await show('refusals')).events).toHaveLength(1);
  });

  it('a manual rollout waits for `promote` at each step; `tick` runs the controller once', async () => {
    await keel('deploy', 'churn@1', '--endpoint', 'manual');
    const started = await keel(
      'deploy',
      'churn@2',
      '--endpoint',
      'manual',
      '--rollout',
      '10,100',
      '--bake',
      '0s',
      '--min-requests',
      '20',
    );
    expect(started.stdout).toContain('Rollout 10 → 100 %: step 1 at 10%, bake 0s, automation manual');
    expect(started.stdout).toContain('guardrails: error rate ≤ 0.05, verdict after 20 requests');

    const early = await keel('endpoints', 'tick', 'manual');
    expect(early.stdout).toMatch(/^manual: waits — step 1\/2 \(10%\) has baked but has 0 of 20 candidate requests/);
    await logCanaryRequests('manual', 2, 30, 0);
    const passed = await keel('endpoints', 'tick', 'manual');
    expect(passed.stdout).toMatch(
      /^manual: awaits approval — step 1\/2 \(10%\) passed its guardrails over 30 requests/,
    );
    expect(passed.stdout).toContain('✓ error rate 0 (0 of 30) ≤ max 0.05');
    expect((await show('manual')).endpoint.policy.rollout?.status).toBe('awaiting-approval');

    const approved = await keel('endpoints', 'promote', 'manual');
    expect(approved.stdout).toBe('manual: approved step 2/2: churn@2 to 100%\n  now direct: churn@2 100% (primary)\n');
    expect((await show('manual')).endpoint.policy.rollout?.status).toBe('completed');
    expect((await keel('endpoints', 'tick', 'manual')).stdout).toBe('manual: no rollout running\n');
  });

  it('an automatic rollout whose candidate fails is rolled back by `tick`, and `show` says why', async () => {
    await keel('deploy', 'churn@1', '--endpoint', 'auto');
    await keel(
      'deploy',
      'churn@2',
      '--endpoint',
      'auto',
      '--rollout',
      '5,50,100',
      '--bake',
      '0s',
      '--automation',
      'auto',
      '--min-requests',
      '20',
    );
    await logCanaryRequests('auto', 2, 15, 10);
    const ticked = await json<{ ticks: Array<{ decision: { action: string; reason: string } }> }>(
      'endpoints',
      'tick',
      'auto',
    );
    expect(ticked.ticks[0].decision).toEqual({
      action: 'rollback',
      reason: 'guardrail broken at step 1/3 (5%): error rate 0.4 (10 of 25) > max 0.05',
    });
    expect(await versionsOf('auto')).toEqual(['primary v1 100%']);
    const text = (await keel('endpoints', 'show', 'auto')).stdout;
    expect(text).toContain('Rollout of churn@2: rolled-back');
    expect(text).toMatch(/keel-rollout \(ana\) +rollback +guardrail broken at step 1\/3 \(5%\): error rate 0\.4/);
  });

  it("reads the rollout plan from the project file's serving.rollout, also in the pipeline's deploy step", async () => {
    const project = churnVariant((y) =>
      y
        .replace(
          '  throughputRps: 200\n',
          '  throughputRps: 200\n  rollout:\n    steps: [2, 20, 100]\n    bake: 15m\n    automation: auto-until-100\n    guardrails: { predictionDrift: { max: 0.3 }, minRequests: 50 }\n',
        )
        // A tree that may take the champion's place: it only has to be as good.
        .replace(/ {4}- algorithm: logistic_regression\n {6}params: \{[^}]*\}\n/, '')
        .replace('maxDepth: 6', 'maxDepth: 7')
        .replace('minImprovement: 0.0', 'minImprovement: -1.0'),
    );
    projects.push(project);
    const expectedPlan = {
      steps: [2, 20, 100],
      bakeMs: 900_000,
      automation: 'auto-until-100',
      // The project's own budgets are the default guardrails: monitoring.errorRate and serving.latencyBudgetMs.
      guardrails: { errorRate: { max: 0.01 }, p99Ms: { max: 50 }, predictionDrift: { max: 0.3 }, minRequests: 50 },
    };

    await keel('deploy', 'churn@1', '--endpoint', 'planned');
    const planned = await json<{ endpoint: Endpoint }>(
      'deploy',
      'churn@2',
      '--endpoint',
      'planned',
      '--strategy',
      'canary',
      '--project',
      project,
    );
    expect(planned.endpoint.policy.rollout?.plan).toEqual(expectedPlan);
    // Flags override single settings of the project's plan.
    const overridden = await json<{ endpoint: Endpoint }>(
      'deploy',
      'churn@2',
      '--endpoint',
      'planned',
      '--strategy',
      'canary',
      '--project',
      project,
      '--bake',
      '1m',
    );
    expect(overridden.endpoint.policy.rollout?.plan).toEqual({ ...expectedPlan, bakeMs: 60_000 });

    // keel run: the new champion starts a rollout on the project's endpoint instead of taking all traffic.
    const run = await keel('run', project);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/deploy .* endpoint churn: rollout of churn@3 started/);
    const churn = (await show('churn')).endpoint.policy;
    expect(churn.routes.map((r) => `${r.variant} v${r.version} ${r.percent}%`)).toEqual([
      'primary v1 98%',
      'canary v3 2%',
    ]);
    expect(churn.rollout?.plan).toEqual(expectedPlan);
  });
});
