import { resolve } from 'node:path';
import {
  KeelError,
  rowAt,
  sha256File,
  takeRows,
  type ColumnSchema,
  type DatasetVersion,
  type DenseMatrix,
  type Project,
  type Table,
} from '../core/index.js';
import {
  cleanDataset,
  effectiveSchema,
  importDataset,
  readTable,
  validateTable,
  type CleaningStepReport,
} from '../data/index.js';
import { FeaturePipeline, featurePipelineFromConfig } from '../features/index.js';
import {
  createEstimator,
  estimatorFromJSON,
  groupTrainTestSplit,
  isClassifier,
  timeTrainTestSplit,
  trainTestSplit,
  type Estimator,
  type SplitIndices,
} from '../ml/index.js';
import { buildReference, outputReference, type ModelOutputs } from '../monitoring/index.js';
import {
  createPackage,
  EVALUATION_REPORT_PATH,
  evaluateGate,
  intendedUseOf,
  measurePredictLatency,
  Registry,
} from '../registry/index.js';
import { deploy, deployDirect, isActive, projectRolloutPlan, strategyOf } from '../serving/index.js';
import type { ArtifactStore, MetadataStore } from '../store/index.js';
import { Tracker } from '../tracking/index.js';
import type { Pipeline, StepDefinition } from './dag.js';
import type { TestRows } from './evaluation-report.js';
import { fitCandidate, trackedParams } from './search.js';
import { greaterIsBetter, selectionMetric, taskStrategy } from './task.js';

export interface LifecycleContext {
  readonly project: Project;
  readonly stores: { readonly metadata: MetadataStore; readonly artifacts: ArtifactStore };
  readonly registry: Registry;
  readonly tracker: Tracker;
  /** Who starts the run, recorded on alias moves and deployments. */
  readonly actor: string;
}

/** What each lifecycle step hands on. Small JSON: ids, digests, numbers. */
export interface LifecycleOutputs {
  import: { datasetVersionId: string; dataset: string; version: number; rows: number; created: boolean };
  /** Present when the project declares `cleaning`; every later step then reads this version. */
  clean?: {
    datasetVersionId: string;
    dataset: string;
    version: number;
    rows: number;
    created: boolean;
    report: CleaningStepReport[];
  };
  /** The feature pipeline's plan over the schema: each step's columns, and the columns no step uses. */
  profile: { columns: number; steps: Array<{ name: string; columns: string[] }>; excluded: string[] };
  validate: { anomalies: Array<{ column: string; kind: string; severity: string; message: string }> };
  /** `column` is the group or time column; `seed` is null for a time split, which has no randomness. */
  split: { digest: string; train: number; test: number; method: string; seed: number | null; column?: string };
  features: { digest: string; features: number };
  train: { candidates: Array<{ name: string; algorithm: string; runId: string; estimator: string; seconds: number }> };
  evaluate: {
    /** `report`: the digest of the candidate's evaluation report (its run's `evaluation/report.json`). */
    results: Array<{ name: string; runId: string; metrics: Record<string, number>; report: string }>;
    best: string;
    metric: string;
  };
  register: { model: string; version: number; runId: string };
  gate: {
    model: string;
    candidate: number;
    passed: boolean;
    reasons: string[];
    champion: number | null;
    /** Single-row predict latency of the candidate's package over test rows. */
    latencyMs: { p50: number; p95: number; p99: number; rows: number };
  };
  /** `rollout`: the champion started (or continues) a progressive rollout (`serving.rollout`) rather than taking all traffic. */
  deploy: { endpoint: string; model: string; version: number; changed: boolean; rollout?: boolean };
}

type Step<K extends keyof LifecycleOutputs> = StepDefinition<LifecycleContext, LifecycleOutputs, K>;

const defaults = {
  testSize: 0.2,
  seed: 42,
  alias: 'champion',
};

