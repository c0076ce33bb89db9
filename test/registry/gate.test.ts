import { describe, expect, it } from 'vitest';
import { decodePackage, evaluateGate, parseModelRef, PACKAGE_FORMAT } from '../../src/registry/index.js';

const policy = {
  thresholds: { roc_auc: { min: 0.8 }, accuracy: { min: 0.75 } },
  selectionMetric: 'roc_auc',
  minImprovement: 0.01,
};

describe('the champion/challenger gate', () => {
  it('blesses a candidate that meets every threshold when there is no champion', () => {
    const decision = evaluateGate(policy, { roc_auc: 0.84, accuracy: 0.8 }, null);
    expect(decision.passed).toBe(true);
    expect(decision.reasons).toContain('no current champion');
  });

  it('refuses a candidate below a threshold and says which', () => {
    const decision = evaluateGate(policy, { roc_auc: 0.84, accuracy: 0.7 }, null);
    expect(decision.passed).toBe(false);
    expect(decision.reasons).toContain('accuracy = 0.7 is below the minimum 0.75');
  });

  it('refuses a candidate that does not beat the champion by the minimum improvement', () => {
    const decision = evaluateGate(
      policy,
      { roc_auc: 0.845, accuracy: 0.8 },
      { version: 3, metrics: { roc_auc: 0.84 } },
    );
    expect(decision.passed).toBe(false);
    expect(decision.reasons.join('\n')).toContain('does not beat champion v3 (0.84) by 0.01');
    expect(
      evaluateGate(policy, { roc_auc: 0.86, accuracy: 0.8 }, { version: 3, metrics: { roc_auc: 0.84 } }).passed,
    ).toBe(true);
  });

  it('treats an unmeasured thresholded metric as a failure', () => {
    expect(evaluateGate(policy, { roc_auc: 0.9 }, null).passed).toBe(false);
  });
});

describe('the gate on predict latency', () => {
  const withLatency = { ...policy, maxLatencyMs: { p99: 20, p50: 5 } };
  const metrics = { roc_auc: 0.84, accuracy: 0.8 };

  it('blesses a candidate within every latency bound, and says so check by check', () => {
    const decision = evaluateGate(withLatency, metrics, null, { p50: 0.4, p95: 1.2, p99: 3.5 });
    expect(decision.passed).toBe(true);
    expect(decision.checks.filter((c) => c.kind === 'latency')).toEqual([
      { kind: 'latency', name: 'p99', value: 3.5, passed: true, reason: 'p99 latency 3.5 ms meets max 20 ms' },
      { kind: 'latency', name: 'p50', value: 0.4, passed: true, reason: 'p50 latency 0.4 ms meets max 5 ms' },
    ]);
    expect(decision.reasons).toEqual(decision.checks.map((c) => c.reason));
  });

  it('refuses a candidate that is too slow, however good its metrics', () => {
    const decision = evaluateGate(withLatency, { roc_auc: 0.99, accuracy: 0.99 }, null, {
      p50: 2,
      p95: 30,
      p99: 41.234,
    });
    expect(decision.passed).toBe(false);
    expect(decision.checks.filter((c) => !c.passed).map((c) => c.reason)).toEqual([
      'p99 latency 41.2 ms is above the maximum 20 ms',
    ]);
  });

  it('refuses when a latency bound is set but nothing was measured', () => {
    const decision = evaluateGate(withLatency, metrics, null);
    expect(decision.passed).toBe(false);
    expect(decision.reasons).toContain('p99 latency: not measured, but a maximum is set');
  });

  it('records the champion comparison as a check, for metrics where lower is better too', () => {
    const lossPolicy = { thresholds: {}, selectionMetric: 'rmse', greaterIsBetter: false, minImprovement: 0.5 };
    const worse = evaluateGate(lossPolicy, { rmse: 10 }, { version: 2, metrics: { rmse: 10.2 } });
    expect(worse.checks).toEqual([
      {
        kind: 'champion',
        name: 'rmse',
        value: 10,
        passed: false,
        reason: 'rmse = 10 does not beat champion v2 (10.2) by 0.5',
      },
    ]);
    expect(evaluateGate(lossPolicy, { rmse: 9 }, { version: 2, metrics: { rmse: 10.2 } }).passed).toBe(true);
  });
});

describe('model references', () => {
  it('parse name, name@version and name@alias', () => {
    expect(parseModelRef('churn')).toEqual({ name: 'churn', latest: true });
    expect(parseModelRef('churn@3')).toEqual({ name: 'churn', version: 3 });
    expect(parseModelRef('churn@champion')).toEqual({ name: 'churn', alias: 'champion' });
    expect(() => parseModelRef('Churn Model')).toThrow(/is not a model reference/);
  });
});

describe('model packages', () => {
  it('reject corrupted bytes, foreign JSON and other format versions with clear errors', () => {
    expect(() => decodePackage('{"format": "keel.model-package", ', 'pkg')).toThrow(/pkg is corrupted: not valid JSON/);
    expect(() => decodePackage('{"hello": 1}', 'pkg')).toThrow(/pkg is not a Keel model package/);
    expect(() =>
      decodePackage(JSON.stringify({ format: PACKAGE_FORMAT, formatVersion: 99, keelVersion: '9.0.0' }), 'pkg'),
    ).toThrow(/package format version 99 \(written by Keel 9\.0\.0\)/);
    expect(() => decodePackage(JSON.stringify({ format: PACKAGE_FORMAT, formatVersion: 1 }), 'pkg')).toThrow(
      /"signature" is missing/,
    );
  });
});
