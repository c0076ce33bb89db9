import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { KeelError } from './errors.js';

/**
 * The project file, `keel.yaml`: the ML canvas. It records what is predicted, how success is
 * measured, where the data comes from, and the policies for serving, monitoring and
 * retraining. Everything downstream reads it; nothing downstream re-asks the user.
 */

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase name' });

const MetricThreshold = Type.Object(
  {
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

const ParamLiteral = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]);

/** A search dimension: a list of values, or a distribution to sample (random and halving search). */
const SearchDimension = Type.Union(
  [
    Type.Array(ParamLiteral, { minItems: 1 }),
    Type.Object(
      {
        distribution: Type.Union([Type.Literal('uniform'), Type.Literal('loguniform'), Type.Literal('randint')]),
        low: Type.Number(),
        high: Type.Number(),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a list of values or { distribution: uniform | loguniform | randint, low, high }' },
);

const Candidate = Type.Object(
  {
    /** A registered algorithm (`keel` checks the name against the ML registry before running). */
    algorithm: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'an algorithm name such as random_forest' }),
    name: Type.Optional(Type.String({ minLength: 1 })),
    params: Type.Optional(Type.Record(Type.String(), ParamLiteral)),
    /** Hyperparameter search over `space`, scored by cross-validation on the training rows. */
    search: Type.Optional(
      Type.Object(
        {
          method: Type.Union([Type.Literal('grid'), Type.Literal('random'), Type.Literal('halving')]),
          space: Type.Record(Type.String(), SearchDimension),
          /** Sampled candidates for random search (default 10). */
          trials: Type.Optional(Type.Integer({ minimum: 1 })),
          /** Cross-validation folds (default 5). */
          cv: Type.Optional(Type.Integer({ minimum: 2, maximum: 20 })),
          /** Trials run in parallel on this many worker threads (default 1). */
          nJobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          seed: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const MissingMarkers = Type.Array(Type.String(), { description: 'field values read as missing' });

/** Where the data comes from. Every source is read by DuckDB into a Parquet dataset version. */
const DataSource = Type.Union(
  [
    Type.Object(
      {
        type: Type.Union([Type.Literal('csv'), Type.Literal('tsv')]),
        path: Type.String({ minLength: 1 }),
        /** One character; default `,` (csv) or a tab (tsv). */
        delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
        quote: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
        escape: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
        header: Type.Optional(Type.Boolean()),
        missing: Type.Optional(MissingMarkers),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Union([Type.Literal('parquet'), Type.Literal('json'), Type.Literal('ndjson')]),
        path: Type.String({ minLength: 1 }),
        missing: Type.Optional(MissingMarkers),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('postgres'),
        /** postgres://user@host:port/db; `urlEnv` names an environment variable holding it instead. */
        url: Type.Optional(Type.String({ minLength: 1 })),
        urlEnv: Type.Optional(Type.String({ minLength: 1 })),
        query: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('http'),
        /** An http(s) URL answering with JSON: an array of records, or an object holding one at `recordsPath`. */
        url: Type.String({ pattern: '^https?://' }),
        headers: Type.Optional(Type.Record(Type.String(), Type.String())),
        recordsPath: Type.Optional(Type.String({ minLength: 1 })),
        /** How long the whole download may take; default 30. */
        timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'a source: { type: csv | tsv | parquet | json | ndjson, path } or { type: postgres, url, query } or { type: http, url }',
  },
);

const ColumnList = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
const CastType = Type.Union([
  Type.Literal('integer'),
  Type.Literal('float'),
  Type.Literal('boolean'),
  Type.Literal('string'),
  Type.Literal('datetime'),
]);

/** One declarative cleaning step; each reports how many rows it touched. */
const CleaningStep = Type.Union(
  [
    Type.Object(
      { step: Type.Literal('drop_duplicates'), columns: Type.Optional(ColumnList) },
      { additionalProperties: false },
    ),
    Type.Object({ step: Type.Literal('drop_missing'), columns: ColumnList }, { additionalProperties: false }),
    Type.Object(
      {
        step: Type.Literal('drop_rows'),
        /** A SQL condition over the columns (DuckDB syntax); matching rows are dropped. */
        where: Type.String({ minLength: 1 }),
        reason: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        step: Type.Literal('repair'),
        column: Type.String({ minLength: 1 }),
        /** A SQL condition; default: the value is missing. */
        where: Type.Optional(Type.String({ minLength: 1 })),
        /** The replacement: a literal, or `{ expr: SQL }`. */
        set: Type.Union([
          Type.Number(),
          Type.String(),
          Type.Boolean(),
          Type.Null(),
          Type.Object({ expr: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        ]),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        step: Type.Literal('cast'),
        column: Type.String({ minLength: 1 }),
        to: CastType,
        /** strptime format for text → datetime, e.g. `%d-%m-%Y`. */
        format: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    Type.Object({ step: Type.Literal('trim'), columns: Type.Optional(ColumnList) }, { additionalProperties: false }),
    Type.Object(
      {
        step: Type.Literal('normalize_missing'),
        markers: Type.Array(Type.String(), { minItems: 1 }),
        columns: Type.Optional(ColumnList),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'a step: drop_duplicates | drop_missing | drop_rows | repair | cast | trim | normalize_missing, with its settings',
  },
);

/** Which columns a feature step takes: names, every column of a schema type, or names matching a pattern. */
const ColumnSelector = Type.Union(
  [
    ColumnList,
    Type.Object(
      {
        type: Type.Union([
          Type.Literal('numeric'),
          Type.Literal('categorical'),
          Type.Literal('boolean'),
          Type.Literal('datetime'),
          Type.Literal('string'),
        ]),
        exclude: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { pattern: Type.String({ minLength: 1 }), exclude: Type.Optional(Type.Array(Type.String())) },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'a list of columns, { type: numeric | categorical | boolean | datetime | string }, or { pattern: REGEX }',
  },
);

/**
 * One transform and its params, e.g. `{ type: simple_imputer, strategy: median }`. The params
 * are checked by the transform itself, which names the offending key.
 */
const TransformSpec = Type.Object(
  { type: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'a transform name such as standard_scaler' }) },
  { additionalProperties: true },
);

const FeatureStep = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    columns: ColumnSelector,
    transforms: Type.Array(TransformSpec, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const Max = (options: { minimum?: number; maximum?: number; exclusiveMinimum?: number }) =>
  Type.Object({ max: Type.Number(options) }, { additionalProperties: false });

/** A drift test by name (monitoring.drift); `auto` chooses by column type and sample size. */
const DriftMethodConfig = Type.Union([
  Type.Literal('auto'),
  Type.Literal('psi'),
  Type.Literal('ks'),
  Type.Literal('wasserstein'),
  Type.Literal('jensenshannon'),
  Type.Literal('chisquare'),
]);

/**
 * A rollout plan: the candidate's percent per step (ascending, ending at 100; checked when the
 * plan is used), the bake time per step, who approves steps, and the guardrails that roll it back.
 */
const RolloutPlanConfig = Type.Object(
  {
    steps: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1 })),
    bake: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'a duration such as 10m' })),
    automation: Type.Optional(
      Type.Union([Type.Literal('manual'), Type.Literal('auto-until-100'), Type.Literal('auto')]),
    ),
    guardrails: Type.Optional(
      Type.Object(
        {
          errorRate: Type.Optional(Max({ minimum: 0, maximum: 1 })),
          p99Ms: Type.Optional(Max({ exclusiveMinimum: 0 })),
          predictionDrift: Type.Optional(Max({ exclusiveMinimum: 0 })),
          accuracy: Type.Optional(
            Type.Object(
              {
                min: Type.Number({ minimum: 0, maximum: 1 }),
                minLabels: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          minRequests: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const AlertDuration = Type.String({
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  description: 'a duration such as 30s, 5m, 1h',
});

/**
 * One alert rule: `metric` compared with `condition` over the last `window`, true for at least
 * `for` before it fires. `metric` names a registered metric source (error_rate, latency_p99_ms,
 * throughput_rps, requests, drift_share, drift:<feature>, …); `endpoint` omitted means every endpoint.
 */
const AlertRuleConfig = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
      description: 'a name of letters, digits, _ . : -',
    }),
    endpoint: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$', description: 'an endpoint name' }),
    ),
    metric: Type.String({ minLength: 1, maxLength: 200 }),
    condition: Type.Object(
      {
        op: Type.Union([Type.Literal('>'), Type.Literal('>='), Type.Literal('<'), Type.Literal('<=')]),
        value: Type.Number(),
      },
      { additionalProperties: false },
    ),
    window: Type.Optional(AlertDuration),
    for: Type.Optional(AlertDuration),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')])),
    webhooks: Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://[^\\s]+$', description: 'an http:// or https:// URL' })),
    ),
  },
  { additionalProperties: false },
);

export type AlertRuleConfig = Static<typeof AlertRuleConfig>;

export const ProjectSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    task: Type.Object(
      {
        type: Type.Union([
          Type.Literal('binary_classification'),
          Type.Literal('multiclass_classification'),
          Type.Literal('regression'),
        ]),
        target: Type.String({ minLength: 1 }),
        positiveClass: Type.Optional(Type.String()),
        idColumn: Type.Optional(Type.String()),
        /** What the prediction is used for: the decision it drives. */
        decision: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    kpis: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String(), description: Type.String(), target: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
    ),
    data: Type.Object(
      {
        dataset: Name,
        source: DataSource,
        /** Columns never used as features (besides the id and the target). */
        exclude: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
    /** Declarative cleaning of the imported rows, in order; the result is a derived dataset version. */
    cleaning: Type.Optional(Type.Array(CleaningStep)),
    validation: Type.Optional(
      Type.Object(
        {
          /** Largest share of missing values tolerated per column before the batch fails. */
          maxMissingShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    split: Type.Optional(
      Type.Object(
        {
          /**
           * random | stratified (by the target) | group (rows sharing `groupColumn` stay on one
           * side) | time (the latest `testSize` share of `timeColumn` is the test set).
           */
          method: Type.Optional(
            Type.Union([
              Type.Literal('random'),
              Type.Literal('stratified'),
              Type.Literal('group'),
              Type.Literal('time'),
            ]),
          ),
          testSize: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
          seed: Type.Optional(Type.Integer()),
          groupColumn: Type.Optional(Type.String({ minLength: 1 })),
          timeColumn: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    features: Type.Optional(
      Type.Object(
        {
          /** The default recipe, used when `steps` is absent: numeric → impute → scale; categorical → impute → one-hot. */
          numeric: Type.Optional(Type.Array(Type.String())),
          categorical: Type.Optional(Type.Array(Type.String())),
          numericImpute: Type.Optional(Type.Union([Type.Literal('mean'), Type.Literal('median')])),
          scale: Type.Optional(Type.Union([Type.Literal('standard'), Type.Literal('none')])),
          /** New columns computed per row from an expression over raw columns, before the steps. */
          derived: Type.Optional(
            Type.Array(
              Type.Object(
                { name: Type.String({ minLength: 1 }), expr: Type.String({ minLength: 1 }) },
                { additionalProperties: false },
              ),
            ),
          ),
          /** The full pipeline (scikit-learn's ColumnTransformer): each step's columns go through its transforms. */
          steps: Type.Optional(Type.Array(FeatureStep, { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    training: Type.Object(
      {
        candidates: Type.Array(Candidate, { minItems: 1 }),
        /** The metric that picks the best candidate (higher is better). */
        selectionMetric: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    evaluation: Type.Optional(
      Type.Object(
        {
          thresholds: Type.Optional(Type.Record(Type.String(), MetricThreshold)),
          /** Columns the test rows are sliced by in the evaluation report; numeric ones into quantile bins. */
          slices: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Quantile bins per numeric slice column (default 4). */
          sliceBins: Type.Optional(Type.Integer({ minimum: 2, maximum: 20 })),
          /** Slices with fewer test rows are reported but not ranked among the worst (default 30). */
          minSliceRows: Type.Optional(Type.Integer({ minimum: 1 })),
          /** The gate: most single-row predict latency, measured in-process on test rows (default: serving.latencyBudgetMs). */
          maxLatencyMs: Type.Optional(
            Type.Object(
              {
                p50: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
                p95: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
                p99: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    registry: Type.Optional(
      Type.Object(
        {
          model: Type.Optional(Name),
          /** The challenger must beat the current champion's selection metric by this much. */
          minImprovement: Type.Optional(Type.Number()),
          alias: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    serving: Type.Optional(
      Type.Object(
        {
          endpoint: Type.Optional(Name),
          latencyBudgetMs: Type.Optional(
            Type.Object({ p99: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
          ),
          throughputRps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          /** The progressive rollout of a canary (`keel deploy --strategy canary`); see docs/deployment.md. */
          rollout: Type.Optional(RolloutPlanConfig),
        },
        { additionalProperties: false },
      ),
    ),
    monitoring: Type.Optional(
      Type.Object(
        {
          /** Input and output drift; see docs/monitoring.md for the methods and their defaults. */
          drift: Type.Optional(
            Type.Object(
              {
                /** The test for every feature; `auto` picks one by type and sample size. */
                method: Type.Optional(DriftMethodConfig),
                /** The same as `method`, kept from when PSI was the only one. */
                metric: Type.Optional(DriftMethodConfig),
                /** The threshold of `method` (a p-value for ks and chisquare, else a distance). */
                threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
                /** Multiple-testing correction of the p-values across features (default bh). */
                correction: Type.Optional(Type.Union([Type.Literal('bh'), Type.Literal('none')])),
                /** Dataset drift when at least this share of the features drifted (default 0.5). */
                share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
                /** Per-feature overrides of method and threshold, by feature name. */
                features: Type.Optional(
                  Type.Record(
                    Type.String({ minLength: 1 }),
                    Type.Object(
                      {
                        method: Type.Optional(DriftMethodConfig),
                        threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
                      },
                      { additionalProperties: false },
                    ),
                  ),
                ),
                window: Type.Optional(Type.String({ pattern: '^[0-9]+(s|m|h|d)$' })),
                minRows: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          errorRate: Type.Optional(
            Type.Object({ max: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
          ),
          /** Alert rules over monitoring metrics (docs/metrics-and-alerts.md). */
          alerts: Type.Optional(Type.Array(AlertRuleConfig)),
        },
        { additionalProperties: false },
      ),
    ),
    retraining: Type.Optional(
      Type.Object(
        {
          schedule: Type.Optional(Type.String()),
          triggers: Type.Optional(
            Type.Array(Type.Union([Type.Literal('new_data'), Type.Literal('drift'), Type.Literal('quality_drop')])),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ProjectConfig = Static<typeof ProjectSchema>;
export type DataSourceConfig = Static<typeof DataSource>;
export type CleaningStepConfig = Static<typeof CleaningStep>;
export type ColumnSelectorConfig = Static<typeof ColumnSelector>;
export type TransformSpecConfig = Static<typeof TransformSpec> & Readonly<Record<string, unknown>>;
export type FeatureStepConfig = Static<typeof FeatureStep>;

export interface Project {
  readonly config: ProjectConfig;
  /** Folder holding keel.yaml; relative paths in the file resolve against it. */
  readonly dir: string;
  readonly file: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateProject = ajv.compile<ProjectConfig>(ProjectSchema);

/** Reads `keel.yaml` from a folder (or a file path) and validates it. */
export function loadProject(path: string): Project {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new KeelError('not_found', `no project at ${path}: the folder or file does not exist`, { file: path });
  }
  const file = statSync(abs).isDirectory() ? join(abs, 'keel.yaml') : abs;
  if (!existsSync(file)) {
    throw new KeelError('not_found', `no keel.yaml in ${path} (run \`keel init\` to create one)`, { file });
  }
  return { config: parseProject(readFileSync(file, 'utf8'), file), dir: dirname(file), file };
}

/** Parses and validates project YAML; errors name the file, line and key. */
export function parseProject(text: string, file = 'keel.yaml'): ProjectConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0]?.line ?? lineAt(text, first.pos[0]);
    throw new KeelError(
      'invalid_config',
      `${file}${line ? `:${line}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`,
      {
        file,
        line,
      },
    );
  }
  const value: unknown = doc.toJS();
  if (!validateProject(value)) {
    const error = mostSpecific(validateProject.errors ?? []);
    const field = keyPath(error);
    throw new KeelError('invalid_config', `${file}: ${field || '(top level)'}: ${describe(error)}`, { file, field });
  }
  return value;
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

export function projectJsonSchema(): TSchema {
  return ProjectSchema;
}

/** Ajv reports every branch of a union; the deepest error is the one a user can act on. */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => keyPath(e).split(/[.[]/).length;
  const bonus: Record<string, number> = { additionalProperties: 5, required: 5, anyOf: 3 };
  const score = (e: ErrorObject) => depth(e) * 10 + (bonus[e.keyword] ?? 0);
  return [...errors].sort((a, b) => score(b) - score(a))[0];
}

function keyPath(error: ErrorObject): string {
  let path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') path = join2(path, String(params.additionalProperty));
  if (error.keyword === 'required') path = join2(path, String(params.missingProperty));
  return path;
}

function join2(a: string, b: string): string {
  return a ? `${a}.${b}` : b;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return 'unknown key (check its spelling and where it is nested)';
    case 'required':
      return 'is required';
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'anyOf': {
      // A union of literals reads best as its list of values; other unions by their description.
      const options = (error.parentSchema?.anyOf as Array<{ const?: unknown }> | undefined) ?? [];
      const allowed = options.map((o) => o.const).filter((c) => c !== undefined);
      if (allowed.length > 0 && allowed.length === options.length) return `must be one of: ${allowed.join(', ')}`;
      const description = error.parentSchema?.description as string | undefined;
      return description ? `must be ${description}` : 'is not one of the allowed forms';
    }
    case 'pattern':
      return (
        `must match ${String(params.pattern)}` +
        (error.parentSchema?.description ? ` (${error.parentSchema.description})` : '')
      );
    default:
      return error.message ?? 'is invalid';
  }
}