const importStep: Step<'import'> = {
  name: 'import',
  needs: [],
  version: 2,
  description: 'Import the data source as an immutable, content-hashed dataset version',
  async key({ project }) {
    const { source, dataset } = project.config.data;
    // A file is cached by its bytes; a query or a URL can answer differently each time, so the
    // step always runs, and the import itself returns the existing version when nothing changed
    // (then every later step is cached, as their keys see this step's output).
    if ('path' in source)
      return { dataset, source: { ...source, path: undefined }, content: await sha256File(sourcePath(project)) };
    return { dataset, source, fetchedAt: new Date().toISOString() };
  },
  async run({ project, stores }) {
    const { source, dataset } = project.config.data;
    const { version, created } = await importDataset(stores, { dataset, source, baseDir: project.dir }).catch(
      (error: unknown) => {
        throw inProjectFile(project, error);
      },
    );
    return { datasetVersionId: version.id, dataset, version: version.version, rows: version.rows, created };
  },
  summary: (o) =>
    `${o.dataset} v${o.version}, ${o.rows.toLocaleString('en-US')} rows${o.created ? '' : ' (already imported)'}`,
};

const cleanStep: Step<'clean'> = {
  name: 'clean',
  needs: ['import'],
  version: 1,
  description: 'Run the declared cleaning steps into a derived dataset version',
  key: ({ project }) => ({ cleaning: project.config.cleaning, dataset: project.config.data.dataset }),
  async run({ project, stores }, { import: imported }) {
    const parent = await datasetVersion(stores.metadata, imported.datasetVersionId);
    const { version, created, report } = await cleanDataset(stores, {
      version: parent,
      steps: project.config.cleaning ?? [],
      dataset: project.config.data.dataset,
    }).catch((error: unknown) => {
      // Config errors name `cleaning[i].FIELD`; say which file that is in.
      if (error instanceof KeelError && error.code === 'invalid_config') {
        throw new KeelError(error.code, `${project.file}: ${error.message}`, error.details, { cause: error });
      }
      throw error;
    });
    return {
      datasetVersionId: version.id,
      dataset: version.dataset,
      version: version.version,
      rows: version.rows,
      created,
      report: [...report],
    };
  },
  // The output is optional in LifecycleOutputs only because the step is; when it runs, there is one.
  summary: (o) =>
    o
      ? `${o.dataset} v${o.version}, ${o.rows.toLocaleString('en-US')} rows${o.created ? '' : ' (already cleaned)'}: ` +
        o.report.map(describeCleaning).join(', ')
      : '',
};

/** One cleaning step's report as the progress line shows it, e.g. `cast dateday changed 17,379 (3 failed)`. */
function describeCleaning(r: CleaningStepReport): string {
  const verb = r.step.startsWith('drop_') ? 'dropped' : 'changed';
  const failed = r.failed ? ` (${r.failed.toLocaleString('en-US')} failed)` : '';
  return `${r.step}${r.column ? ` ${r.column}` : ''} ${verb} ${r.rows.toLocaleString('en-US')}${failed}`;
}

const profileStep: Step<'profile'> = {
  name: 'profile',
  needs: ['import'],
  version: 2,
  description: 'Profile the columns, infer the schema and plan the feature steps over it',
  key: ({ project }) => ({
    task: project.config.task,
    features: project.config.features,
    exclude: project.config.data.exclude,
  }),
  async run({ project, stores }, inputs) {
    const version = await datasetVersion(stores.metadata, trainingDataId(inputs));
    const pipeline = planFeatures(project, version.schema.columns);
    const steps = pipeline.spec.steps.map((step, i) => ({
      name: step.name ?? `step ${i + 1}`,
      columns: [...step.columns],
    }));
    const used = new Set(steps.flatMap((step) => step.columns));
    const excluded = version.schema.columns
      .map((c) => c.name)
      .filter((name) => !used.has(name) && !notFeatures(project).includes(name));
    return { columns: version.schema.columns.length, steps, excluded };
  },
  summary: (o) =>
    o.steps.map((step) => `${step.columns.length} ${step.name}`).join(', ') +
    ' features' +
    (o.excluded.length ? `; ignoring ${o.excluded.join(', ')}` : ''),
};

