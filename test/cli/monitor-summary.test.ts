import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_DEMO, startDemoServer, type DemoServer } from '../helpers/demo-server.js';
import { keel } from '../helpers/keel-cli.js';

/**
 * `keel monitor ENDPOINT` as an operator reads it, against a server that has served the churn
 * endpoint normal and shifted traffic, got feedback, and evaluated two alert rules.
 */
describe('keel monitor ENDPOINT', () => {
  let server: DemoServer;

  beforeAll(async () => {
    server = await startDemoServer(MONITORING_DEMO);
  }, 300_000);

  afterAll(async () => {
    await server?.close();
  });

  it('summarises traffic, latency, quality, alerts and drift per feature', async () => {
    const result = await keel(server.home, 'monitor', 'churn', '--since', '1h');
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(
      /^Endpoint churn since \S+\n {2}requests 41 \(\d+\.\d\/s\), predictions 340, errors 0 \(0\.0%\)/,
    );
    expect(out).toMatch(/latency {2}p50 \d+\.\d\d ms, p95 \d+\.\d\d ms, p99 \d+\.\d\d ms/);
    expect(out).toMatch(
      /quality {2}churn@1 \(primary\): accuracy \d+\.\d%, precision \(Yes\) \d+\.\d%, recall \d+\.\d%, F1 [\d.]+, ROC AUC [\d.]+ over 40 predictions with feedback/,
    );
    // Alerts, firing first.
    const alerts = out.slice(out.indexOf('Alerts:'), out.indexOf('Input drift'));
    expect(alerts.split('\n')[1]).toMatch(/^RULE\s+STATUS\s+VALUE\s+SEVERITY\s+SINCE/);
    expect(alerts.split('\n')[3]).toMatch(/^input-drift\s+FIRING\s+0\.1053\s+warning/);
    expect(alerts.split('\n')[4]).toMatch(/^slow\s+OK\s/);
    // Exactly the two shifted features drifted, and the output with them.
    const drifted = out
      .split('\n')
      .filter((line) => / DRIFTED /.test(`${line} `) && !line.startsWith('Dataset'))
      .map((line) => line.split(/\s+/)[0]);
    expect(drifted.sort()).toEqual(['Contract', 'MonthlyCharges', 'label', 'probability:Yes']);
    expect(out).toMatch(/Dataset drift: no \(10\.5% of the features drifted; drift at ≥ 50\.0%\)/);
  });
});
