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