const validateStep: Step<'validate'> = {
  name: 'validate',
  needs: ['import', 'profile'],
  version: 1,
  description: 'Check the batch against the schema; errors stop the pipeline',
  async key({ project, stores }, inputs) {
    // An edited schema (`keel data schema NAME --set FILE`) changes what is checked.
    const version = await datasetVersion(stores.metadata, trainingDataId(inputs));
    const { schemaVersion } = await effectiveSchema(stores.metadata, version.dataset, version.version);
    return { validation: project.config.validation, task: project.config.task, schemaVersion };
  },
  async run({ project, stores }, inputs) {
    const version = await datasetVersion(stores.metadata, trainingDataId(inputs));
    const { schema } = await effectiveSchema(stores.metadata, version.dataset, version.version);
    const { target, idColumn } = project.config.task;
    if (!version.schema.columns.some((c) => c.name === target)) {
      throw new KeelError(
        'invalid_data',
        `the target column "${target}" is not in dataset ${version.dataset} v${version.version}`,
        {
          field: 'task.target',
        },
      );
    }
    const table = await readTable(await stores.artifacts.localPath(version.artifact));
    const report = validateTable(table, schema, {
      maxMissingShare: project.config.validation?.maxMissingShare,
      idColumn,
    });
    const targetColumn = table.columns.find((c) => c.name === target);
    const missingTargets = targetColumn ? countMissing(targetColumn) : 0;
    const errors = report.anomalies.filter((a) => a.severity === 'error').map((a) => a.message);
    if (missingTargets > 0) errors.push(`${missingTargets} rows have no value for the target "${target}"`);
    if (errors.length > 0) {
      throw new KeelError('invalid_data', `validation failed: ${errors.join('; ')}`, { anomalies: report.anomalies });
    }
    const anomalies = report.anomalies;
    return { anomalies: anomalies.map(({ column, kind, severity, message }) => ({ column, kind, severity, message })) };
  },
  summary: (o) => (o.anomalies.length ? `${o.anomalies.length} warnings` : 'no anomalies'),
};

const splitStep: Step<'split'> = {
  name: 'split',
  needs: ['import', 'validate'],
  version: 1,
  description: 'Split into train and test: seeded random or stratified, by group, or by time',
  key: ({ project }) => ({
    split: project.config.split,
    target: project.config.task.target,
    task: project.config.task.type,
  }),
  async run({ project, stores }, inputs) {
    const { table } = await loadDataset(stores, trainingDataId(inputs));
    const split = project.config.split ?? {};
    const task = taskStrategy(project.config.task.type);
    const method = split.method ?? task.defaultSplit;
    const seed = split.seed ?? defaults.seed;
    const testSize = split.testSize ?? defaults.testSize;
    let indices: SplitIndices;
    let column: string | undefined;
    if (method === 'group' || method === 'time') {
      const field = method === 'group' ? 'split.groupColumn' : 'split.timeColumn';
      column = method === 'group' ? split.groupColumn : split.timeColumn;
      const values = splitColumn(project, table, column, field);
      // splitColumn has checked that every row has a value, so there is no null among the groups.
      const groups = values as ArrayLike<string | number>;
      indices = rethrowAs(project, field, column, () =>
        method === 'group' ? groupTrainTestSplit(groups, { testSize, seed }) : timeTrainTestSplit(values, { testSize }),
      );
    } else {
      const y = task.targetValues(table, project.config.task.target);
      indices = trainTestSplit(y, { testSize, seed, stratify: method === 'stratified' });
    }
    const { train, test } = indices;
    const ref = await stores.artifacts.put(encodeSplit(train, test));
    return {
      digest: ref.digest,
      train: train.length,
      test: test.length,
      method,
      seed: method === 'time' ? null : seed,
      ...(column !== undefined ? { column } : {}),
    };
  },
  summary: (o) =>
    `${o.method}${o.column ? ` by ${o.column}` : ''}, ${o.train.toLocaleString('en-US')} train / ` +
    `${o.test.toLocaleString('en-US')} test${o.seed === null ? '' : ` (seed ${o.seed})`}`,
};

const featuresStep: Step<'features'> = {
  name: 'features',
  needs: ['import', 'profile', 'split'],
  version: 2,
  description: 'Fit the feature pipeline on the training rows',
  key: ({ project }) => ({ features: project.config.features, target: project.config.task.target }),
  async run({ project, stores }, inputs) {
    const { version, table } = await loadDataset(stores, trainingDataId(inputs));
    const { train } = decodeSplit(await stores.artifacts.get(inputs.split.digest));
    const features = planFeatures(project, version.schema.columns);
    const trainTable = takeRows(table, train);
    // The target is only read by steps that learn from it (a target encoder).
    const y = taskStrategy(project.config.task.type).targetValues(trainTable, project.config.task.target);
    await features.fit(trainTable, ArrayBuffer.isView(y) ? y : y.map((label) => String(label)));
    const ref = await stores.artifacts.put(JSON.stringify(features.toJSON()));
    return { digest: ref.digest, features: features.featureNames.length };
  },
  summary: (o) => `${o.features} model inputs`,
};

