import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelError, keelVersion } from '../../src/core/index.js';
import {
  decodePackage,
  encodePackage,
  measurePredictLatency,
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  type ModelPackage,
} from '../../src/registry/index.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { tinyPackage, tinyRow } from './helpers.js';

/** Decodes `json`, expecting a KeelError of `code` whose message matches and which names `field`. */
function refused(json: string, code: string, message: RegExp, field?: string): void {
  let error: unknown;
  try {
    decodePackage(json, 'pkg');
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(KeelError);
  expect((error as KeelError).code).toBe(code);
  expect((error as KeelError).message).toMatch(message);
  if (field) expect((error as KeelError).details.field).toBe(field);
}

describe('model package format', () => {
  let pkg: ModelPackage;
  const edited = (change: (p: Record<string, unknown>) => void): string => {
    const copy = JSON.parse(encodePackage(pkg)) as Record<string, unknown>;
    change(copy);
    return JSON.stringify(copy);
  };
  beforeAll(async () => {
    pkg = await tinyPackage();
  });

  it('writes a manifest: format, format version, Keel version, signature with classes, metrics, reference and lineage', () => {
    expect(pkg).toMatchObject({
      format: PACKAGE_FORMAT,
      formatVersion: PACKAGE_FORMAT_VERSION,
      keelVersion,
      algorithm: 'logistic_regression',
      signature: { task: 'binary_classification', classes: ['no', 'yes'] },
      metrics: { roc_auc: 0.9 },
      lineage: { runId: null, datasetVersionId: null, pipelineRunId: null },
    });
    expect(pkg.signature.inputs.map((c) => [c.name, c.type])).toEqual([
      ['tenure', 'integer'],
      ['contract', 'categorical'],
    ]);
    expect(pkg.reference.features).toHaveLength(2);
    expect(decodePackage(encodePackage(pkg))).toEqual(pkg);
  });

  it('refuses a truncated file as corrupted JSON', () => {
    const text = encodePackage(pkg);
    refused(text.slice(0, Math.floor(text.length / 2)), 'invalid_data', /^pkg is corrupted: not valid JSON/);
    refused('', 'invalid_data', /not valid JSON/);
  });

  it('refuses another format version, naming the Keel that wrote it', () => {
    refused(
      edited((p) => {
        p.formatVersion = PACKAGE_FORMAT_VERSION + 1;
        p.keelVersion = '9.0.0';
      }),
      'incompatible',
      new RegExp(
        `package format version ${PACKAGE_FORMAT_VERSION + 1} \\(written by Keel 9\\.0\\.0\\); this Keel .* reads version ${PACKAGE_FORMAT_VERSION}`,
      ),
      'formatVersion',
    );
    refused(
      edited((p) => delete p.formatVersion),
      'incompatible',
      /package format version undefined/,
    );
  });

  it('refuses a file that is not a Keel package', () => {
    refused('{"hello": 1}', 'invalid_data', /pkg is not a Keel model package/);
    refused('[1, 2]', 'invalid_data', /not a Keel model package/);
  });

  it('refuses a package without its estimator or feature pipeline', () => {
    refused(
      edited((p) => delete p.estimator),
      'invalid_data',
      /pkg is corrupted: "estimator" is missing/,
      'estimator',
    );
    refused(
      edited((p) => (p.features = null)),
      'invalid_data',
      /"features" is missing/,
      'features',
    );
  });

  it('refuses fields of the wrong type, naming the field', () => {
    refused(
      edited((p) => (p.estimator = 'weights')),
      'invalid_data',
      /"estimator" is not an object/,
      'estimator',
    );
    refused(
      edited((p) => (p.algorithm = 7)),
      'invalid_data',
      /"algorithm" is not a string/,
      'algorithm',
    );
    refused(
      edited((p) => ((p.signature as Record<string, unknown>).inputs = 'tenure')),
      'invalid_data',
      /"signature.inputs" is not a list/,
      'signature.inputs',
    );
    refused(
      edited((p) => ((p.signature as { inputs: unknown[] }).inputs[1] = { name: 'contract' })),
      'invalid_data',
      /"signature.inputs\[1\]" is not a column with a name and a type/,
    );
    refused(
      edited((p) => ((p.signature as Record<string, unknown>).task = 'ranking')),
      'invalid_data',
      /"signature.task" is not one of binary_classification/,
    );
    refused(
      edited((p) => ((p.signature as Record<string, unknown>).classes = [0, 1])),
      'invalid_data',
      /"signature.classes" is not a list of class names/,
    );
    refused(
      edited((p) => (p.metrics = { roc_auc: 'high' })),
      'invalid_data',
      /"metrics" is not an object of numbers/,
    );
    refused(
      edited((p) => (p.reference = { rows: 3 })),
      'invalid_data',
      /"reference.features" is not a list/,
    );
  });
});

describe('loading a registered package', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  beforeAll(async () => {
    ws = await tempWorkspace();
  });
  afterAll(() => ws.dispose());

  it('predicts with a package it registered', async () => {
    const version = await ws.registry.register('tiny', await tinyPackage());
    const model = await ws.registry.load(version);
    const [prediction] = model.predict([tinyRow]);
    expect(prediction).toMatchObject({ label: 'yes' });
  });

  it('times single-row predictions through the loaded model, as serving runs them', async () => {
    const model = await ws.registry.load(await ws.registry.register('timed', await tinyPackage()));
    const rows = Array.from({ length: 50 }, (_, i) => ({ tenure: i, contract: i % 2 ? 'month' : 'year' }));
    const latency = measurePredictLatency(model, rows);
    expect(latency.rows).toBe(50);
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p50).toBeLessThanOrEqual(latency.p95);
    expect(latency.p95).toBeLessThanOrEqual(latency.p99);
    expect(() => measurePredictLatency(model, [{ tenure: 'long', contract: 'month' }])).toThrow(
      /a timed row does not match the signature/,
    );
    expect(() => measurePredictLatency(model, [])).toThrow(/at least one row/);
  });

  it('says a package file is corrupted when its bytes no longer match the digest', async () => {
    const version = await ws.registry.register('damaged', await tinyPackage({ pipelineRunId: 'damaged' }));
    const path = await ws.artifacts.localPath(version.artifact);
    const original = readFileSync(path);
    chmodSync(path, 0o644);
    writeFileSync(path, encodePackage(await tinyPackage({ pipelineRunId: 'other content' })));
    const error = (await ws.registry.load(version).catch((e: unknown) => e)) as KeelError;
    expect(error).toBeInstanceOf(KeelError);
    expect(error.code).toBe('invalid_data');
    expect(error.message).toBe(
      `package of damaged@1 is corrupted: its bytes no longer match their digest ${version.artifact}`,
    );
    // A failed load is not cached: once the file is whole again, it loads.
    writeFileSync(path, original);
    expect((await ws.registry.load(version)).predict([tinyRow])).toHaveLength(1);
  });

  it('says a package is corrupted when its estimator state cannot be rebuilt', async () => {
    const pkg = await tinyPackage();
    const broken = { ...pkg, estimator: { algorithm: 'logistic_regression', params: {}, state: { coef: 'x' } } };
    const version = await ws.registry.register('broken-state', broken);
    const error = (await ws.registry.load(version).catch((e: unknown) => e)) as KeelError;
    expect(error.code).toBe('invalid_data');
    expect(error.message).toMatch(/^package of broken-state@1 is corrupted: its fitted state cannot be rebuilt \(/);
  });

  it('says which version has a package of another format version', async () => {
    const pkg = await tinyPackage();
    const version = await ws.registry.register('future', { ...pkg, formatVersion: 2 });
    await expect(ws.registry.readPackage(version)).rejects.toMatchObject({
      code: 'incompatible',
      message: expect.stringMatching(/^package of future@1 has package format version 2/),
    });
  });
});
