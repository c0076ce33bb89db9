import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeelError,
  type DataSchema,
  type ErrorCode,
  type PredictionRecord,
  type RequestRecord,
  type Run,
  type RunStatus,
  type SchemaSource,
  type StepRun,
  type TrafficPolicy,
} from '../../src/core/index.js';
import { Rng } from '../../src/ml/index.js';
import type {
  MetadataStore,
  MetricWindowData,
  NewDatasetVersion,
  NewModelVersion,
  RecordedRun,
  RunField,
  RunFilter,
  RunOrder,
  RunSearch,
} from '../../src/store/index.js';
import { parseRunFilter, parseRunOrder } from '../../src/tracking/index.js';

/**
 * The conformance suite every `MetadataStore` passes, whatever its backend. The test file of
 * each backend calls `runMetadataStoreSuite` inside its own `describe`.
 *
 * All tests share one database (opening one per test would cost a schema per test on
 * PostgreSQL), so each test works on names of its own and lists only what it created.
 */
export interface MetadataStoreHarness {
  /** What the store should report as its `dialect`. */
  readonly dialect: MetadataStore['dialect'];
  /** Opens a migrated store on the database under test; every call opens the same database. */
  open(): Promise<MetadataStore>;
}

export function runMetadataStoreSuite(harness: MetadataStoreHarness): void {
  let store: MetadataStore;
  beforeAll(async () => {
    store = await harness.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('opening', () => {
    it('reports its dialect', () => {
      expect(store.dialect).toBe(harness.dialect);
    });

    it('opens an already migrated database again without migrating twice or losing data', async () => {
      const version = await store.createDatasetVersion(datasetInput(unique('reopen')));
      const again = await harness.open();
      try {
        await again.migrate();
        expect(await again.getDatasetVersionById(version.id)).toEqual(version);
      } finally {
        await again.close();
      }
    });
  });

  describe('datasets', () => {
    it('numbers the versions of each dataset from 1 and returns them as entities', async () => {
      const [churn, fraud] = [unique('churn'), unique('fraud')];
      const input = datasetInput(churn);
      const first = await store.createDatasetVersion(input);
      const second = await store.createDatasetVersion(datasetInput(churn, { contentHash: 'sha256:second' }));
      const other = await store.createDatasetVersion(datasetInput(fraud));

      expect(first).toEqual({ ...input, id: expect.stringMatching(/^dsv_/), version: 1, createdAt: isoTimestamp });
      expect([second.version, other.version]).toEqual([2, 1]);
      expect(await store.getDatasetVersionById(first.id)).toEqual(first);
    });

    it('gets a given version, the latest when no version is given, and null when absent', async () => {
      const name = unique('ds');
      const v1 = await store.createDatasetVersion(datasetInput(name));
      const v2 = await store.createDatasetVersion(datasetInput(name));

      expect(await store.getDatasetVersion(name, 1)).toEqual(v1);
      expect(await store.getDatasetVersion(name)).toEqual(v2);
      expect(await store.getDatasetVersion(name, 3)).toBeNull();
      expect(await store.getDatasetVersion(unique('missing'))).toBeNull();
      expect(await store.getDatasetVersionById('dsv_missing')).toBeNull();
    });

    it('finds a version by its content hash', async () => {
      const name = unique('ds');
      await store.createDatasetVersion(datasetInput(name, { contentHash: 'sha256:aaa' }));
      const b = await store.createDatasetVersion(datasetInput(name, { contentHash: 'sha256:bbb' }));

      expect(await store.findDatasetVersionByHash(name, 'sha256:bbb')).toEqual(b);
      expect(await store.findDatasetVersionByHash(name, 'sha256:ccc')).toBeNull();
      expect(await store.findDatasetVersionByHash(unique('other'), 'sha256:bbb')).toBeNull();
    });

    it('lists versions newest first, and datasets with their version count and latest version', async () => {
      const [a, b] = [unique('a'), unique('b')];
      const a1 = await store.createDatasetVersion(datasetInput(a));
      const a2 = await store.createDatasetVersion(datasetInput(a));
      const b1 = await store.createDatasetVersion(datasetInput(b));

      expect(await store.listDatasetVersions(a)).toEqual([a2, a1]);
      expect(await store.listDatasetVersions(unique('missing'))).toEqual([]);
      const summaries = (await store.listDatasets()).filter((s) => s.name === a || s.name === b);
      expect(summaries).toEqual([
        { name: a, versions: 2, latest: a2 },
        { name: b, versions: 1, latest: b1 },
      ]);
    });

    it('numbers concurrent imports of one dataset 1 to 10 without gaps or duplicates', async () => {
      const name = unique('concurrent');
      const versions = await Promise.all(range(10).map(() => store.createDatasetVersion(datasetInput(name))));
      expect(versions.map((v) => v.version).sort(byNumber)).toEqual(range(10).map((i) => i + 1));
    });
  });

  describe('schema versions', () => {
    const edited = {
      columns: [
        { name: 'tenure', type: 'integer', nullable: false, min: 0, max: 100 },
        { name: 'contract', type: 'categorical', nullable: true, domain: ['month', 'week', 'year'] },
      ],
    } satisfies DataSchema;

    it('numbers the schema versions of each dataset from 1, apart from its dataset versions', async () => {
      const [churn, fraud] = [unique('churn'), unique('fraud')];
      const c1 = await store.createDatasetVersion(datasetInput(churn));
      await store.createDatasetVersion(datasetInput(churn));
      await store.createDatasetVersion(datasetInput(fraud));

      const first = await store.createSchemaVersion({
        dataset: churn,
        schema: c1.schema,
        source: 'inferred',
        basedOn: 1,
      });
      const second = await store.createSchemaVersion({
        dataset: churn,
        schema: edited,
        source: 'edited',
        basedOn: 2,
        note: 'weekly contracts are coming',
      });
      const other = await store.createSchemaVersion({ dataset: fraud, schema: edited, source: 'edited' });

      expect(first).toEqual({
        dataset: churn,
        version: 1,
        schema: c1.schema,
        source: 'inferred',
        basedOn: 1,
        note: '',
        createdAt: isoTimestamp,
      });
      expect(second).toMatchObject({ version: 2, schema: edited, source: 'edited', basedOn: 2 });
      expect(second.note).toBe('weekly contracts are coming');
      expect(other).toMatchObject({ dataset: fraud, version: 1, basedOn: null, note: '' });
      // Dataset versions keep their own numbering.
      expect((await store.createDatasetVersion(datasetInput(churn))).version).toBe(3);
    });

    it('gets a given schema version, the latest when none is given, null when absent; lists newest first', async () => {
      const name = unique('ds');
      await store.createDatasetVersion(datasetInput(name));
      expect(await store.getSchemaVersion(name)).toBeNull();
      expect(await store.listSchemaVersions(name)).toEqual([]);

      const s1 = await store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited' });
      const s2 = await store.createSchemaVersion({ dataset: name, schema: { columns: [] }, source: 'inferred' });

      expect(await store.getSchemaVersion(name, 1)).toEqual(s1);
      expect(await store.getSchemaVersion(name)).toEqual(s2);
      expect(await store.getSchemaVersion(name, 3)).toBeNull();
      expect(await store.getSchemaVersion(unique('missing'))).toBeNull();
      expect(await store.listSchemaVersions(name)).toEqual([s2, s1]);
      expect(await store.listSchemaVersions(unique('missing'))).toEqual([]);
    });

    it('refuses a schema for a dataset or dataset version that does not exist, storing nothing', async () => {
      const name = unique('ds');
      const missingDataset = await keelError(
        store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited' }),
        'not_found',
      );
      expect(missingDataset.details).toMatchObject({ field: 'dataset' });

      await store.createDatasetVersion(datasetInput(name));
      const missingVersion = await keelError(
        store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited', basedOn: 2 }),
        'not_found',
      );
      expect(missingVersion.details).toMatchObject({ field: 'basedOn' });
      expect(await store.listSchemaVersions(name)).toEqual([]);
      // The refused attempt used no number.
      expect((await store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited' })).version).toBe(1);
    });

    it('refuses a bad source, schema or basedOn with invalid_argument, naming the field', async () => {
      const name = unique('ds');
      await store.createDatasetVersion(datasetInput(name));
      const bad = [
        [{ source: 'guessed' as SchemaSource }, 'source'],
        [{ schema: {} as DataSchema }, 'schema.columns'],
        [{ basedOn: 0 }, 'basedOn'],
        [{ basedOn: 1.5 }, 'basedOn'],
        [{ dataset: '' }, 'dataset'],
      ] as const;
      for (const [overrides, field] of bad) {
        const error = await keelError(
          store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited', ...overrides }),
          'invalid_argument',
        );
        expect(error.details, field).toMatchObject({ field });
      }
      expect(await store.listSchemaVersions(name)).toEqual([]);
    });

    it('numbers concurrent edits of one dataset 1 to 10 without gaps or duplicates', async () => {
      const name = unique('concurrent');
      await store.createDatasetVersion(datasetInput(name));
      const versions = await Promise.all(
        range(10).map((i) =>
          store.createSchemaVersion({ dataset: name, schema: edited, source: 'edited', note: `${i}` }),
        ),
      );
      expect(versions.map((v) => v.version).sort(byNumber)).toEqual(range(10).map((i) => i + 1));
      expect((await store.listSchemaVersions(name)).map((v) => v.version)).toEqual(range(10).map((i) => 10 - i));
    });
  });

  describe('runs', () => {
    it('creates a running run with its params, tags, inputs and lineage', async () => {
      const dataset = await store.createDatasetVersion(datasetInput(unique('ds')));
      const pipeline = await store.createPipelineRun(unique('project'));
      const parent = await store.createRun({ experiment: unique('exp'), name: 'search' });
      const run = await store.createRun({
        experiment: 'churn',
        name: 'logistic',
        parentRunId: parent.id,
        pipelineRunId: pipeline.id,
        params: { algorithm: 'logistic_regression', C: 0.5, balanced: true },
        tags: { owner: 'ana' },
        datasetVersionIds: [dataset.id],
      });

      expect(run).toEqual({
        id: expect.stringMatching(/^run_/),
        experiment: 'churn',
        name: 'logistic',
        status: 'running',
        parentRunId: parent.id,
        pipelineRunId: pipeline.id,
        startedAt: isoTimestamp,
        endedAt: null,
        durationMs: null,
        note: '',
        source: { configHash: null, gitCommit: null },
        params: { algorithm: 'logistic_regression', C: 0.5, balanced: true },
        metrics: {},
        metricPoints: {},
        tags: { owner: 'ana' },
        datasetVersionIds: [dataset.id],
        artifacts: [],
      });
      expect(await store.getRun(run.id)).toEqual(run);
      expect(await store.getRun('run_missing')).toBeNull();
    });

    it('refuses a run whose parent, pipeline run or dataset version does not exist', async () => {
      const base = { experiment: unique('exp'), name: 'r' };
      expect(await keelError(store.createRun({ ...base, parentRunId: 'run_missing' }), 'not_found')).toMatchObject({
        details: { field: 'parentRunId' },
      });
      expect(await keelError(store.createRun({ ...base, pipelineRunId: 'pipe_missing' }), 'not_found')).toMatchObject({
        details: { field: 'pipelineRunId' },
      });
      expect(
        await keelError(store.createRun({ ...base, datasetVersionIds: ['dsv_missing'] }), 'not_found'),
      ).toMatchObject({ details: { field: 'datasetVersionIds[0]' } });
      expect(await store.listRuns({ experiment: base.experiment })).toEqual([]);
    });

    it('logs params, metrics and tags in batches; run metrics hold the latest value of each key', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r', params: { C: 1 } });
      await store.logBatch(run.id, {
        params: { penalty: 'l2' },
        metrics: [
          { key: 'loss', value: 0.9, step: 0 },
          { key: 'loss', value: 0.5, step: 1 },
          { key: 'roc_auc', value: 0.81 },
        ],
        tags: { stage: 'train' },
      });
      await store.logBatch(run.id, { metrics: [{ key: 'loss', value: 0.3, step: 2 }], tags: { stage: 'eval' } });

      const logged = await store.getRun(run.id);
      expect(logged?.params).toEqual({ C: 1, penalty: 'l2' });
      expect(logged?.metrics).toEqual({ loss: 0.3, roc_auc: 0.81 });
      expect(logged?.tags).toEqual({ stage: 'eval' });
    });

    it("takes a metric's latest value from its highest step, whatever order points arrive in", async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      await store.logBatch(run.id, { metrics: [{ key: 'acc', value: 0.9, step: 5 }] });
      await store.logBatch(run.id, { metrics: [{ key: 'acc', value: 0.2, step: 2 }] });
      expect((await store.getRun(run.id))?.metrics).toEqual({ acc: 0.9 });
      await store.logBatch(run.id, { metrics: [{ key: 'acc', value: 0.95, step: 5 }] });
      expect((await store.getRun(run.id))?.metrics).toEqual({ acc: 0.95 });
    });

    it('keeps the full history of a metric, in step order', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      await store.logBatch(run.id, {
        metrics: [
          { key: 'loss', value: 0.5, step: 1 },
          { key: 'loss', value: 0.9, step: 0 },
          { key: 'other', value: 1 },
        ],
      });
      await store.logBatch(run.id, { metrics: [{ key: 'loss', value: 0.1, step: 2 }] });

      const history = await store.getMetricHistory(run.id, 'loss');
      expect(history.map(({ step, value }) => [step, value])).toEqual([
        [0, 0.9],
        [1, 0.5],
        [2, 0.1],
      ]);
      expect(history[0]).toEqual({ key: 'loss', value: 0.9, step: 0, timestamp: isoTimestamp });
      expect(await store.getMetricHistory(run.id, 'missing')).toEqual([]);
    });

    it('stores NaN and infinite metric values', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      await store.logBatch(run.id, {
        metrics: [
          { key: 'nan', value: Number.NaN },
          { key: 'inf', value: Number.POSITIVE_INFINITY },
          { key: 'neg_inf', value: Number.NEGATIVE_INFINITY },
        ],
      });
      expect((await store.getRun(run.id))?.metrics).toEqual({
        inf: Number.POSITIVE_INFINITY,
        nan: Number.NaN,
        neg_inf: Number.NEGATIVE_INFINITY,
      });
      expect((await store.getMetricHistory(run.id, 'nan'))[0].value).toBeNaN();
    });

    it('treats params as write-once: the same value again is fine, a new value fails and applies nothing', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r', params: { C: 1 } });
      await store.logBatch(run.id, { params: { C: 1 } });

      const error = await keelError(
        store.logBatch(run.id, { params: { C: 2 }, metrics: [{ key: 'acc', value: 1 }], tags: { t: 'x' } }),
        'already_exists',
      );
      expect(error.details.field).toBe('params.C');
      const after = await store.getRun(run.id);
      expect(after).toMatchObject({ params: { C: 1 }, metrics: {}, tags: {} });
      expect(await store.getMetricHistory(run.id, 'acc')).toEqual([]);
    });

    it('takes concurrent batches to one run, whatever order their keys come in', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      const keys = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(
        range(10).map((i) => {
          const order = i % 2 === 0 ? keys : [...keys].reverse();
          return store.logBatch(run.id, {
            tags: Object.fromEntries(order.map((k) => [k, String(i)])),
            metrics: order.map((key) => ({ key, value: i, step: i })),
          });
        }),
      );

      const logged = await store.getRun(run.id);
      expect(logged?.metrics).toEqual({ a: 9, b: 9, c: 9, d: 9, e: 9 });
      expect(Object.keys(logged?.tags ?? {})).toEqual(keys);
      expect(await store.getMetricHistory(run.id, 'c')).toHaveLength(10);
    });

    it('records artifacts by path, a path logged again replacing its entry', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      await store.logArtifact(run.id, { path: 'model/package.json', digest: 'sha256:aa', size: 10 });
      await store.logArtifact(run.id, { path: 'eval/report.json', digest: 'sha256:bb', size: 20 });
      await store.logArtifact(run.id, { path: 'model/package.json', digest: 'sha256:cc', size: 30 });

      expect((await store.getRun(run.id))?.artifacts).toEqual([
        { path: 'eval/report.json', digest: 'sha256:bb', size: 20 },
        { path: 'model/package.json', digest: 'sha256:cc', size: 30 },
      ]);
    });

    it('ends a run with its outcome and end time', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      const ended = await store.endRun(run.id, 'failed');
      expect(ended).toEqual({ ...run, status: 'failed', endedAt: isoTimestamp, durationMs: expect.any(Number) });
      expect(ended.endedAt! >= run.startedAt).toBe(true);
      expect(ended.durationMs).toBe(Date.parse(ended.endedAt!) - Date.parse(run.startedAt));
    });

    it('fails with not_found when writing to a run that does not exist', async () => {
      await keelError(store.logBatch('run_missing', { tags: { a: 'b' } }), 'not_found');
      await keelError(store.logArtifact('run_missing', { path: 'p', digest: 'sha256:aa', size: 1 }), 'not_found');
      await keelError(store.endRun('run_missing', 'finished'), 'not_found');
    });

    it('lists runs newest first, by experiment or pipeline run, up to a limit', async () => {
      const experiment = unique('exp');
      const pipeline = await store.createPipelineRun(unique('project'));
      const first = await store.createRun({ experiment, name: 'first', params: { n: 1 } });
      const second = await store.createRun({
        experiment,
        name: 'second',
        params: { n: 2 },
        pipelineRunId: pipeline.id,
      });
      const third = await store.createRun({ experiment, name: 'third', params: { n: 3 } });
      const elsewhere = await store.createRun({ experiment: unique('other'), name: 'elsewhere' });

      expect(await store.listRuns({ experiment })).toEqual([third, second, first]);
      expect(await store.listRuns({ experiment, limit: 2 })).toEqual([third, second]);
      expect(await store.listRuns({ pipelineRunId: pipeline.id })).toEqual([second]);
      expect(await store.listRuns({ limit: 1 })).toEqual([elsewhere]);
    });
  });

  describe('model registry', () => {
    it('creates a model on its first version and numbers its versions', async () => {
      const name = unique('model');
      const input = modelInput(name, { description: 'Predicts churn' });
      const v1 = await store.createModelVersion(input);
      const v2 = await store.createModelVersion(modelInput(name));

      const { description: _description, ...entity } = input;
      expect(v1).toEqual({ ...entity, version: 1, createdAt: isoTimestamp });
      expect(v2.version).toBe(2);
      expect(await store.getModelVersion(name, 1)).toEqual(v1);
      expect(await store.getRegisteredModel(name)).toEqual({
        name,
        description: 'Predicts churn',
        createdAt: v1.createdAt,
        latestVersion: 2,
        aliases: {},
      });
    });

    it('replaces the description when a later version brings one', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name, { description: 'first' }));
      await store.createModelVersion(modelInput(name, { description: 'second' }));
      expect((await store.getRegisteredModel(name))?.description).toBe('second');
    });

    it('numbers 10 concurrent versions of one model 1 to 10', async () => {
      const name = unique('model');
      const versions = await Promise.all(range(10).map(() => store.createModelVersion(modelInput(name))));
      expect(versions.map((v) => v.version).sort(byNumber)).toEqual(range(10).map((i) => i + 1));
      expect((await store.getRegisteredModel(name))?.latestVersion).toBe(10);
    });

    it('links a version to its run and dataset version, which must exist', async () => {
      const dataset = await store.createDatasetVersion(datasetInput(unique('ds')));
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      const name = unique('model');
      const version = await store.createModelVersion(modelInput(name, { runId: run.id, datasetVersionId: dataset.id }));
      expect(version).toMatchObject({ runId: run.id, datasetVersionId: dataset.id });

      const missingRun = await keelError(store.createModelVersion(modelInput(name, { runId: 'run_x' })), 'not_found');
      expect(missingRun.details.field).toBe('runId');
      await keelError(store.createModelVersion(modelInput(name, { datasetVersionId: 'dsv_x' })), 'not_found');
      expect((await store.getRegisteredModel(name))?.latestVersion).toBe(1);
    });

    it('lists versions newest first, and models by name with their aliases', async () => {
      const [a, b] = [unique('a-model'), unique('b-model')];
      const a1 = await store.createModelVersion(modelInput(a));
      const a2 = await store.createModelVersion(modelInput(a));
      await store.createModelVersion(modelInput(b));
      await store.setAlias(a, 'champion', 1, { actor: 'ana', reason: 'first' });

      expect(await store.listModelVersions(a)).toEqual([a2, a1]);
      expect(await store.listModelVersions(unique('missing'))).toEqual([]);
      const models = (await store.listRegisteredModels()).filter((m) => m.name === a || m.name === b);
      expect(models.map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
        [a, 2, { champion: 1 }],
        [b, 1, {}],
      ]);
    });

    it('returns null for a model or version that does not exist', async () => {
      const name = unique('model');
      expect(await store.getRegisteredModel(name)).toBeNull();
      await store.createModelVersion(modelInput(name));
      expect(await store.getModelVersion(name, 2)).toBeNull();
      expect(await store.getAlias(name, 'champion')).toBeNull();
    });

    it('points, moves and removes an alias, recording every change newest first', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name));
      await store.createModelVersion(modelInput(name));

      const set = await store.setAlias(name, 'champion', 1, { actor: 'ana', reason: 'baseline' });
      expect(set).toEqual({
        model: name,
        alias: 'champion',
        fromVersion: null,
        toVersion: 1,
        actor: 'ana',
        reason: 'baseline',
        at: isoTimestamp,
      });
      await store.setAlias(name, 'champion', 2, { actor: 'gate', reason: 'better by 0.02' });
      expect(await store.getAlias(name, 'champion')).toBe(2);
      expect((await store.getRegisteredModel(name))?.aliases).toEqual({ champion: 2 });
      await store.setAlias(name, 'champion', null, { actor: 'ana', reason: 'rollback' });
      expect(await store.getAlias(name, 'champion')).toBeNull();

      const events = await store.listAliasEvents(name);
      expect(events.map((e) => [e.fromVersion, e.toVersion, e.actor])).toEqual([
        [2, null, 'ana'],
        [1, 2, 'gate'],
        [null, 1, 'ana'],
      ]);
      expect(events[2]).toEqual(set);
    });

    it('refuses to point an alias at a missing version or model, recording nothing', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name));
      const change = { actor: 'ana', reason: 'typo' };

      expect(await keelError(store.setAlias(name, 'champion', 7, change), 'not_found')).toMatchObject({
        details: { field: 'version' },
      });
      await keelError(store.setAlias(unique('missing'), 'champion', 1, change), 'not_found');
      expect(await store.getAlias(name, 'champion')).toBeNull();
      expect(await store.listAliasEvents(name)).toEqual([]);
    });

    it('leaves an alias on exactly one version after two concurrent moves, with both recorded', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name));
      await store.createModelVersion(modelInput(name));

      await Promise.all([
        store.setAlias(name, 'champion', 1, { actor: 'a', reason: 'one' }),
        store.setAlias(name, 'champion', 2, { actor: 'b', reason: 'two' }),
      ]);

      const alias = await store.getAlias(name, 'champion');
      expect([1, 2]).toContain(alias);
      const [last, first] = await store.listAliasEvents(name);
      expect(last.toVersion).toBe(alias);
      expect(first.fromVersion).toBeNull();
      expect(last.fromVersion).toBe(first.toVersion);
    });

    it('keeps an unbroken alias history under many concurrent moves', async () => {
      const name = unique('model');
      for (const _ of range(3)) await store.createModelVersion(modelInput(name));

      await Promise.all(
        range(12).map((i) => store.setAlias(name, 'champion', (i % 3) + 1, { actor: `actor${i}`, reason: 'race' })),
      );

      const events = await store.listAliasEvents(name);
      expect(events).toHaveLength(12);
      expect(events[0].toVersion).toBe(await store.getAlias(name, 'champion'));
      for (let i = 0; i < events.length - 1; i++) expect(events[i].fromVersion).toBe(events[i + 1].toVersion);
      expect(events.at(-1)?.fromVersion).toBeNull();
    });

    it('merges tags into a version, and fails with not_found for a missing version', async () => {
      const name = unique('model');
      await store.createModelVersion(modelInput(name, { tags: { team: 'growth', 'gate.passed': 'unknown' } }));

      const tagged = await store.setModelVersionTags(name, 1, { 'gate.passed': 'true', 'gate.reasons': 'ok' });
      expect(tagged.tags).toEqual({ team: 'growth', 'gate.passed': 'true', 'gate.reasons': 'ok' });
      expect(await store.getModelVersion(name, 1)).toEqual(tagged);
      await keelError(store.setModelVersionTags(name, 2, { a: 'b' }), 'not_found');
    });
  });

  describe('endpoints', () => {
    it('creates an endpoint and records why', async () => {
      const name = unique('endpoint');
      const endpoint = await store.putEndpoint(name, policy(1), { kind: 'deploy', actor: 'ana', reason: 'first' });

      expect(endpoint).toEqual({
        name,
        policy: policy(1),
        revision: 1,
        createdAt: isoTimestamp,
        updatedAt: endpoint.createdAt,
      });
      expect(await store.getEndpoint(name)).toEqual(endpoint);
      expect(await store.listEndpointEvents(name)).toEqual([
        { endpoint: name, kind: 'deploy', actor: 'ana', reason: 'first', policy: policy(1), at: endpoint.createdAt },
      ]);
    });

    it('replaces the policy, keeping the creation time, and lists changes newest first', async () => {
      const name = unique('endpoint');
      const created = await store.putEndpoint(name, policy(1), { kind: 'deploy', actor: 'ana', reason: 'v1' });
      const canary = await store.putEndpoint(name, policy(2, 10), { kind: 'canary', actor: 'ana', reason: 'v2' });

      expect(canary).toMatchObject({ policy: policy(2, 10), createdAt: created.createdAt });
      expect(canary.updatedAt >= created.updatedAt).toBe(true);
      const events = await store.listEndpointEvents(name);
      expect(events.map((e) => [e.kind, e.policy])).toEqual([
        ['canary', policy(2, 10)],
        ['deploy', policy(1)],
      ]);
      expect(await store.listEndpointEvents(name, 1)).toEqual([events[0]]);
    });

    it('returns null for an unknown endpoint and lists endpoints by name', async () => {
      const [a, b] = [unique('a-endpoint'), unique('b-endpoint')];
      await store.putEndpoint(b, policy(1), { kind: 'deploy', actor: 'ana', reason: '' });
      await store.putEndpoint(a, policy(1), { kind: 'deploy', actor: 'ana', reason: '' });

      expect(await store.getEndpoint(unique('missing'))).toBeNull();
      expect(await store.listEndpointEvents(unique('missing'))).toEqual([]);
      const names = (await store.listEndpoints()).map((e) => e.name).filter((n) => n === a || n === b);
      expect(names).toEqual([a, b]);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Deployments: endpoint revisions for compare-and-set, and requests that name their route.

  describe('endpoint revisions and routed requests', () => {
    const event = (reason: string) => ({ kind: 'deploy', actor: 'ana', reason });

    it('numbers revisions from 1, one more per change', async () => {
      const name = unique('endpoint');
      expect((await store.putEndpoint(name, policy(1), event('v1'))).revision).toBe(1);
      expect((await store.putEndpoint(name, policy(2, 10), event('v2'))).revision).toBe(2);
      expect((await store.putEndpoint(name, policy(2), event('v2 all'), { expectedRevision: 2 })).revision).toBe(3);
      expect((await store.getEndpoint(name))?.revision).toBe(3);
    });

    it('compare-and-set: a write naming a stale revision fails with conflict and changes nothing', async () => {
      const name = unique('endpoint');
      const created = await store.putEndpoint(name, policy(1), event('v1'), { expectedRevision: 0 });
      await store.putEndpoint(name, policy(2, 10), event('first writer'), { expectedRevision: created.revision });
      const error = await keelError(
        store.putEndpoint(name, policy(3, 10), event('second writer'), { expectedRevision: created.revision }),
        'conflict',
      );
      expect(error.details).toMatchObject({ field: 'revision', revision: 2 });
      expect((await store.getEndpoint(name))?.policy).toEqual(policy(2, 10));
      expect((await store.listEndpointEvents(name)).map((e) => e.reason)).toEqual(['first writer', 'v1']);
    });

    it('compare-and-set with revision 0 creates only a new endpoint', async () => {
      const name = unique('endpoint');
      await store.putEndpoint(name, policy(1), event('v1'), { expectedRevision: 0 });
      await keelError(store.putEndpoint(name, policy(2), event('again'), { expectedRevision: 0 }), 'conflict');
      await keelError(store.putEndpoint(unique('missing'), policy(1), event('x'), { expectedRevision: 4 }), 'conflict');
      await keelError(store.putEndpoint(name, policy(2), event('x'), { expectedRevision: -1 }), 'invalid_argument');
    });

    it('lets exactly one of many concurrent writers of one revision win', async () => {
      const name = unique('endpoint');
      const created = await store.putEndpoint(name, policy(1), event('v1'));
      const results = await Promise.allSettled(
        range(8).map((i) =>
          store.putEndpoint(name, policy(2, i + 1), event(`writer ${i}`), { expectedRevision: created.revision }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as KeelError).code).toBe('conflict');
      }
      expect((await store.getEndpoint(name))?.revision).toBe(2);
      expect(await store.listEndpointEvents(name)).toHaveLength(2);
    });

    it('records the route that answered a request and filters requests and predictions by variant', async () => {
      const endpoint = unique('endpoint');
      const base = { endpoint, rows: 1, latencyMs: 2, errorCode: null };
      const requests: RequestRecord[] = [
        { ...base, status: 200, at: at(0), model: 'churn', version: 1, variant: 'primary' },
        { ...base, status: 400, errorCode: '400', at: at(1), model: 'churn', version: 2, variant: 'canary' },
        { ...base, status: 400, errorCode: '400', at: at(2) },
      ];
      await store.appendRequests(requests);
      expect(await store.listRequests({ endpoint })).toEqual(requests);
      expect(await store.listRequests({ endpoint, variant: 'canary' })).toEqual([requests[1]]);

      const primary = prediction(endpoint, 0);
      const canary = { ...prediction(endpoint, 1), version: 4, variant: 'canary' };
      await store.appendPredictions([primary, canary]);
      expect(await store.listPredictions({ endpoint, variant: 'canary' })).toEqual([canary]);
      expect(await store.listPredictions({ endpoint, variant: 'primary', since: at(0) })).toEqual([primary]);
    });
  });

  describe('pipelines', () => {
    it('starts a pipeline run and records how it finished', async () => {
      const project = unique('project');
      const run = await store.createPipelineRun(project);
      expect(run).toEqual({
        id: expect.stringMatching(/^pipe_/),
        project,
        status: 'running',
        startedAt: isoTimestamp,
        endedAt: null,
        error: null,
      });

      const failed = await store.finishPipelineRun(run.id, 'failed', 'train: out of memory');
      expect(failed).toEqual({ ...run, status: 'failed', endedAt: isoTimestamp, error: 'train: out of memory' });
      expect(await store.getPipelineRun(run.id)).toEqual(failed);
      expect(await store.getPipelineRun('pipe_missing')).toBeNull();
      await keelError(store.finishPipelineRun('pipe_missing', 'succeeded'), 'not_found');
    });

    it('lists pipeline runs newest first up to a limit', async () => {
      const project = unique('project');
      const first = await store.createPipelineRun(project);
      const second = await store.createPipelineRun(project);
      expect(await store.listPipelineRuns(2)).toEqual([second, first]);
    });

    it("records a step's start, then its end in the same record", async () => {
      const run = await store.createPipelineRun(unique('project'));
      const started = stepRun(run.id, 'train', { status: 'running', outputs: null, endedAt: null });
      await store.putStepRun(started);
      await store.putStepRun(stepRun(run.id, 'import', { startedAt: '2026-01-01T00:00:00.000Z' }));
      expect(await store.listStepRuns(run.id)).toHaveLength(2);

      const finished = {
        ...started,
        status: 'succeeded' as const,
        outputs: { runId: 'run_1', auc: 0.8 },
        endedAt: later,
      };
      await store.putStepRun(finished);
      const steps = await store.listStepRuns(run.id);
      expect(steps.map((s) => s.step)).toEqual(['import', 'train']);
      expect(steps[1]).toEqual(finished);
      expect(await store.listStepRuns('pipe_missing')).toEqual([]);
    });

    it('refuses a step of a pipeline run that does not exist', async () => {
      expect(await keelError(store.putStepRun(stepRun('pipe_missing', 'train')), 'not_found')).toMatchObject({
        details: { field: 'pipelineRunId' },
      });
    });

    it('finds the most recent succeeded run of a step with the same input hash for caching', async () => {
      const [step, hash] = [unique('train'), unique('hash')];
      const older = await store.createPipelineRun('p');
      const newer = await store.createPipelineRun('p');
      const others = await store.createPipelineRun('p');
      await store.putStepRun(stepRun(older.id, step, { inputHash: hash, startedAt: earlier, outputs: { n: 1 } }));
      await store.putStepRun(stepRun(newer.id, step, { inputHash: hash, startedAt: later, outputs: { n: 2 } }));
      await store.putStepRun(stepRun(others.id, step, { inputHash: hash, startedAt: latest, status: 'failed' }));
      expect(await store.findCachedStep(step, hash)).toEqual(
        stepRun(newer.id, step, { inputHash: hash, startedAt: later, outputs: { n: 2 } }),
      );

      await store.putStepRun(stepRun(others.id, unique('other-step'), { inputHash: hash, startedAt: latest }));
      expect(await store.findCachedStep(step, hash)).toMatchObject({ pipelineRunId: newer.id });
      expect(await store.findCachedStep(step, unique('other-hash'))).toBeNull();
      expect(await store.findCachedStep(unique('never-ran'), hash)).toBeNull();
    });

    it('does not serve a cache hit from a step that was itself cached or is still running', async () => {
      const [step, hash] = [unique('train'), unique('hash')];
      const run = await store.createPipelineRun('p');
      const other = await store.createPipelineRun('p');
      await store.putStepRun(stepRun(run.id, step, { inputHash: hash, status: 'cached' }));
      await store.putStepRun(stepRun(other.id, step, { inputHash: hash, status: 'running', endedAt: null }));
      expect(await store.findCachedStep(step, hash)).toBeNull();
    });
  });

  describe('prediction and request logs', () => {
    it('appends 5,000 predictions in one batch and lists them newest first', async () => {
      const endpoint = unique('endpoint');
      const records = range(5_000).map((i) => prediction(endpoint, i));
      await store.appendPredictions(records);

      const listed = await store.listPredictions({ endpoint });
      expect(listed).toHaveLength(5_000);
      expect(listed[0]).toEqual(records[4_999]);
      expect(listed.at(-1)).toEqual(records[0]);
      expect(await store.getPrediction(records[1234].id)).toEqual(records[1234]);
      expect(await store.getPrediction('pred_missing')).toBeNull();
    });

    it('lists predictions from a time on, newest first, up to a limit', async () => {
      const endpoint = unique('endpoint');
      const records = range(10).map((i) => prediction(endpoint, i));
      await store.appendPredictions(records);
      await store.appendPredictions([prediction(unique('other-endpoint'), 20)]);

      const recent = await store.listPredictions({ endpoint, since: records[7].at });
      expect(recent.map((p) => p.id)).toEqual([records[9].id, records[8].id, records[7].id]);
      expect(await store.listPredictions({ endpoint, limit: 2 })).toEqual([records[9], records[8]]);
    });

    it('writes a batch of predictions all or nothing: a duplicate id fails with already_exists', async () => {
      const endpoint = unique('endpoint');
      const logged = prediction(endpoint, 0);
      await store.appendPredictions([logged]);

      // The duplicate comes last, after rows that fill more than one insert statement.
      const batch = [...range(5_000).map((i) => prediction(endpoint, i + 1)), logged];
      await keelError(store.appendPredictions(batch), 'already_exists');
      expect(await store.listPredictions({ endpoint })).toEqual([logged]);
    });

    it('appends requests and lists them oldest first, from a time on, up to a limit', async () => {
      const endpoint = unique('endpoint');
      const records: RequestRecord[] = range(6).map((i) => ({
        endpoint,
        status: i === 3 ? 400 : 200,
        rows: i + 1,
        latencyMs: 1.5 + i,
        errorCode: i === 3 ? 'invalid_argument' : null,
        at: at(i),
      }));
      await store.appendRequests(records);

      expect(await store.listRequests({ endpoint })).toEqual(records);
      expect(await store.listRequests({ endpoint, since: at(4) })).toEqual(records.slice(4));
      expect(await store.listRequests({ endpoint, limit: 2 })).toEqual(records.slice(0, 2));
    });

    it('accepts an empty batch', async () => {
      await store.appendPredictions([]);
      await store.appendRequests([]);
    });

    it('stores timestamps as UTC ISO-8601 whatever offset they arrive with', async () => {
      const endpoint = unique('endpoint');
      await store.appendPredictions([{ ...prediction(endpoint, 0), at: '2026-03-01T01:00:00+01:00' }]);
      expect((await store.listPredictions({ endpoint }))[0].at).toBe('2026-03-01T00:00:00.000Z');
      expect(await store.listPredictions({ endpoint, since: '2026-03-01T00:30:00+01:00' })).toHaveLength(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Feedback: ground truth of logged predictions, joined back to them for live quality.

  describe('feedback', () => {
    const feedback = (p: PredictionRecord, label: string | null, value: number | null = null, i = 0) => ({
      predictionId: p.id,
      endpoint: p.endpoint,
      label,
      value,
      at: at(100 + i),
    });

    it('stores ground truth of logged predictions and lists them joined, newest prediction first', async () => {
      const endpoint = unique('endpoint');
      const records = range(4).map((i) => prediction(endpoint, i));
      await store.appendPredictions(records);
      await store.addFeedback([feedback(records[0], 'yes'), feedback(records[2], 'no', null, 1)]);

      expect(await store.listFeedback({ endpoint })).toEqual([
        {
          prediction: records[2],
          feedback: { predictionId: records[2].id, endpoint, label: 'no', value: null, at: at(101) },
        },
        {
          prediction: records[0],
          feedback: { predictionId: records[0].id, endpoint, label: 'yes', value: null, at: at(100) },
        },
      ]);
    });

    it('finds logged predictions by id, leaving out unknown ones', async () => {
      const endpoint = unique('endpoint');
      const records = range(3).map((i) => prediction(endpoint, i));
      await store.appendPredictions(records);
      const found = await store.getPredictions([records[2].id, 'pred_missing', records[0].id, records[0].id]);
      expect(found.sort((a, b) => a.at.localeCompare(b.at))).toEqual([records[0], records[2]]);
      expect(await store.getPredictions([])).toEqual([]);
    });

    it('replaces earlier feedback of a prediction, also within one batch (the last wins)', async () => {
      const endpoint = unique('endpoint');
      const [first] = range(1).map((i) => prediction(endpoint, i));
      await store.appendPredictions([first]);
      await store.addFeedback([feedback(first, 'yes')]);
      await store.addFeedback([feedback(first, 'no', null, 1), feedback(first, 'maybe', null, 2)]);
      const listed = await store.listFeedback({ endpoint });
      expect(listed.map((l) => l.feedback)).toEqual([
        { predictionId: first.id, endpoint, label: 'maybe', value: null, at: at(102) },
      ]);
    });

    it("keeps a regressor's true value exactly and stores times as UTC", async () => {
      const endpoint = unique('endpoint');
      const logged = prediction(endpoint, 0);
      await store.appendPredictions([logged]);
      await store.addFeedback([{ ...feedback(logged, null, 0.1 + 0.2), at: '2026-03-01T01:00:00+01:00' }]);
      const [{ feedback: stored }] = await store.listFeedback({ endpoint });
      expect(stored.value).toBe(0.1 + 0.2);
      expect(stored.at).toBe('2026-03-01T00:00:00.000Z');
    });

    it('writes all or nothing: unknown ids, and predictions of another endpoint, fail with not_found naming each', async () => {
      const endpoint = unique('endpoint');
      const mine = prediction(endpoint, 0);
      const theirs = prediction(unique('other-endpoint'), 1);
      await store.appendPredictions([mine, theirs]);
      const error = await keelError(
        store.addFeedback([
          feedback(mine, 'yes'),
          { ...feedback(theirs, 'no'), endpoint },
          { ...feedback(mine, 'no'), predictionId: 'pred_unknown' },
        ]),
        'not_found',
      );
      expect(error.details.ids).toEqual([theirs.id, 'pred_unknown']);
      expect(await store.listFeedback({ endpoint })).toEqual([]);
    });

    it('lists only predictions with feedback, from a time on, of a variant, up to a limit', async () => {
      const endpoint = unique('endpoint');
      const records = range(6).map((i) => ({ ...prediction(endpoint, i), variant: i % 2 === 0 ? 'stable' : 'canary' }));
      await store.appendPredictions(records);
      await store.addFeedback(records.slice(1).map((p, i) => feedback(p, 'yes', null, i)));
      const ids = (labeled: Array<{ prediction: PredictionRecord }>) => labeled.map((l) => l.prediction.id);

      expect(ids(await store.listFeedback({ endpoint }))).toEqual(
        records
          .slice(1)
          .reverse()
          .map((p) => p.id),
      );
      expect(ids(await store.listFeedback({ endpoint, since: records[4].at }))).toEqual([records[5].id, records[4].id]);
      expect(ids(await store.listFeedback({ endpoint, variant: 'stable' }))).toEqual([records[4].id, records[2].id]);
      expect(ids(await store.listFeedback({ endpoint, limit: 1 }))).toEqual([records[5].id]);
    });

    it('refuses feedback without a label or a value, a value that is not finite and a malformed time', async () => {
      const endpoint = unique('endpoint');
      const logged = prediction(endpoint, 0);
      await store.appendPredictions([logged]);
      expect((await keelError(store.addFeedback([feedback(logged, null)]), 'invalid_argument')).details.field).toBe(
        '[0]',
      );
      const nan = await keelError(store.addFeedback([feedback(logged, null, Number.NaN)]), 'invalid_argument');
      expect(nan.details.field).toBe('[0].value');
      const time = await keelError(
        store.addFeedback([{ ...feedback(logged, 'yes'), at: 'yesterday' }]),
        'invalid_argument',
      );
      expect(time.details.field).toBe('[0].at');
      await store.addFeedback([]);
      expect(await store.listFeedback({ endpoint })).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Run search: filters, sort keys, pages. Each test searches runs of an experiment of its own.

  describe('run search', () => {
    /** Every run a search returns, page by page (`limit` a page), checking each token moves on. */
    async function allPages(query: RunSearch, limit: number): Promise<Run[]> {
      const runs: Run[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < 1_000; page++) {
        const result = await store.searchRuns({ ...query, limit, pageToken });
        expect(result.runs.length).toBeLessThanOrEqual(limit);
        runs.push(...result.runs);
        if (result.nextPageToken === null) return runs;
        expect(result.runs).toHaveLength(limit);
        pageToken = result.nextPageToken;
      }
      throw new Error('the search never ended');
    }

    const names = (runs: readonly Run[]) => runs.map((run) => run.name);

    it('creates whole runs in one batch: params, metric series, tags, status, times, note, source', async () => {
      const experiment = unique('exp');
      const parent = await store.createRun({ experiment, name: 'parent' });
      const ids = await store.createRuns([
        {
          experiment,
          name: 'a',
          parentRunId: parent.id,
          status: 'finished',
          startedAt: earlier,
          endedAt: later,
          params: { C: 0.5 },
          metrics: [
            { key: 'loss', value: 0.9, step: 0 },
            { key: 'loss', value: 0.4, step: 1 },
            { key: 'auc', value: 0.8 },
          ],
          tags: { owner: 'ana' },
          note: 'baseline',
          source: { configHash: 'c0ffee', gitCommit: 'a'.repeat(40) },
        },
        { experiment, name: 'b' },
      ]);
      expect(ids).toHaveLength(2);
      const [a, b] = await Promise.all(ids.map((id) => store.getRun(id)));
      expect(a).toMatchObject({
        name: 'a',
        status: 'finished',
        parentRunId: parent.id,
        startedAt: earlier,
        endedAt: later,
        durationMs: 300_000,
        params: { C: 0.5 },
        metrics: { loss: 0.4, auc: 0.8 },
        metricPoints: { loss: 2, auc: 1 },
        tags: { owner: 'ana' },
        note: 'baseline',
        source: { configHash: 'c0ffee', gitCommit: 'a'.repeat(40) },
      });
      expect(b).toMatchObject({ status: 'running', endedAt: null, durationMs: null, note: '', metricPoints: {} });
      expect((await store.getMetricHistory(ids[0], 'loss')).map((p) => p.value)).toEqual([0.9, 0.4]);
    });

    it('creates none of a batch when one run is wrong, naming it', async () => {
      const experiment = unique('exp');
      const error = await keelError(
        store.createRuns([
          { experiment, name: 'fine' },
          { experiment, name: 'orphan', parentRunId: 'run_missing' },
        ]),
        'not_found',
      );
      expect(error.details.field).toBe('runs[1].parentRunId');
      expect(
        await keelError(store.createRuns([{ experiment, name: 'x', status: 'done' as RunStatus }]), 'invalid_argument'),
      ).toMatchObject({ details: { field: 'runs[0].status' } });
      expect(await store.listRuns({ experiment })).toEqual([]);
    });

    it('sets and replaces the note of a run, and counts the points of each series as they come', async () => {
      const run = await store.createRun({ experiment: unique('exp'), name: 'r', note: 'first try' });
      expect(run.note).toBe('first try');
      await store.logBatch(run.id, { note: 'second thoughts', metrics: [{ key: 'loss', value: 1, step: 3 }] });
      await store.logBatch(run.id, { metrics: [{ key: 'loss', value: 2, step: 1 }] });
      expect(await store.getRun(run.id)).toMatchObject({
        note: 'second thoughts',
        metrics: { loss: 1 },
        metricPoints: { loss: 2 },
      });
    });

    it('filters on the latest metric value, params and tags as text, and attributes', async () => {
      const experiment = unique('exp');
      await store.createRuns([
        {
          experiment,
          name: 'rf-1',
          status: 'finished',
          startedAt: at(1),
          params: { algorithm: 'random_forest', C: 1.5 },
          // The series ends low: the latest value, not the first, is what filters see.
          metrics: [
            { key: 'loss', value: 0.9, step: 0 },
            { key: 'loss', value: 0.2, step: 1 },
            { key: 'auc', value: 0.91 },
          ],
          tags: { owner: 'Ana' },
        },
        {
          experiment,
          name: 'rf-2',
          status: 'failed',
          startedAt: at(2),
          params: { algorithm: 'random_forest', C: 2 },
          metrics: [
            { key: 'loss', value: 0.6 },
            { key: 'auc', value: 0.7 },
          ],
          tags: { owner: 'bo' },
        },
        {
          experiment,
          name: 'lr-1',
          status: 'finished',
          startedAt: at(3),
          params: { algorithm: 'logistic_regression' },
          metrics: [{ key: 'auc', value: Number.NaN }],
          tags: { owner: 'ana' },
        },
      ]);
      const search = async (filter: string) =>
        names((await store.searchRuns({ experiment, filter: parseRunFilter(filter) })).runs).sort();

      expect(await search('metrics.loss < 0.5')).toEqual(['rf-1']);
      expect(await search('metrics.auc > 0.8')).toEqual(['rf-1']);
      // A run without the key never matches, not even `!=`; NaN compares with nothing.
      expect(await search('metrics.loss != 0.6')).toEqual(['rf-1']);
      expect(await search('metrics.auc <= 1')).toEqual(['rf-1', 'rf-2']);
      expect(await search('metrics.auc IN (0.7, 0.91)')).toEqual(['rf-1', 'rf-2']);
      expect(await search("params.algorithm = 'random_forest'")).toEqual(['rf-1', 'rf-2']);
      expect(await search('params.C = 1.5')).toEqual(['rf-1']);
      expect(await search("params.C NOT IN ('2')")).toEqual(['rf-1']);
      expect(await search("params.algorithm LIKE '%forest'")).toEqual(['rf-1', 'rf-2']);
      // LIKE is case-sensitive on every backend; ILIKE is not.
      expect(await search("tags.owner LIKE 'a%'")).toEqual(['lr-1']);
      expect(await search("tags.owner ILIKE 'a%'")).toEqual(['lr-1', 'rf-1']);
      expect(await search("tags.owner LIKE 'a\\%'")).toEqual([]);
      expect(await search("attributes.status = 'finished'")).toEqual(['lr-1', 'rf-1']);
      expect(await search("attributes.status IN ('failed', 'running')")).toEqual(['rf-2']);
      expect(await search("attributes.name LIKE 'rf-%'")).toEqual(['rf-1', 'rf-2']);
      expect(await search(`attributes.start_time > '${at(1)}'`)).toEqual(['lr-1', 'rf-2']);
      expect(await search(`attributes.experiment = '${experiment}' and metrics.auc > 0.8`)).toEqual(['rf-1']);
      expect(await search("metrics.auc > 0.8 or tags.owner = 'bo'")).toEqual(['rf-1', 'rf-2']);
      expect(await search("(metrics.auc > 0.8 or tags.owner = 'bo') and attributes.status = 'failed'")).toEqual([
        'rf-2',
      ]);
      expect(await search("metrics.missing > 0 or params.algorithm = 'logistic_regression'")).toEqual(['lr-1']);
    });

    it('sorts by metrics, params and attributes, runs lacking the key last in either direction', async () => {
      const experiment = unique('exp');
      await store.createRuns([
        { experiment, name: 'mid', startedAt: at(1), metrics: [{ key: 'auc', value: 0.8 }], params: { k: 'b' } },
        { experiment, name: 'none', startedAt: at(2), params: { k: 'a' } },
        { experiment, name: 'nan', startedAt: at(3), metrics: [{ key: 'auc', value: Number.NaN }] },
        { experiment, name: 'top', startedAt: at(4), metrics: [{ key: 'auc', value: 0.9 }], params: { k: 'c' } },
        { experiment, name: 'low', startedAt: at(5), metrics: [{ key: 'auc', value: 0.1 }], params: { k: 'b' } },
      ]);
      const sorted = async (orderBy: string) =>
        names(await store.listRuns({ experiment, orderBy: parseRunOrder(orderBy) }));

      expect(await sorted('metrics.auc DESC')).toEqual(['top', 'mid', 'low', 'nan', 'none']);
      // The runs without a value keep creation order in the sort's direction, as ties do.
      expect(await sorted('metrics.auc')).toEqual(['low', 'mid', 'top', 'none', 'nan']);
      expect(await sorted('attributes.start_time')).toEqual(['mid', 'none', 'nan', 'top', 'low']);
      expect(await sorted('attributes.start_time DESC')).toEqual(['low', 'top', 'nan', 'none', 'mid']);
      expect(await sorted('params.k DESC, metrics.auc DESC')).toEqual(['top', 'mid', 'low', 'none', 'nan']);
      expect(await sorted('params.k, metrics.auc')).toEqual(['none', 'low', 'mid', 'top', 'nan']);
      expect(await sorted('attributes.name')).toEqual(['low', 'mid', 'nan', 'none', 'top']);
      // Without keys: newest first.
      expect(names(await store.listRuns({ experiment }))).toEqual(['low', 'top', 'nan', 'none', 'mid']);
    });

    it('pages through a sorted search with tokens, each run once, across the runs that lack the key', async () => {
      const experiment = unique('exp');
      await store.createRuns(
        range(23).map((i) => ({
          experiment,
          name: `r${String(i).padStart(2, '0')}`,
          startedAt: at(i),
          metrics: i % 4 === 3 ? [] : [{ key: 'auc', value: i / 100 }],
        })),
      );
      const query = { experiment, orderBy: parseRunOrder('metrics.auc DESC') };
      const everything = await store.listRuns(query);
      expect(everything).toHaveLength(23);
      for (const limit of [1, 5, 17, 23, 100]) {
        expect(names(await allPages(query, limit)), `pages of ${limit}`).toEqual(names(everything));
      }
      const first = await store.searchRuns({ experiment });
      expect(first.runs).toHaveLength(23);
      expect(first.nextPageToken).toBeNull();
      expect(
        await keelError(store.searchRuns({ experiment, pageToken: 'not-a-token' }), 'invalid_argument'),
      ).toMatchObject({ details: { field: 'pageToken' } });
    });

    it('finds what a filter keeps beyond the first thousands of runs as well as within them', async () => {
      // More runs than the window a search first walks: the rare runs are the oldest ones.
      const experiment = unique('exp');
      const total = 2_500;
      await store.createRuns(
        range(total).map((i) => ({
          experiment,
          name: `r${i}`,
          startedAt: at(i),
          metrics: [{ key: 'auc', value: (i * 7919) % total }],
          tags: { rare: i < 4 ? 'yes' : 'no', third: i % 3 === 0 ? 'yes' : 'no' },
        })),
      );
      const newest = (filter: string) =>
        store.searchRuns({ experiment, filter: parseRunFilter(filter), limit: 10 }).then((page) => names(page.runs));
      expect(await newest("tags.rare = 'yes'")).toEqual(['r3', 'r2', 'r1', 'r0']);
      expect(await newest("tags.third = 'yes'")).toEqual(range(10).map((i) => `r${2499 - i * 3}`));
      const byAuc = await store.searchRuns({
        experiment,
        filter: parseRunFilter("tags.rare = 'yes' or tags.third = 'no' and metrics.auc < 3"),
        orderBy: parseRunOrder('metrics.auc DESC'),
        limit: 10,
      });
      const expected = range(total)
        .filter((i) => i < 4 || (i % 3 !== 0 && (i * 7919) % total < 3))
        .sort((a, b) => ((b * 7919) % total) - ((a * 7919) % total));
      expect(names(byAuc.runs)).toEqual(expected.map((i) => `r${i}`));
    });

    it('agrees with a plain evaluation of the filter and the sort, for many queries and page sizes', async () => {
      const experiment = unique('exp');
      const rng = new Rng(7);
      const inputs = range(120).map((i): RecordedRun => ({
        experiment,
        name: `n${rng.nextInt(6)}`,
        status: (['running', 'finished', 'failed'] as const)[rng.nextInt(3)],
        startedAt: at(i),
        params: rng.nextFloat() < 0.8 ? { p: `v${rng.nextInt(4)}`, depth: rng.nextInt(12) } : {},
        metrics: ['a', 'b']
          .filter(() => rng.nextFloat() < 0.85)
          .map((key) => ({ key, value: Math.round(rng.nextFloat() * 1e6) / 1e6 })),
        tags: rng.nextFloat() < 0.7 ? { t: ['x', 'X', 'y'][rng.nextInt(3)] } : {},
      }));
      await store.createRuns(inputs);
      const runs = await store.listRuns({ experiment });
      const creation = new Map([...runs].reverse().map((run, i) => [run.id, i]));
      const filters = [
        undefined,
        'metrics.a > 0.5',
        "metrics.a > 0.2 and params.p = 'v1'",
        "params.p IN ('v0', 'v2') or metrics.b <= 0.3",
        "tags.t ILIKE 'x' and attributes.status != 'running'",
        "(tags.t = 'y' or metrics.a < 0.1) and params.depth != 3",
        "attributes.name IN ('n1', 'n2') and metrics.b >= 0.5",
      ];
      const orders = [
        undefined,
        'metrics.a DESC',
        'metrics.b',
        'params.p DESC, metrics.a',
        'attributes.name, metrics.b DESC',
      ];
      for (const filterText of filters) {
        for (const orderText of orders) {
          const filter = filterText === undefined ? undefined : parseRunFilter(filterText);
          const orderBy = orderText === undefined ? undefined : parseRunOrder(orderText);
          const expected = referenceSearch(runs, creation, filter, orderBy);
          const label = `${filterText ?? '(all)'} | ${orderText ?? '(newest)'}`;
          expect(names(await store.listRuns({ experiment, filter, orderBy })), label).toEqual(names(expected));
          const paged = await allPages({ experiment, filter, orderBy }, 9);
          expect(
            paged.map((run) => run.id),
            label,
          ).toEqual(expected.map((run) => run.id));
        }
      }
    });

    it("lists a run's children", async () => {
      const experiment = unique('exp');
      const parent = await store.createRun({ experiment, name: 'search' });
      const [, second] = await store.createRuns([
        { experiment, name: 'trial 1', parentRunId: parent.id },
        { experiment, name: 'trial 2', parentRunId: parent.id },
        { experiment, name: 'other' },
      ]);
      expect(names(await store.listRuns({ parentRunId: parent.id }))).toEqual(['trial 2', 'trial 1']);
      const filtered = await store.searchRuns({ filter: parseRunFilter(`attributes.parent_run_id = '${parent.id}'`) });
      expect(filtered.runs.map((run) => run.id)).toContain(second);
    });

    it('refuses a malformed filter or sort built by hand, naming it', async () => {
      const bad = [
        { kind: 'condition', field: { kind: 'attribute', name: 'colour' }, op: '=', value: 'x' },
        { kind: 'condition', field: { kind: 'metric', key: 'auc' }, op: 'like', value: '1%' },
        { kind: 'condition', field: { kind: 'param', key: 'C' }, op: 'in', value: [] },
        { kind: 'or', clauses: [] },
        { kind: 'condition', field: { kind: 'metric', key: 'auc' }, op: 'in', value: range(1_001) },
        {
          kind: 'and',
          clauses: range(101).map(() => ({
            kind: 'condition',
            field: { kind: 'metric', key: 'a' },
            op: '>',
            value: 0,
          })),
        },
      ] as unknown as RunFilter[];
      for (const filter of bad) {
        expect(await keelError(store.searchRuns({ filter }), 'invalid_argument')).toMatchObject({
          details: { field: 'filter' },
        });
      }
      const orderBy = [{ field: { kind: 'metric', key: 'auc' }, direction: 'up' }] as unknown as RunOrder[];
      expect(await keelError(store.searchRuns({ orderBy }), 'invalid_argument')).toMatchObject({
        details: { field: 'orderBy' },
      });
    });
  });

  describe('monitoring windows and alert states', () => {
    const key = (endpoint: string, variant = 'primary') => ({ endpoint, model: 'churn', version: 1, variant });
    const data = (requests: number, bins: number[] = []): MetricWindowData => ({
      counters: { requests },
      histograms: bins.length ? { latency_ms: bins } : {},
    });

    it("replaces a process's window on a second write instead of adding to it, and keeps processes apart", async () => {
      const endpoint = unique('win');
      const window = { ...key(endpoint), processId: 'p1', bucketStart: '2026-03-01T10:00:00.000Z', bucketMs: 60_000 };
      await store.putMetricWindows([{ ...window, data: data(2, [1, 1]) }]);
      await store.putMetricWindows([
        { ...window, data: data(5, [2, 3]) },
        { ...window, processId: 'p2', data: data(7) },
      ]);
      const rows = await store.listMetricWindows({
        endpoint,
        since: '2026-03-01T00:00:00Z',
        until: '2026-03-02T00:00:00Z',
      });
      expect(rows).toEqual([
        { ...window, data: data(5, [2, 3]) },
        { ...window, processId: 'p2', data: data(7) },
      ]);
    });

    it('selects windows by time range (start inclusive, end exclusive), width, variant, model and version', async () => {
      const endpoint = unique('win-query');
      const at = (minute: number) => `2026-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      await store.putMetricWindows([
        { ...key(endpoint), processId: 'p', bucketStart: at(0), bucketMs: 60_000, data: data(1) },
        { ...key(endpoint), processId: 'p', bucketStart: at(1), bucketMs: 60_000, data: data(2) },
        { ...key(endpoint, 'canary'), version: 2, processId: 'p', bucketStart: at(1), bucketMs: 60_000, data: data(3) },
        { ...key(endpoint), processId: 'p', bucketStart: at(2), bucketMs: 60_000, data: data(4) },
      ]);
      const requests = async (query: Partial<Parameters<typeof store.listMetricWindows>[0]>) =>
        (await store.listMetricWindows({ endpoint, since: at(1), until: at(2), ...query })).map(
          (row) => row.data.counters.requests,
        );
      // In bucket order, then by endpoint, variant, model, version and process.
      expect(await requests({})).toEqual([3, 2]);
      expect(await requests({ variant: 'canary' })).toEqual([3]);
      expect(await requests({ version: 1 })).toEqual([2]);
      expect(await requests({ model: 'other' })).toEqual([]);
      expect(await requests({ bucketMs: 3_600_000 })).toEqual([]);
      expect(await requests({ since: at(0), until: at(3) })).toEqual([1, 3, 2, 4]);
    });

    it('compacts old minute buckets into hourly ones by adding them, per series and process', async () => {
      const endpoint = unique('win-compact');
      const minute = (h: number, m: number) =>
        `2026-02-01T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000Z`;
      const windows = [
        { ...key(endpoint), processId: 'p1', bucketStart: minute(9, 5), bucketMs: 60_000, data: data(1, [1, 0, 2]) },
        { ...key(endpoint), processId: 'p1', bucketStart: minute(9, 59), bucketMs: 60_000, data: data(2, [0, 1]) },
        { ...key(endpoint), processId: 'p2', bucketStart: minute(9, 30), bucketMs: 60_000, data: data(4) },
        { ...key(endpoint), processId: 'p1', bucketStart: minute(10, 0), bucketMs: 60_000, data: data(8) },
      ];
      await store.putMetricWindows(windows);
      const removed = await store.compactMetricWindows({
        fromBucketMs: 60_000,
        toBucketMs: 3_600_000,
        before: minute(10, 0),
      });
      expect(removed).toBeGreaterThanOrEqual(3);
      const rows = await store.listMetricWindows({ endpoint, since: minute(0, 0), until: minute(23, 0) });
      expect(rows.map((r) => [r.processId, r.bucketStart, r.bucketMs, r.data])).toEqual([
        ['p1', minute(9, 0), 3_600_000, data(3, [1, 1, 2])],
        ['p2', minute(9, 0), 3_600_000, data(4)],
        ['p1', minute(10, 0), 60_000, data(8)],
      ]);
      // A later compaction adds to the hourly row it finds.
      await store.putMetricWindows([{ ...windows[0], bucketStart: minute(9, 6), data: data(10) }]);
      await store.compactMetricWindows({ fromBucketMs: 60_000, toBucketMs: 3_600_000, before: minute(10, 0) });
      const hourly = await store.listMetricWindows({
        endpoint,
        since: minute(9, 0),
        until: minute(9, 1),
        bucketMs: 3_600_000,
      });
      expect(hourly.find((r) => r.processId === 'p1')?.data.counters.requests).toBe(13);
    });

    it('keeps concurrent compactions from counting a minute twice', async () => {
      const endpoint = unique('win-race');
      const windows = Array.from({ length: 30 }, (_, i) => ({
        ...key(endpoint),
        processId: 'p',
        bucketStart: new Date(Date.UTC(2026, 1, 2, 9, i)).toISOString(),
        bucketMs: 60_000,
        data: data(1),
      }));
      await store.putMetricWindows(windows);
      const other = await harness.open();
      try {
        const compaction = { fromBucketMs: 60_000, toBucketMs: 3_600_000, before: '2026-02-02T10:00:00.000Z' };
        // Two connections of one process: on SQLite their write transactions cannot overlap (the
        // driver is synchronous), so there they run one after the other, as two processes would.
        if (harness.dialect === 'postgres') {
          await Promise.all([store.compactMetricWindows(compaction), other.compactMetricWindows(compaction)]);
        } else {
          await store.compactMetricWindows(compaction);
          await other.compactMetricWindows(compaction);
        }
      } finally {
        await other.close();
      }
      const rows = await store.listMetricWindows({
        endpoint,
        since: '2026-02-02T00:00:00Z',
        until: '2026-02-03T00:00:00Z',
      });
      expect(rows.map((r) => [r.bucketMs, r.data.counters.requests])).toEqual([[3_600_000, 30]]);
    });

    it('replaces totals per series and process and lists them by endpoint', async () => {
      const endpoint = unique('totals');
      const total = { ...key(endpoint), processId: 'p1', updatedAt: '2026-03-01T10:00:00.000Z' };
      await store.putMetricTotals([{ ...total, data: data(1) }]);
      await store.putMetricTotals([
        { ...total, data: data(3) },
        { ...total, processId: 'p2', data: data(4) },
      ]);
      expect(await store.listMetricTotals({ endpoint })).toEqual([
        { ...total, data: data(3) },
        { ...total, processId: 'p2', data: data(4) },
      ]);
    });

    it('refuses windows that are not whole, naming the field', async () => {
      const endpoint = unique('win-bad');
      const window = { ...key(endpoint), processId: 'p', bucketStart: '2026-03-01T10:00:00Z', bucketMs: 60_000 };
      await expect(
        store.putMetricWindows([{ ...window, data: { counters: { requests: Number.NaN }, histograms: {} } }]),
      ).rejects.toMatchObject({ code: 'invalid_argument', details: { field: '[0].data.counters.requests' } });
      await expect(store.putMetricWindows([{ ...window, bucketMs: 0, data: data(1) }])).rejects.toMatchObject({
        details: { field: '[0].bucketMs' },
      });
      await expect(store.putMetricWindows([{ ...window, bucketStart: 'soon', data: data(1) }])).rejects.toMatchObject({
        details: { field: '[0].bucketStart' },
      });
    });

    it('moves an alert state by compare-and-set, recording each transition with who and when', async () => {
      const endpoint = unique('alerts');
      const base = { rule: 'high-errors', endpoint, severity: 'critical', value: 0.2 };
      const pending = await store.putAlertState(
        {
          ...base,
          status: 'pending',
          since: '2026-03-01T10:00:00.000Z',
          evaluatedAt: '2026-03-01T10:00:00.000Z',
          transition: { from: 'ok', actor: 'host:1', message: 'ok → pending' },
        },
        0,
      );
      expect(pending).toMatchObject({ status: 'pending', revision: 1 });
      await expect(
        store.putAlertState({ ...base, status: 'pending', since: pending.since, evaluatedAt: pending.since }, 0),
      ).rejects.toMatchObject({ code: 'conflict' });
      const firing = await store.putAlertState(
        {
          ...base,
          value: 0.3,
          status: 'firing',
          since: '2026-03-01T10:01:00.000Z',
          evaluatedAt: '2026-03-01T10:01:00.000Z',
          transition: { from: 'pending', actor: 'host:2', message: 'pending → firing' },
        },
        1,
      );
      expect(firing).toEqual({
        ...base,
        value: 0.3,
        status: 'firing',
        since: '2026-03-01T10:01:00.000Z',
        evaluatedAt: '2026-03-01T10:01:00.000Z',
        revision: 2,
      });
      // A second evaluator that read revision 1 loses, and nothing changes.
      await expect(
        store.putAlertState(
          {
            ...base,
            status: 'firing',
            since: firing.since,
            evaluatedAt: firing.since,
            transition: { from: 'pending', actor: 'host:3', message: 'dup' },
          },
          1,
        ),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.getAlertState('high-errors', endpoint)).toEqual(firing);
      expect(await store.listAlertStates({ endpoint })).toEqual([firing]);
      const transitions = await store.listAlertTransitions({ endpoint });
      expect(transitions.map((t) => [t.from, t.to, t.actor, t.value, t.at])).toEqual([
        ['pending', 'firing', 'host:2', 0.3, '2026-03-01T10:01:00.000Z'],
        ['ok', 'pending', 'host:1', 0.2, '2026-03-01T10:00:00.000Z'],
      ]);
      expect(await store.listAlertTransitions({ endpoint, limit: 1 })).toHaveLength(1);
      expect(await store.listAlertTransitions({ endpoint, rule: 'other' })).toEqual([]);
    });

    it('refuses an unknown alert status', async () => {
      await expect(
        store.putAlertState(
          {
            rule: 'r',
            endpoint: unique('alerts-bad'),
            // @ts-expect-error -- a status from outside the type
            status: 'exploded',
            since: '2026-03-01T10:00:00Z',
            value: null,
            severity: 'info',
            evaluatedAt: '2026-03-01T10:00:00Z',
          },
          0,
        ),
      ).rejects.toMatchObject({ code: 'invalid_argument', details: { field: 'status' } });
    });
  });

  describe('bad input', () => {
    it('is refused with invalid_argument, naming the field', async () => {
      expect(await keelError(store.listRuns({ limit: -1 }), 'invalid_argument')).toMatchObject({
        details: { field: 'limit' },
      });
      expect(
        await keelError(store.listPredictions({ endpoint: 'e', since: 'yesterday' }), 'invalid_argument'),
      ).toMatchObject({ details: { field: 'since' } });
      await keelError(store.createModelVersion(modelInput('')), 'invalid_argument');
      const run = await store.createRun({ experiment: unique('exp'), name: 'r' });
      await keelError(store.logBatch(run.id, { metrics: [{ key: 'acc', value: 1, step: 0.5 }] }), 'invalid_argument');
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const isoTimestamp = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const earlier = '2026-01-01T00:00:00.000Z';
const later = '2026-01-01T00:05:00.000Z';
const latest = '2026-01-01T00:10:00.000Z';

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function byNumber(a: number, b: number): number {
  return a - b;
}

function at(i: number): string {
  return new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString();
}

/** Awaits `action`, expecting it to fail with a KeelError of `code`, and returns the error. */
async function keelError(action: Promise<unknown>, code: ErrorCode): Promise<KeelError> {
  const outcome = await action.then(
    () => new Error(`expected a "${code}" KeelError, but the call succeeded`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(KeelError);
  expect((outcome as KeelError).code).toBe(code);
  return outcome as KeelError;
}

function datasetInput(dataset: string, overrides: Partial<NewDatasetVersion> = {}): NewDatasetVersion {
  return {
    dataset,
    contentHash: `sha256:${randomBytes(8).toString('hex')}`,
    artifact: `sha256:${randomBytes(8).toString('hex')}`,
    source: { kind: 'csv', uri: 'examples/churn/telco_churn.csv', options: { delimiter: ',' } },
    rows: 7_043,
    columns: [
      { name: 'tenure', type: 'integer' },
      { name: 'contract', type: 'categorical' },
    ],
    schema: {
      columns: [
        { name: 'tenure', type: 'integer', nullable: false, min: 0, max: 72 },
        { name: 'contract', type: 'categorical', nullable: false, domain: ['month', 'year'] },
      ],
    },
    profile: {
      rows: 7_043,
      columns: [
        {
          name: 'tenure',
          type: 'integer',
          count: 7_043,
          missing: 0,
          distinct: 73,
          mean: 32.4,
          quantiles: { '0.5': 29 },
          histogram: [{ lower: 0, upper: 72, count: 7_043 }],
        },
      ],
    },
    ...overrides,
  };
}

function modelInput(name: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name,
    runId: null,
    datasetVersionId: null,
    artifact: `sha256:${randomBytes(8).toString('hex')}`,
    algorithm: 'random_forest',
    signature: {
      task: 'binary_classification',
      inputs: [{ name: 'contract', type: 'categorical', nullable: false, domain: ['month', 'year'] }],
      classes: ['no', 'yes'],
    },
    metrics: { roc_auc: 0.84, accuracy: 0.8 },
    tags: { team: 'growth' },
    ...overrides,
  };
}

function policy(version: number, canaryPercent?: number): TrafficPolicy {
  if (canaryPercent === undefined) {
    return { strategy: 'direct', routes: [{ model: 'churn', version, percent: 100, variant: 'primary' }] };
  }
  return {
    strategy: 'canary',
    stickyKey: 'customer_id',
    routes: [
      { model: 'churn', version: version - 1, percent: 100 - canaryPercent, variant: 'stable' },
      { model: 'churn', version, percent: canaryPercent, variant: 'canary' },
    ],
  };
}

function stepRun(pipelineRunId: string, step: string, overrides: Partial<StepRun> = {}): StepRun {
  return {
    pipelineRunId,
    step,
    inputHash: 'hash',
    status: 'succeeded',
    outputs: { ok: true },
    startedAt: earlier,
    endedAt: later,
    error: null,
    ...overrides,
  };
}

function prediction(endpoint: string, i: number): PredictionRecord {
  return {
    id: `pred_${randomBytes(8).toString('hex')}`,
    endpoint,
    model: 'churn',
    version: 3,
    variant: 'primary',
    inputs: { tenure: i, contract: 'month', note: null },
    output: { label: 'yes', probabilities: [0.3, 0.7] },
    latencyMs: 0.25 + i / 1000,
    at: at(i),
  };
}

/**
 * Run search done plainly over entities: what the store's SQL must agree with. Runs lacking a
 * key's value come after those that have it. Ties follow the first key's direction: in run id
 * order among runs that have a metric, param or tag as the first key, in creation order otherwise.
 */
function referenceSearch(
  runs: readonly Run[],
  creation: ReadonlyMap<string, number>,
  filter: RunFilter | undefined,
  orderBy: readonly RunOrder[] = [],
): Run[] {
  const matching = runs.filter((run) => filter === undefined || matches(run, filter));
  const [first] = orderBy;
  const direction = first?.direction === 'asc' ? 1 : -1;
  return matching.sort((a, b) => {
    for (const key of orderBy) {
      const [x, y] = [fieldValue(a, key.field), fieldValue(b, key.field)];
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      if (x !== y) return (x < y ? -1 : 1) * (key.direction === 'asc' ? 1 : -1);
    }
    if (first && first.field.kind !== 'attribute' && fieldValue(a, first.field) !== null) {
      return (a.id < b.id ? -1 : 1) * direction;
    }
    return (creation.get(a.id)! - creation.get(b.id)!) * direction;
  });
}

function fieldValue(run: Run, field: RunField): string | number | null {
  if (field.kind === 'attribute') {
    const columns: Record<string, string | null> = {
      run_id: run.id,
      name: run.name,
      experiment: run.experiment,
      status: run.status,
      start_time: run.startedAt,
      end_time: run.endedAt,
      parent_run_id: run.parentRunId,
    };
    return columns[field.name] ?? null;
  }
  if (field.kind === 'metric') {
    const value = run.metrics[field.key];
    return value === undefined || Number.isNaN(value) ? null : value;
  }
  const values: Record<string, unknown> = field.kind === 'param' ? run.params : run.tags;
  return Object.hasOwn(values, field.key) ? String(values[field.key]) : null;
}

function matches(run: Run, filter: RunFilter): boolean {
  if (filter.kind === 'and') return filter.clauses.every((clause) => matches(run, clause));
  if (filter.kind === 'or') return filter.clauses.some((clause) => matches(run, clause));
  const value = fieldValue(run, filter.field);
  if (value === null) return false;
  // Metrics are numbers and text is text on both sides; the casts only tell TypeScript.
  const wanted = filter.value as number;
  const have = value as number;
  const like = (pattern: string, flags: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/%/g, '.*')
        .replace(/_/g, '.')}$`,
      flags,
    );
  switch (filter.op) {
    case '=':
      return value === wanted;
    case '!=':
      return value !== wanted;
    case '<':
      return have < wanted;
    case '<=':
      return have <= wanted;
    case '>':
      return have > wanted;
    case '>=':
      return have >= wanted;
    case 'in':
      return (filter.value as unknown[]).includes(value);
    case 'not in':
      return !(filter.value as unknown[]).includes(value);
    case 'like':
      return like(String(wanted), 's').test(String(value));
    case 'ilike':
      return like(String(wanted), 'is').test(String(value));
  }
}