const trainStep: Step<'train'> = {
  name: 'train',
  needs: ['import', 'split', 'features'],
  version: 1,
  description: 'Train every candidate algorithm; each is a tracked run',
  key: ({ project }) => ({ candidates: project.config.training.candidates, target: project.config.task.target }),
  async run(ctx, inputs, { pipelineRunId }) {
    const { project, stores, tracker } = ctx;
    const { table } = await loadDataset(stores, trainingDataId(inputs));
    const { train } = decodeSplit(await stores.artifacts.get(inputs.split.digest));
    const trainTable = takeRows(table, train);
    const features = FeaturePipeline.fromJSON(JSON.parse(await text(stores.artifacts, inputs.features.digest)));
    const X = features.transform(trainTable);
    const y = taskStrategy(project.config.task.type).targetValues(trainTable, project.config.task.target);
    const candidates: LifecycleOutputs['train']['candidates'] = [];
    for (const candidate of project.config.training.candidates) {
      const name = candidate.name ?? candidate.algorithm;
      const searched = Object.keys(candidate.search?.space ?? {});
      const baseParams = createEstimator(candidate.algorithm, candidate.params ?? {}).getParams();
      const run = await tracker.startRun({
        experiment: project.config.name,
        name,
        pipelineRunId,
        // Every effective param, defaults included, so a run says exactly how it was trained;
        // searched params are logged once the search has chosen them.
        params: {
          algorithm: candidate.algorithm,
          ...trackedParams(baseParams, (key) => !searched.includes(key)),
          ...(candidate.search ? { 'search.method': candidate.search.method } : {}),
        },
        datasetVersionIds: [trainingDataId(inputs)],
        tags: { 'keel.step': 'train', 'keel.features': inputs.features.digest },
        // The project file's hash, and the git commit of its folder when it is a checkout.
        source: { configHash: await sha256File(project.file), dir: project.dir },
      });
      try {
        const t0 = performance.now();
        const estimator = await fitCandidate(candidate, X, y, {
          run,
          tracker,
          experiment: project.config.name,
          pipelineRunId,
          metric: selectionMetric(project),
        });
        const seconds = (performance.now() - t0) / 1000;
        if (searched.length > 0) {
          await run.logParams(trackedParams(estimator.getParams(), (key) => searched.includes(key)));
        }
        await run.logMetrics({ fit_seconds: seconds, train_rows: X.rows });
        const digest = await run.logArtifact('model/estimator.json', JSON.stringify(estimator.toJSON()));
        candidates.push({ name, algorithm: candidate.algorithm, runId: run.id, estimator: digest, seconds });
      } catch (error) {
        await run.end('failed');
        throw error;
      }
    }
    return { candidates };
  },
  summary: (o) => o.candidates.map((c) => `${c.name} ${c.seconds.toFixed(2)}s`).join(', '),
};

