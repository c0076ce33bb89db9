/**
 * Keel's entities: plain readonly records. Stores turn storage rows into these before they
 * leave the store; the HTTP API returns them as JSON unchanged, so the dashboard and the client
 * share these types with the server.
 *
 * Timestamps are ISO-8601 strings in UTC.
 */

// ---------------------------------------------------------------------------------------------
// Data

/** Logical column types of a dataset schema. */
export type ColumnType = 'integer' | 'float' | 'boolean' | 'categorical' | 'string' | 'datetime';

export interface ColumnInfo {
  readonly name: string;
  readonly type: ColumnType;
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** Allowed values of a categorical column. */
  readonly domain?: readonly string[];
  /** Observed range of a numeric column. */
  readonly min?: number;
  readonly max?: number;
}

export interface DataSchema {
  readonly columns: readonly ColumnSchema[];
}

export interface HistogramBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

export interface TopValue {
  readonly value: string;
  readonly count: number;
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: ColumnType;
  readonly count: number;
  readonly missing: number;
  readonly distinct: number;
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly std?: number;
  /** Quantiles keyed by probability: `{ "0.05": …, "0.25": …, "0.5": …, "0.75": …, "0.95": … }`. */
  readonly quantiles?: Readonly<Record<string, number>>;
  readonly histogram?: readonly HistogramBin[];
  readonly topValues?: readonly TopValue[];
}

export interface DataProfile {
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

export interface DatasetSource {
  /** `derived`: made by Keel from another version (cleaning); `options` names the parent and the steps. */
  readonly kind: 'csv' | 'parquet' | 'json' | 'ndjson' | 'postgres' | 'http' | 'derived';
  /** File path, URL or connection string (without credentials); for `derived`, the parent `dataset@version`. */
  readonly uri: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface DatasetVersion {
  readonly id: string;
  readonly dataset: string;
  /** 1, 2, 3 … per dataset name. */
  readonly version: number;
  /** sha256 of the imported content and the options that shaped it. */
  readonly contentHash: string;
  /** Artifact digest of the Parquet file holding the rows. */
  readonly artifact: string;
  readonly source: DatasetSource;
  readonly rows: number;
  readonly columns: readonly ColumnInfo[];
  readonly schema: DataSchema;
  readonly profile: DataProfile;
  readonly createdAt: string;
}

export interface DatasetSummary {
  readonly name: string;
  readonly versions: number;
  readonly latest: DatasetVersion;
}

/**
 * Where a stored schema came from: `edited` by a user (it then applies to every version of the
 * dataset), or `inferred` from a version's data (stored to end a run of edits, or as a record).
 */
export type SchemaSource = 'inferred' | 'edited';

/** A stored, numbered schema of a dataset; versions are immutable, an edit is a new version. */
export interface SchemaVersion {
  readonly dataset: string;
  /** 1, 2, 3 … per dataset name (independent of the dataset's version numbers). */
  readonly version: number;
  readonly schema: DataSchema;
  readonly source: SchemaSource;
  /** The dataset version it was inferred from or edited against; null when none was named. */
  readonly basedOn: number | null;
  /** Why it changed, in the author's words; '' when none was given. */
  readonly note: string;
  readonly createdAt: string;
}

// ---------------------------------------------------------------------------------------------
// Tracking

export type RunStatus = 'running' | 'finished' | 'failed';
export type ParamValue = string | number | boolean;

export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  readonly timestamp: string;
}

export interface ArtifactEntry {
  /** Name of the artifact inside the run, e.g. `model/package.json`. */
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/** What produced a run: the hash of its config (e.g. the project file) and the code's git commit, when known. */
export interface RunSource {
  /** sha256 (hex) of the configuration the run was started from; null when none was given. */
  readonly configHash: string | null;
  /** `git rev-parse HEAD` of the project folder; null outside a git checkout. */
  readonly gitCommit: string | null;
}

export interface Run {
  readonly id: string;
  readonly experiment: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly parentRunId: string | null;
  readonly pipelineRunId: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** `endedAt − startedAt` in milliseconds; null while the run is running. */
  readonly durationMs: number | null;
  /** A free-text description of the run; '' when none was set. */
  readonly note: string;
  readonly source: RunSource;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Latest value of every metric: the point with the highest step. */
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * How many points each metric's series holds (1 for a metric logged once); the series
   * itself is `getMetricHistory(runId, key)`.
   */
  readonly metricPoints: Readonly<Record<string, number>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly datasetVersionIds: readonly string[];
  readonly artifacts: readonly ArtifactEntry[];
}

// ---------------------------------------------------------------------------------------------
// Registry

export interface SignatureColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** Known categories, for validation and one-hot encoding. */
  readonly domain?: readonly string[];
}

export interface ModelSignature {
  readonly inputs: readonly SignatureColumn[];
  readonly task: TaskType;
  /** Class labels in the order of `probabilities`, for classifiers. */
  readonly classes?: readonly string[];
}

export type TaskType = 'binary_classification' | 'multiclass_classification' | 'regression';

export interface RegisteredModel {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly latestVersion: number;
  readonly aliases: Readonly<Record<string, number>>;
}

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly runId: string | null;
  readonly datasetVersionId: string | null;
  /** Artifact digest of the model package. */
  readonly artifact: string;
  readonly algorithm: string;
  readonly signature: ModelSignature;
  readonly metrics: Readonly<Record<string, number>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: string;
  /** The gate's latest decision on this version; absent when it was never gated. */
  readonly blessing?: Blessing;
}

