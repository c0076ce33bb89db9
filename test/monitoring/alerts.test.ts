import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, packageRoot, parseProject, type AlertEvent, type KeelEvents } from '../../src/core/index.js';
import {
  AlertEvaluator,
  MetricSourceRegistry,
  MetricsRecorder,
  nextStatus,
  parseAlertRules,
  postWebhook,
  type AlertRule,
} from '../../src/monitoring/index.js';
import { directPolicy } from '../../src/serving/index.js';
import { openMetadataStore, type MetadataStore } from '../../src/store/index.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const churnYaml = readFileSync(join(packageRoot, 'examples', 'churn', 'keel.yaml'), 'utf8');
/** The churn project file with `alerts` (YAML lines indented for the monitoring block) added. */
const withAlerts = (alerts: string) => churnYaml.replace(/^monitoring:\n/m, `monitoring:\n  alerts:\n${alerts}`);
const MIN = 60_000;
const route = { model: 'churn', version: 1, variant: 'primary' };

/** A real HTTP receiver on a free port: records every POST; `failures` answers the first N with 503. */
async function webhookReceiver(
  failures = 0,
): Promise<{ url: string; received: unknown[]; hits: number; close(): Promise<void> }> {
  const state = { received: [] as unknown[], hits: 0 };
  let toFail = failures;
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      state.hits++;
      if (toFail > 0) {
        toFail--;
        response.writeHead(503).end();
        return;
      }
      expect(request.headers['content-type']).toBe('application/json');
      state.received.push(JSON.parse(body));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get received() {
      return state.received;
    },
    get hits() {
      return state.hits;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('alert rules', () => {
  it('read from the project file, with defaults', () => {
    const config = parseProject(
      withAlerts(`    - name: high-errors
      endpoint: churn
      metric: error_rate
      condition: { op: '>', value: 0.05 }
      window: 5m
      for: 1m
      severity: critical
      webhooks: [http://127.0.0.1:9/hook]
    - name: slow
      metric: latency_p99_ms
      condition: { op: '>=', value: 250 }
`),
    );
    expect(parseAlertRules(config.monitoring?.alerts)).toEqual([
      {
        name: 'high-errors',
        endpoint: 'churn',
        metric: 'error_rate',
        condition: { op: '>', value: 0.05 },
        window: '5m',
        windowMs: 300_000,
        for: '1m',
        forMs: 60_000,
        severity: 'critical',
        webhooks: ['http://127.0.0.1:9/hook'],
      },
      expect.objectContaining({
        name: 'slow',
        endpoint: null,
        window: '5m',
        forMs: 0,
        severity: 'warning',
        webhooks: [],
      }),
    ]);
  });

  it('name the key path of what is wrong, in the project file and in code', () => {
    const bad = (alert: string) => () => parseProject(withAlerts(`    - ${alert}\n`));
    expect(bad(`{ name: a, metric: error_rate, condition: { op: '!=', value: 1 } }`)).toThrow(
      /monitoring\.alerts\[0\]\.condition\.op/,
    );
    expect(bad(`{ name: a, metric: error_rate, condition: { op: '>', value: 1 }, window: soon }`)).toThrow(
      /monitoring\.alerts\[0\]\.window/,
    );
    expect(bad(`{ name: a, metric: error_rate, condition: { op: '>', value: 1 }, severity: loud }`)).toThrow(
      /monitoring\.alerts\[0\]\.severity/,
    );
    expect(bad(`{ name: a, metric: error_rate, condition: { op: '>', value: 1 }, webhooks: [ftp://x] }`)).toThrow(
      /monitoring\.alerts\[0\]\.webhooks\[0\]/,
    );
    expect(bad(`{ name: a, metric: error_rate }`)).toThrow(/monitoring\.alerts\[0\]\.condition/);
    const rule = { name: 'a', metric: 'error_rate', condition: { op: '>', value: 1 } };
    expect(() => parseAlertRules([rule, rule])).toThrow(/monitoring\.alerts\[1\]\.name: another rule/);
    expect(() => parseAlertRules([{ ...rule, for: '1 minute' }])).toThrow(/monitoring\.alerts\[0\]\.for/);
    expect(() => parseAlertRules([{ ...rule, colour: 'red' }])).toThrow(/monitoring\.alerts\[0\]\.colour: unknown key/);
  });

  it('move ok → pending → firing → resolved → ok, skipping pending without a for-duration', () => {
    expect(nextStatus('ok', 0, true, 60_000, 0)).toBe('pending');
    expect(nextStatus('pending', 0, true, 60_000, 59_999)).toBe('pending');
    expect(nextStatus('pending', 0, true, 60_000, 60_000)).toBe('firing');
    expect(nextStatus('pending', 0, false, 60_000, 1)).toBe('ok');
    expect(nextStatus('firing', 0, true, 60_000, 1)).toBe('firing');
    expect(nextStatus('firing', 0, false, 60_000, 1)).toBe('resolved');
    expect(nextStatus('resolved', 0, false, 60_000, 1)).toBe('ok');
    expect(nextStatus('resolved', 0, true, 60_000, 1)).toBe('pending');
    expect(nextStatus('ok', 0, true, 0, 0)).toBe('firing');
  });
});

describe('webhooks', () => {
  it('retry a failing receiver with backoff, and report a dead one without throwing', async () => {
    const receiver = await webhookReceiver(2);
    try {
      const outcome = await postWebhook(receiver.url, { hello: 1 }, { backoffMs: 10 });
      expect(outcome).toMatchObject({ ok: true, attempts: 3, status: 204 });
      expect(receiver.received).toEqual([{ hello: 1 }]);
    } finally {
      await receiver.close();
    }
    const dead = await postWebhook('http://127.0.0.1:9/nothing', {}, { retries: 1, backoffMs: 10, timeoutMs: 500 });
    expect(dead).toMatchObject({ ok: false, attempts: 2 });
    expect(dead.error).toBeTruthy();
  });
});

describe('AlertEvaluator on a real store', () => {
  let dir: string;
  let store: MetadataStore;
  let now = T0;
  let recorder: MetricsRecorder;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-alerts-'));
    store = await openMetadataStore(`sqlite://${join(dir, 'keel.db')}`);
    recorder = new MetricsRecorder({ store, processId: 'server-1', now: () => now, retentionMs: false });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const traffic = (endpoint: string, ok: number, failed: number) => {
    for (let i = 0; i < ok; i++)
      recorder.observeRequest({ endpoint, ...route, status: 200, rows: 1, latencyMs: 2, errorCode: null });
    for (let i = 0; i < failed; i++)
      recorder.observeRequest({ endpoint, ...route, status: 500, rows: 1, latencyMs: 2, errorCode: 'internal' });
  };

  it('fires after the for-duration, resolves, notifies the webhook, the log and the event bus, and keeps the history', async () => {
    const receiver = await webhookReceiver();
    const bus = new EventBus<KeelEvents>();
    const seen: AlertEvent[] = [];
    bus.on('alert', (event) => void seen.push(event));
    const lines: string[] = [];
    const [rule] = parseAlertRules([
      {
        name: 'high-errors',
        endpoint: 'churn',
        metric: 'error_rate',
        condition: { op: '>', value: 0.1 },
        window: '5m',
        for: '1m',
        severity: 'critical',
        webhooks: [receiver.url],
      },
    ]);
    const evaluator = new AlertEvaluator({
      store,
      rules: [rule],
      bus,
      actor: 'server-1',
      log: (l) => lines.push(l),
      beforeEvaluate: () => recorder.flush(),
    });
    try {
      now = T0;
      traffic('churn', 90, 10); // 10 %: not above
      expect((await evaluator.evaluateAlerts(now))[0]).toMatchObject({ status: 'ok', value: 0.1 });
      now = T0 + MIN;
      traffic('churn', 0, 50); // 60 of 150
      expect((await evaluator.evaluateAlerts(now))[0]).toMatchObject({ status: 'pending', value: 0.4 });
      now = T0 + MIN + 30_000;
      expect((await evaluator.evaluateAlerts(now))[0].status).toBe('pending');
      now = T0 + 2 * MIN + 1;
      const fired = (await evaluator.evaluateAlerts(now))[0];
      expect(fired.status).toBe('firing');
      expect(fired.transition).toMatchObject({
        from: 'pending',
        to: 'firing',
        severity: 'critical',
        endpoint: 'churn',
        metric: 'error_rate',
        actor: 'server-1',
      });
      // The errors leave the five-minute window: resolved, then ok.
      now = T0 + 10 * MIN;
      traffic('churn', 100, 0);
      expect((await evaluator.evaluateAlerts(now))[0]).toMatchObject({ status: 'resolved', value: 0 });
      now = T0 + 10 * MIN + 15_000;
      expect((await evaluator.evaluateAlerts(now))[0].status).toBe('ok');
      await evaluator.settled();

      const path = ['ok→pending', 'pending→firing', 'firing→resolved', 'resolved→ok'];
      expect(seen.map((e) => `${e.from}→${e.to}`)).toEqual(path);
      expect((receiver.received as AlertEvent[]).map((e) => `${e.from}→${e.to}`).sort()).toEqual([...path].sort());
      expect(receiver.received[1]).toMatchObject({
        rule: 'high-errors',
        condition: { op: '>', value: 0.1 },
        window: '5m',
      });
      expect(lines.filter((l) => l.includes('alert "high-errors"'))).toHaveLength(4);
      const history = await store.listAlertTransitions({ endpoint: 'churn', rule: 'high-errors' });
      expect(history.map((t) => `${t.from}→${t.to}`)).toEqual([...path].reverse());
      expect(history.every((t) => t.actor === 'server-1')).toBe(true);
      expect(await store.getAlertState('high-errors', 'churn')).toMatchObject({ status: 'ok', severity: 'critical' });
    } finally {
      await evaluator.stop();
      await receiver.close();
    }
  });

  it('survives a restart: a new evaluator continues from the stored state', async () => {
    const [rule] = parseAlertRules([
      {
        name: 'busy',
        endpoint: 'restart',
        metric: 'requests',
        condition: { op: '>=', value: 10 },
        window: '1m',
        for: '30s',
      },
    ]);
    now = T0 + 100 * MIN;
    traffic('restart', 20, 0);
    const first = new AlertEvaluator({ store, rules: [rule], log: () => {}, beforeEvaluate: () => recorder.flush() });
    expect((await first.evaluateAlerts(now))[0].status).toBe('pending');
    await first.stop();
    const second = new AlertEvaluator({ store, rules: [rule], log: () => {}, beforeEvaluate: () => recorder.flush() });
    now += 31_000;
    expect((await second.evaluateAlerts(now))[0]).toMatchObject({ status: 'firing', transition: { from: 'pending' } });
  });

  it('lets exactly one of several processes make each transition (compare-and-set)', async () => {
    const receiver = await webhookReceiver();
    try {
      const [rule] = parseAlertRules([
        {
          name: 'any-error',
          endpoint: 'race',
          metric: 'errors',
          condition: { op: '>', value: 0 },
          webhooks: [receiver.url],
        },
      ]);
      now = T0 + 200 * MIN;
      traffic('race', 1, 1);
      await recorder.flush();
      const fired: AlertEvent[] = [];
      const bus = new EventBus<KeelEvents>();
      bus.on('alert', (e) => void fired.push(e));
      // Four evaluators interleave on the store: all read "no state yet", one insert wins.
      const evaluators = [store, store, store, store].map(
        (s, i) => new AlertEvaluator({ store: s, rules: [rule], bus, actor: `process-${i}`, log: () => {} }),
      );
      // Both read "no state yet"; only one insert wins.
      const results = await Promise.all(evaluators.map((e) => e.evaluateAlerts(now)));
      await Promise.all(evaluators.map((e) => e.settled()));
      expect(results.flat().every((r) => r.status === 'firing')).toBe(true);
      expect(fired).toHaveLength(1);
      expect(receiver.received).toHaveLength(1);
      expect(await store.listAlertTransitions({ endpoint: 'race' })).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('evaluates a rule without endpoint on every endpoint, and reads metrics registered by other modules', async () => {
    for (const name of ['alpha', 'beta']) {
      await store.putEndpoint(name, directPolicy(route), { kind: 'deploy', actor: 'test', reason: '' });
    }
    const sources = new MetricSourceRegistry();
    const asked: string[] = [];
    sources.register('drift:*', (endpoint, start, end, metric) => {
      asked.push(`${endpoint} ${metric} ${end.getTime() - start.getTime()}`);
      return endpoint === 'beta' ? 0.4 : 0.01;
    });
    const rules: AlertRule[] = parseAlertRules([
      { name: 'charges-drift', metric: 'drift:MonthlyCharges', condition: { op: '>', value: 0.2 }, window: '10m' },
      { name: 'typo', endpoint: 'alpha', metric: 'eror_rate', condition: { op: '>', value: 0 } },
    ]);
    const lines: string[] = [];
    const evaluator = new AlertEvaluator({ store, rules, sources, log: (l) => lines.push(l) });
    const results = await evaluator.evaluateAlerts(T0 + 300 * MIN);
    const drift = results.filter((r) => r.rule === 'charges-drift');
    expect(drift.find((r) => r.endpoint === 'alpha')).toMatchObject({ status: 'ok', value: 0.01 });
    expect(drift.find((r) => r.endpoint === 'beta')).toMatchObject({ status: 'firing', value: 0.4 });
    expect(asked).toContain('beta drift:MonthlyCharges 600000');
    expect(results.find((r) => r.rule === 'typo')?.error).toMatch(
      /no metric "eror_rate" \(known: .*error_rate.*drift:\*/,
    );
    expect(lines.some((l) => l.includes('eror_rate'))).toBe(true);
  });

  it('logs a failing webhook and carries on', async () => {
    const [rule] = parseAlertRules([
      {
        name: 'dead-hook',
        endpoint: 'hooked',
        metric: 'requests',
        condition: { op: '>=', value: 0 },
        webhooks: ['http://127.0.0.1:9/down'],
      },
    ]);
    const lines: string[] = [];
    const evaluator = new AlertEvaluator({
      store,
      rules: [rule],
      log: (l) => lines.push(l),
      webhook: { retries: 1, backoffMs: 5, timeoutMs: 500 },
    });
    expect((await evaluator.evaluateAlerts(T0 + 400 * MIN))[0].status).toBe('firing');
    await evaluator.stop();
    expect(lines.some((l) => /webhook http:\/\/127\.0\.0\.1:9\/down failed after 2 attempt/.test(l))).toBe(true);
  });
});