const evaluateStep: Step<'evaluate'> = {
  name: 'evaluate',
  needs: ['import', 'split', 'features', 'train'],
  version: 2,
  description: 'Evaluate every candidate on the test rows (metrics, slices, errors) and pick the best',
  key: ({ project }) => {
    const { slices, sliceBins, minSliceRows } = project.config.evaluation ?? {};
    return {
      selectionMetric: project.config.training.selectionMetric,
      positive: project.config.task.positiveClass,
      idColumn: project.config.task.idColumn,
      slices: { slices, sliceBins, minSliceRows },
    };
  },
  async run({ project, stores, tracker }, inputs) {
    const { version, table } = await loadDataset(stores, trainingDataId(inputs));
    const { test } = decodeSplit(await stores.artifacts.get(inputs.split.digest));
    const testTable = takeRows(table, test);
    const testRows: TestRows = {
      table: testTable,
      indices: test,
      columnTypes: new Map(version.schema.columns.map((c) => [c.name, c.type])),
      split: {
        method: inputs.split.method,
        trainRows: inputs.split.train,
        testRows: inputs.split.test,
        seed: inputs.split.seed,
        ...(inputs.split.column !== undefined ? { column: inputs.split.column } : {}),
      },
    };
    const features = FeaturePipeline.fromJSON(JSON.parse(await text(stores.artifacts, inputs.features.digest)));
    const X = features.transform(testTable);
    const task = taskStrategy(project.config.task.type);
    const y = task.targetValues(testTable, project.config.task.target);
    const metric = selectionMetric(project);
    const results: LifecycleOutputs['evaluate']['results'] = [];
    for (const candidate of inputs.train.candidates) {
      const estimator = estimatorFromJSON(JSON.parse(await text(stores.artifacts, candidate.estimator)));
      const { metrics, report } = task.evaluate(estimator, X, y, project, testRows);
      const run = tracker.resume(candidate.runId);
      await run.logMetrics(metrics);
      const digest = await run.logArtifact(EVALUATION_REPORT_PATH, JSON.stringify(report));
      await run.end('finished');
      results.push({ name: candidate.name, runId: candidate.runId, metrics, report: digest });
    }
    const measured = results.filter((r) => r.metrics[metric] !== undefined);
    if (measured.length === 0) {
      throw new KeelError(
        'invalid_config',
        `selection metric "${metric}" was not measured; use one of ${Object.keys(results[0]?.metrics ?? {}).join(', ')}`,
        { field: 'training.selectionMetric' },
      );
    }
    const sign = greaterIsBetter(metric) ? 1 : -1;
    const best = measured.reduce((a, b) => (sign * (b.metrics[metric] - a.metrics[metric]) > 0 ? b : a));
    return { results, best: best.runId, metric };
  },
  summary: (o) => {
    const best = o.results.find((r) => r.runId === o.best);
    return (
      o.results.map((r) => `${r.name} ${o.metric} ${fmt(r.metrics[o.metric])}`).join(', ') +
      (best ? ` → best ${best.name}` : '')
    );
  },
};

const registerStep: Step<'register'> = {
  name: 'register',
  needs: ['import', 'split', 'features', 'train', 'evaluate'],
  version: 3,
  description:
    'Package the best candidate (features + estimator + signature + reference), register it with its model card',
  key: ({ project }) => ({ model: modelName(project), task: project.config.task }),
  async run(ctx, inputs, { pipelineRunId }) {
    const { project, stores, registry } = ctx;
    const best = inputs.train.candidates.find((c) => c.runId === inputs.evaluate.best);
    const result = inputs.evaluate.results.find((r) => r.runId === inputs.evaluate.best);
    if (!best || !result) throw new KeelError('internal', 'the best candidate is missing from the train step output');
    const { table } = await loadDataset(stores, trainingDataId(inputs));
    const { train, test } = decodeSplit(await stores.artifacts.get(inputs.split.digest));
    const featuresJson: unknown = JSON.parse(await text(stores.artifacts, inputs.features.digest));
    const estimatorJson = JSON.parse(await text(stores.artifacts, best.estimator)) as unknown;
    const features = FeaturePipeline.fromJSON(featuresJson);
    const estimator = estimatorFromJSON(estimatorJson);
    const inputsSignature = features.inputColumns();
    const output = outputReference(
      testOutputs(estimator, features.transform(takeRows(table, test)), project.config.task.positiveClass),
    );
    const pkg = createPackage({
      algorithm: best.algorithm,
      signature: {
        inputs: inputsSignature,
        task: project.config.task.type,
        classes: isClassifier(estimator) ? estimator.classes.map(String) : undefined,
      },
      features: featuresJson,
      estimator: estimatorJson,
      metrics: result.metrics,
      reference: { ...buildReference(takeRows(table, train), inputsSignature), output },
      lineage: { runId: best.runId, datasetVersionId: trainingDataId(inputs), pipelineRunId },
    });
    const version = await registry.register(modelName(project), pkg, {
      description: project.config.description,
      tags: { 'keel.pipeline_run': pipelineRunId },
    });
    await ctx.tracker.resume(best.runId).setTags({ 'keel.model_version': `${version.name}@${version.version}` });
    // The card as known at registration; the gate step adds its decision.
    await registry.writeCard(version, { intendedUse: intendedUseOf(project.config) });
    return { model: version.name, version: version.version, runId: best.runId };
  },
  summary: (o) => `${o.model}@${o.version}`,
};

/**
 * The model's outputs on the test split, for the output (prediction drift) reference: the
 * probabilities and labels of a classifier, the values of a regressor.
 */