/** One check of the champion/challenger gate. */
export interface GateCheck {
  /** threshold: `evaluation.thresholds`; champion: better than the champion; latency: `evaluation.maxLatencyMs`. */
  readonly kind: 'threshold' | 'champion' | 'latency';
  /** The metric, or the latency quantile (`p99`). */
  readonly name: string;
  readonly value: number | null;
  readonly passed: boolean;
  readonly reason: string;
}

/** The gate's decision on a version, who made it and when. Only a blessed version is promoted automatically. */
export interface Blessing {
  readonly passed: boolean;
  /** The alias the decision was about (the project's `registry.alias`, default `champion`). */
  readonly alias: string;
  /** Every check in words, passing or not. */
  readonly reasons: readonly string[];
  readonly checks: readonly GateCheck[];
  /** The champion version it was compared with; null when there was none. */
  readonly champion: number | null;
  /** Single-row predict latency of the package, measured in-process by the gate. */
  readonly latencyMs: (LatencyQuantiles & { readonly rows: number }) | null;
  readonly actor: string;
  readonly at: string;
}

export interface AliasEvent {
  readonly model: string;
  readonly alias: string;
  readonly fromVersion: number | null;
  readonly toVersion: number | null;
  readonly actor: string;
  readonly reason: string;
  readonly at: string;
  /** Present (true) when a person moved a gated alias onto a version the gate did not bless. */
  readonly override?: true;
}

// ---------------------------------------------------------------------------------------------
// Serving

export interface TrafficRoute {
  readonly model: string;
  readonly version: number;
  /** Share of traffic, 0–100. */
  readonly percent: number;
  readonly variant: string;
}

export type StrategyName = 'direct' | 'canary' | 'blue-green' | 'shadow' | 'ab';

export interface TrafficPolicy {
  readonly strategy: StrategyName;
  /**
   * Every version on the endpoint. Routes with `percent > 0` share the answers; a route with 0 %
   * is kept loaded without answering: the blue-green standby, or the shadow (variant `shadow`)
   * that gets a copy of every request.
   */
  readonly routes: readonly TrafficRoute[];
  readonly stickyKey?: string;
  /** The progressive rollout of the candidate (variant `canary`): its plan and where it is. */
  readonly rollout?: RolloutState;
}

/**
 * Limits a candidate must stay within during a rollout, measured over the current step's window.
 * An unset guardrail is not checked.
 */
export interface Guardrails {
  /** Share of the candidate's requests answered with an error (4xx/5xx), 0–1. */
  readonly errorRate?: { readonly max: number };
  /** p99 of the candidate's request latency, in milliseconds. */
  readonly p99Ms?: { readonly max: number };
  /** PSI of the candidate's prediction distribution against the primary's over the same window. */
  readonly predictionDrift?: { readonly max: number };
  /** Live accuracy of the candidate from feedback labels; checked once `minLabels` (default 30) arrived. */
  readonly accuracy?: { readonly min: number; readonly minLabels?: number };
  /** Fewest candidate requests before guardrails give a verdict (a step never passes with fewer). */
  readonly minRequests: number;
}