function testOutputs(estimator: Estimator, X: DenseMatrix, positiveClass: string | undefined): ModelOutputs {
  if (isClassifier(estimator)) {
    const classes = estimator.classes.map(String);
    return {
      rows: X.rows,
      labels: estimator.predict(X).map(String),
      probabilities: { classes, data: estimator.predictProba(X).data },
      ...(positiveClass !== undefined ? { positiveClass } : {}),
    };
  }
  return { rows: X.rows, values: Float64Array.from(estimator.predict(X) as ArrayLike<number>) };
}

const gateStep: Step<'gate'> = {
  name: 'gate',
  needs: ['import', 'split', 'register', 'evaluate'],
  version: 2,
  description: 'Check thresholds, predict latency and the current champion; bless and promote when all hold',
  async key({ project, stores }, inputs) {
    const { model, version } = inputs.register;
    const alias = project.config.registry?.alias ?? defaults.alias;
    const champion = await stores.metadata.getAlias(model, alias);
    return {
      thresholds: project.config.evaluation?.thresholds,
      maxLatencyMs: maxLatencyMs(project),
      minImprovement: project.config.registry?.minImprovement,
      alias,
      // The decision depends on the champion it is compared with; once this candidate is the
      // champion there is nothing to compare, as on the run that promoted it.
      champion: champion === version ? null : champion,
    };
  },
  async run({ project, stores, registry, actor }, inputs) {
    const alias = project.config.registry?.alias ?? defaults.alias;
    const { model, version } = inputs.register;
    const candidate = inputs.evaluate.results.find((r) => r.runId === inputs.evaluate.best);
    const registered = await registry.resolve(`${model}@${version}`);
    const latencyMs = measurePredictLatency(
      await registry.load(registered),
      await latencyRows(project, stores, inputs),
    );
    const championVersion = await stores.metadata.getAlias(model, alias);
    const champion = championVersion !== null ? await stores.metadata.getModelVersion(model, championVersion) : null;
    const compared = champion && champion.version !== version ? champion : null;
    const decision = evaluateGate(
      {
        thresholds: project.config.evaluation?.thresholds ?? {},
        selectionMetric: selectionMetric(project),
        greaterIsBetter: greaterIsBetter(selectionMetric(project)),
        minImprovement: project.config.registry?.minImprovement ?? 0,
        maxLatencyMs: maxLatencyMs(project),
      },
      candidate?.metrics ?? {},
      compared,
      latencyMs,
    );
    const blessed = await registry.bless(registered, {
      passed: decision.passed,
      alias,
      reasons: [...decision.reasons],
      checks: [...decision.checks],
      champion: compared?.version ?? null,
      latencyMs,
      actor,
      at: new Date().toISOString(),
    });
    // Only a blessed version is promoted automatically; a person can override (`keel models alias --force`).
    if (decision.passed) {
      await registry.setAlias(model, alias, version, { actor, reason: `gate passed: ${decision.reasons.join('; ')}` });
    }
    await registry.writeCard(blessed);
    return {
      model,
      candidate: version,
      passed: decision.passed,
      reasons: [...decision.reasons],
      champion: decision.passed ? version : championVersion,
      latencyMs,
    };
  },
  summary: (o) =>
    (o.passed
      ? `v${o.candidate} is champion`
      : `v${o.candidate} not promoted (${o.reasons.filter((r) => /below|above|not/.test(r)).join('; ')})`) +
    `; predict p99 ${o.latencyMs.p99.toFixed(2)} ms`,
};

/** The gate's latency bounds: `evaluation.maxLatencyMs`, else the endpoint's whole-request budget. */
function maxLatencyMs(project: Project): { p50?: number; p95?: number; p99?: number } | undefined {
  const budget = project.config.serving?.latencyBudgetMs;
  return project.config.evaluation?.maxLatencyMs ?? (budget ? { p99: budget.p99 } : undefined);
}

/** Rows the gate times predictions on: up to 200 test rows, raw, as a request would send them. */
const LATENCY_ROWS = 200;

async function latencyRows(
  project: Project,
  stores: LifecycleContext['stores'],
  inputs: LifecycleOutputs,
): Promise<Record<string, unknown>[]> {
  const { table } = await loadDataset(stores, trainingDataId(inputs));
  const { test } = decodeSplit(await stores.artifacts.get(inputs.split.digest));
  const rows = test.subarray(0, LATENCY_ROWS);
  return Array.from(rows, (i) => rowAt(table, i, [project.config.task.target]));
}

const deployStep: Step<'deploy'> = {
  name: 'deploy',
  needs: ['gate'],
  version: 1,
  description: 'Point the endpoint at the champion (as a progressive rollout with serving.rollout)',
  key: ({ project }) => ({ endpoint: endpointName(project) }),
  async run({ project, stores, actor }, inputs) {
    const endpoint = endpointName(project);
    const { model, champion } = inputs.gate;
    if (champion === null) {
      throw new KeelError(
        'failed_precondition',
        `no version of "${model}" passed the gate, so there is nothing to deploy: ${inputs.gate.reasons.join('; ')}`,
      );
    }
    const current = await stores.metadata.getEndpoint(endpoint);
    const serving =
      current?.policy.routes.length === 1 &&
      current.policy.routes[0].model === model &&
      current.policy.routes[0].version === champion;
    // With a rollout plan, a new champion ramps up as a canary under guardrails instead of taking
    // all traffic at once; a rollout of it already running is left to the rollout controller.
    const plan = projectRolloutPlan(project.config);
    const primary = current ? strategyOf(current.policy.strategy).stable(current.policy) : null;
    if (plan && primary && !(primary.model === model && primary.version === champion)) {
      const rollout = current?.policy.rollout;
      const rolling = isActive(rollout) && rollout.candidate.model === model && rollout.candidate.version === champion;
      if (!rolling) {
        await deploy(
          stores.metadata,
          endpoint,
          { model: { name: model, version: champion }, rollout: plan },
          { actor, reason: `pipeline started a rollout of ${model}@${champion}` },
        );
      }
      return { endpoint, model, version: champion, changed: !rolling, rollout: true };
    }
    if (!serving) {
      await deployDirect(
        stores.metadata,
        endpoint,
        { name: model, version: champion },
        { actor, reason: `pipeline deployed ${model}@${champion}` },
      );
    }
    return { endpoint, model, version: champion, changed: !serving };
  },
  summary: (o) =>
    o.rollout
      ? `endpoint ${o.endpoint}: rollout of ${o.model}@${o.version} ${o.changed ? 'started' : 'running'}`
      : `endpoint ${o.endpoint} → ${o.model}@${o.version}${o.changed ? '' : ' (already serving)'}`,
};

type AnyStep = StepDefinition<LifecycleContext, LifecycleOutputs>;

const steps = [
  importStep,
  profileStep,
  validateStep,
  splitStep,
  featuresStep,
  trainStep,
  evaluateStep,
  registerStep,
  gateStep,
  deployStep,
] as readonly AnyStep[];

/**
 * The lifecycle DAG of a project. With `cleaning`, a `clean` step follows `import` and every
 * step that reads the data reads the cleaned version (so it needs `clean`, whose output is then
 * part of its cache key); without it the pipeline has no `clean` step at all.
 */
export function lifecyclePipeline(project: Project): Pipeline<LifecycleContext, LifecycleOutputs> {
  if (!project.config.cleaning?.length) return { name: 'lifecycle', steps };
  const [first, ...rest] = steps;
  const readingCleaned = rest.map((step): AnyStep =>
    step.needs.includes('import') ? { ...step, needs: [...step.needs, 'clean'] } : step,
  );
  return { name: 'lifecycle', steps: [first, cleanStep as AnyStep, ...readingCleaned] };
}

/**
 * Checks the split settings before anything runs: group and time splits name their column,
 * and a column is only named for the method that uses it. That the column exists is checked
 * by the split step, against the data.
 */
export function checkSplit(project: Project): void {
  const split = project.config.split ?? {};
  const fail = (field: string, message: string) => {
    throw new KeelError('invalid_config', `${project.file}: ${field}: ${message}`, { field });
  };
  for (const [method, key] of [
    ['group', 'groupColumn'],
    ['time', 'timeColumn'],
  ] as const) {
    if (split.method === method && !split[key]) fail(`split.${key}`, `is required when split.method is ${method}`);
    if (split[key] && split.method !== method) fail(`split.${key}`, `is only used when split.method is ${method}`);
  }
}

// ---------------------------------------------------------------------------------------------

export function modelName(project: Project): string {
  return project.config.registry?.model ?? project.config.name;
}

export function endpointName(project: Project): string {
  return project.config.serving?.endpoint ?? project.config.name;
}

function sourcePath(project: Project): string {
  const { source } = project.config.data;
  if (!('path' in source)) throw new KeelError('invalid_config', `data.source.type ${source.type} has no path`);
  return resolve(project.dir, source.path);
}