/** `manual`: a person approves every step; `auto-until-100`: steps advance on their own, 100 % needs approval; `auto`: no approval. */
export type RolloutAutomation = 'manual' | 'auto-until-100' | 'auto';

export interface RolloutPlan {
  /** Candidate traffic per step in percent, ascending, ending at 100. */
  readonly steps: readonly number[];
  /** How long each step runs (ms) before it may advance. */
  readonly bakeMs: number;
  readonly automation: RolloutAutomation;
  readonly guardrails: Guardrails;
}

export interface GuardrailCheck {
  readonly name: 'errorRate' | 'p99Ms' | 'predictionDrift' | 'accuracy';
  /** The measured value; null when there was nothing to measure (no labels, no predictions). */
  readonly value: number | null;
  readonly limit: number;
  readonly passed: boolean;
  readonly reason: string;
}

/** The guardrails measured over one window of a rollout step. */
export interface GuardrailReport {
  readonly since: string;
  readonly until: string;
  /** Requests the candidate answered (or failed) in the window. */
  readonly requests: number;
  /** `insufficient-data`: fewer than `minRequests`; no verdict yet. */
  readonly verdict: 'pass' | 'breach' | 'insufficient-data';
  readonly checks: readonly GuardrailCheck[];
}

/**
 * Where a rollout is. `baking`: the step runs its bake time; `awaiting-approval`: it passed and
 * waits for `keel endpoints promote`; `completed`: the candidate took all traffic;
 * `rolled-back`: it was withdrawn, by a person or because a guardrail broke (`reason`).
 */
export interface RolloutState {
  readonly plan: RolloutPlan;
  /** Index into `plan.steps` of the step running now (the last one reached when finished). */
  readonly step: number;
  readonly stepStartedAt: string;
  readonly status: 'baking' | 'awaiting-approval' | 'completed' | 'rolled-back';
  /** The candidate being rolled out, kept after the rollout ends. */
  readonly candidate: { readonly model: string; readonly version: number };
  /** Why it ended, or why it waits. */
  readonly reason?: string;
  /** The guardrail report behind the latest transition. */
  readonly report?: GuardrailReport;
}

export interface Endpoint {
  readonly name: string;
  readonly policy: TrafficPolicy;
  /**
   * 1 on creation, one more on every change: a writer that read revision r changes the policy
   * only if it is still r (compare-and-set), so concurrent writers never overwrite each other.
   */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface EndpointEvent {
  readonly endpoint: string;
  readonly kind: string;
  readonly actor: string;
  readonly reason: string;
  readonly policy: TrafficPolicy;
  readonly at: string;
}

export interface PredictionRecord {
  readonly id: string;
  readonly endpoint: string;
  readonly model: string;
  readonly version: number;
  readonly variant: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly output: Readonly<Record<string, unknown>>;
  readonly latencyMs: number;
  readonly at: string;
}

/** One HTTP request to an endpoint, successful or not: the software metrics come from these. */
export interface RequestRecord {
  readonly endpoint: string;
  readonly status: number;
  readonly rows: number;
  readonly latencyMs: number;
  readonly errorCode: string | null;
  readonly at: string;
  /**
   * The route that answered (or failed) it; absent when the request was refused before a route
   * was chosen (a malformed body), or logged before routes were recorded.
   */
  readonly model?: string;
  readonly version?: number;
  readonly variant?: string;
}

/**
 * How a shadow's prediction compared with the primary's answer to the same row; stored in the
 * shadow's prediction record as `output.comparison`.
 */
export interface ShadowComparison {
  /** Id of the primary's prediction of the same row. */
  readonly primaryId: string;
  /** Same label (classifiers); null for regressors. */
  readonly agrees: boolean | null;
  /** Largest absolute difference of the class probabilities, or of the values (regressors). */
  readonly difference: number;
}

/**
 * The ground truth of one logged prediction, sent later through the feedback API: the true
 * class (classifiers) or the true value (regressors). A second feedback for the same prediction
 * replaces the first.
 */
export interface FeedbackRecord {
  readonly predictionId: string;
  readonly endpoint: string;
  readonly label: string | null;
  readonly value: number | null;
  /** When the outcome was known: the client's `at`, else when the feedback arrived. */
  readonly at: string;
}

/** A logged prediction with its ground truth: what live quality is computed over. */
export interface LabeledPrediction {
  readonly prediction: PredictionRecord;
  readonly feedback: FeedbackRecord;
}

// ---------------------------------------------------------------------------------------------
// Pipelines

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'cached';

export interface PipelineRun {
  readonly id: string;
  readonly project: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly error: string | null;
}

export interface StepRun {
  readonly pipelineRunId: string;
  readonly step: string;
  readonly inputHash: string;
  readonly status: StepStatus;
  /** JSON-serialisable outputs; artifacts are referenced by digest. */
  readonly outputs: unknown;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly error: string | null;
}

// ---------------------------------------------------------------------------------------------
// Monitoring

export interface LatencyQuantiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface FeatureDrift {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  /** The test that scored it (chosen by type and sample size, or the project file's override). */
  readonly method: string;
  /** The test's statistic: D for ks, χ² for chisquare, else the distance (PSI, Wasserstein, Jensen-Shannon). */
  readonly statistic: number;
  /** The test's p-value, and after the multiple-testing correction; null for a distance. */
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  /** Serving rows it was scored over. */
  readonly rows: number;
  /**
   * Serving skew, from the same counts: the share of served rows where the feature was missing
   * (beside its share in training), and the share holding a category training never saw.
   */
  readonly missingRate: number;
  readonly trainingMissingRate: number;
  readonly outOfDomainRate: number;
}

/** Drift of one time bucket of the monitoring window, scored on its own. */
export interface DriftBucket {
  readonly at: string;
  readonly rows: number;
  /** Share of the tested features that drifted. */
  readonly share: number;
  readonly drifted: boolean;
  readonly features: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
  readonly output: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
}

/** An alert rule's state on an endpoint (see docs/metrics-and-alerts.md). */
export interface EndpointAlert {
  readonly rule: string;
  readonly status: 'ok' | 'pending' | 'firing' | 'resolved';
  readonly since: string;
  readonly value: number | null;
  readonly severity: string;
  readonly evaluatedAt: string;
}

/** One time bucket of software metrics. */
export interface LatencyBucket {
  /** Start of the bucket. */
  readonly at: string;
  readonly requests: number;
  readonly errors: number;
  readonly latencyMs: LatencyQuantiles;
}

export interface EndpointMonitoring {
  readonly endpoint: string;
  readonly since: string;
  readonly until: string;
  /** Width of the software metrics' time buckets (`series`). */
  readonly bucketMs: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  /** Rows predicted (a request can carry many). */
  readonly predictions: number;
  readonly latencyMs: LatencyQuantiles | null;
  /**
   * Input and output drift of the version taking most traffic, against its training reference,
   * over the window's served rows (counted into the reference's bins per minute as they are
   * served), and per bucket of `drift.bucketMs`.
   */
  readonly drift: {
    readonly model: string | null;
    readonly version: number | null;
    /** Rows of served traffic the drift was computed over. */
    readonly rows: number;
    /** Fewest rows for a verdict: below it, scores are reported and nothing is marked drifted. */
    readonly minRows: number;
    /** Share of the tested features that drifted, and the share at which the dataset counts as drifted. */
    readonly share: number;
    readonly shareThreshold: number;
    readonly drifted: boolean;
    readonly correction: 'bh' | 'none';
    readonly features: readonly FeatureDrift[];
    /** The model's outputs (probability of the positive class, label, value) against their reference; empty without one. */
    readonly output: readonly FeatureDrift[];
    readonly bucketMs: number;
    readonly series: readonly DriftBucket[];
  };
  readonly series: readonly LatencyBucket[];
  /** The same metrics per variant (primary, canary, a/b, blue/green, shadow), for comparing versions. */
  readonly variants: readonly VariantMonitoring[];
  /** Live quality from feedback (delayed ground truth), per model version and variant, with its time series. */
  readonly quality: readonly QualitySeries[];
  /** The endpoint's alert rules and their states. */
  readonly alerts: readonly EndpointAlert[];
}

/**
 * Quality of one model version and variant over the window's predictions that have feedback:
 * accuracy for classifiers, mean absolute and root mean squared error for regressors.
 */
export interface LiveQuality {
  readonly model: string;
  readonly version: number;
  readonly variant: string;
  /** Predictions in the window with ground truth. */
  readonly labeled: number;
  readonly accuracy?: number;
  /** Classifiers: of the predictions of the positive class, the share that were (binary), or macro-averaged. */
  readonly precision?: number;
  readonly recall?: number;
  readonly f1?: number;
  /** Classifiers with probabilities, when the labels hold both classes (ROC AUC is undefined otherwise). */
  readonly rocAuc?: number;
  /** The class precision and recall score, for a binary classifier. */
  readonly positiveClass?: string;
  readonly mae?: number;
  readonly rmse?: number;
}

/** Live quality in one time bucket, by the time the predictions were made (feedback arrives later). */
export interface QualityBucket extends Omit<LiveQuality, 'model' | 'version' | 'variant'> {
  /** Start of the bucket (ISO time). */
  readonly at: string;
}

/** Live quality of one model version and variant, over the window and per bucket: where concept drift shows. */
export interface QualitySeries extends LiveQuality {
  readonly series: readonly QualityBucket[];
}

/** One variant's share of an endpoint's monitoring window. */
export interface VariantMonitoring {
  readonly variant: string;
  readonly model: string;
  readonly version: number;
  /** Requests it answered or failed (a shadow answers none). */
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latencyMs: LatencyQuantiles | null;
  /** Its logged predictions in the window (rows). */
  readonly predictions: number;
  /** Share of its classifier predictions per label, or the mean value of a regressor's. */
  readonly outputs: { readonly labels?: Readonly<Record<string, number>>; readonly meanValue?: number };
  /** A shadow's agreement with the primary over the rows both predicted. */
  readonly agreement?: {
    readonly compared: number;
    /** Share of rows with the same label; null for regressors. */
    readonly rate: number | null;
    readonly meanDifference: number;
  };
}

/**
 * The training-time picture of each input feature, stored in the model package so monitoring
 * can compare serving traffic with it. Numeric features keep quantile bin edges (so memory per
 * feature is O(bins) whatever the traffic); categorical ones keep category shares.
 *
 * Since the drift engine (docs/monitoring.md) a numeric reference also has finer bins and
 * moments; they are optional, so a package written before still loads and gives drift from its
 * ten decile bins alone.
 */
export type FeatureReference =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      /** Inner bin edges, ascending; bins are (-inf, e0], (e0, e1], …, (e_last, +inf). */
      readonly edges: readonly number[];
      /** Share of non-missing training values in each bin (edges.length + 1 entries). */
      readonly shares: readonly number[];
      readonly missingShare: number;
      /**
       * Finer inner edges for incremental drift: the 1st…99th percentiles ∪ `edges`, ascending,
       * each once; bins as for `edges`. Absent in references written before: `edges` serve.
       */
      readonly fineEdges?: readonly number[];
      /** Share of non-missing training values in each fine bin (fineEdges.length + 1 entries). */
      readonly fineShares?: readonly number[];
      /** Non-missing training values. */
      readonly count?: number;
      /** Distinct non-missing values, counted up to 6 (enough to tell a ≤ 5-valued feature). */
      readonly distinct?: number;
      readonly mean?: number;
      /** Population standard deviation (ddof 0), the normaliser of the Wasserstein distance. */
      readonly std?: number;
      readonly min?: number;
      readonly max?: number;
    }
  | {
      readonly name: string;
      readonly kind: 'categorical';
      readonly shares: Readonly<Record<string, number>>;
      readonly missingShare: number;
      /** Non-missing training values; absent in references written before. */
      readonly count?: number;
    };

export interface ReferenceProfile {
  readonly rows: number;
  readonly features: readonly FeatureReference[];
  /**
   * The model's outputs on the test split, as features of the same shape: `value` for a
   * regressor; `probability:<class>` (the positive class of a binary classifier, every class of
   * a multiclass one) and `label` for a classifier. Absent in packages written before.
   */
  readonly output?: { readonly rows: number; readonly features: readonly FeatureReference[] };
}