/** Columns that are never features: the target, the id column and `data.exclude`. */
function notFeatures(project: Project): string[] {
  const { target, idColumn } = project.config.task;
  return [target, ...(idColumn ? [idColumn] : []), ...(project.config.data.exclude ?? [])];
}

/** The unfitted feature pipeline of the project file's `features` over a dataset schema. */
export function planFeatures(project: Project, columns: readonly ColumnSchema[]): FeaturePipeline {
  try {
    return featurePipelineFromConfig(project.config.features, columns, {
      exclude: notFeatures(project),
      task: project.config.task.type,
    });
  } catch (error) {
    throw inProjectFile(project, error);
  }
}

/** A config error (naming a key such as `features.steps[0].columns`) with the project file it is in. */
function inProjectFile(project: Project, error: unknown): unknown {
  if (error instanceof KeelError && error.code === 'invalid_config' && !error.message.startsWith(project.file)) {
    return new KeelError(error.code, `${project.file}: ${error.message}`, error.details, { cause: error });
  }
  return error;
}

/** The dataset version the model is built from: the cleaned one when the project cleans. */
function trainingDataId(inputs: LifecycleOutputs): string {
  return inputs.clean?.datasetVersionId ?? inputs.import.datasetVersionId;
}

/** The values of the split's group or time column; every row needs one. */
function splitColumn(
  project: Project,
  table: Table,
  name: string | undefined,
  field: string,
): Float64Array | ReadonlyArray<string | null> {
  const column = table.columns.find((c) => c.name === name);
  if (!column) {
    throw new KeelError(
      'invalid_config',
      `${project.file}: ${field}: no column "${name}" in the data (columns: ${table.columns.map((c) => c.name).join(', ')})`,
      { field },
    );
  }
  const missing = countMissing(column);
  if (missing > 0) {
    throw new KeelError(
      'invalid_data',
      `${project.file}: ${field}: column "${name}" has no value in ${missing} rows; drop or repair them in cleaning`,
      { field },
    );
  }
  return column.values;
}

/** Runs a split, naming the project file's key in its errors (a bad time value, too few groups). */
function rethrowAs(
  project: Project,
  field: string,
  column: string | undefined,
  split: () => SplitIndices,
): SplitIndices {
  try {
    return split();
  } catch (error) {
    if (!(error instanceof KeelError) || error.details.field === 'testSize') throw error;
    throw new KeelError(
      'invalid_data',
      `${project.file}: ${field}: column "${column}": ${error.message}`,
      { ...error.details, field },
      { cause: error },
    );
  }
}

async function datasetVersion(metadata: MetadataStore, id: string): Promise<DatasetVersion> {
  const version = await metadata.getDatasetVersionById(id);
  if (!version) throw new KeelError('not_found', `dataset version ${id} is missing from the metadata store`);
  return version;
}

async function loadDataset(
  stores: LifecycleContext['stores'],
  id: string,
): Promise<{ version: DatasetVersion; table: Table }> {
  const version = await datasetVersion(stores.metadata, id);
  return { version, table: await readTable(await stores.artifacts.localPath(version.artifact)) };
}

function countMissing(column: Table['columns'][number]): number {
  let n = 0;
  if (column.kind === 'number') for (const v of column.values) n += Number.isNaN(v) ? 1 : 0;
  else for (const v of column.values) n += v === null ? 1 : 0;
  return n;
}

/** Train and test indices as one little-endian Uint32 buffer: [trainCount, ...train, ...test]. */
function encodeSplit(train: Uint32Array, test: Uint32Array): Uint8Array {
  const all = new Uint32Array(1 + train.length + test.length);
  all[0] = train.length;
  all.set(train, 1);
  all.set(test, 1 + train.length);
  return new Uint8Array(all.buffer);
}

/** The row indices of a split step's artifact (its format: n, then the n training indices, then the test ones). */
export function decodeSplit(bytes: Uint8Array): { train: Uint32Array; test: Uint32Array } {
  const all = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const n = all[0];
  return { train: all.subarray(1, 1 + n), test: all.subarray(1 + n) };
}

async function text(artifacts: ArtifactStore, digest: string): Promise<string> {
  return new TextDecoder().decode(await artifacts.get(digest));
}

function fmt(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(3);
}
