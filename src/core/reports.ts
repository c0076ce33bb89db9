import type { Blessing, ColumnType, DatasetSource, HistogramBin, TaskType } from './entities.js';
import { KeelError } from './errors.js';

/**
 * Documents Keel writes as artifacts and serves over the API: the evaluation report of a run,
 * the model card of a version and the lineage graph. Each stored document names its format and
 * a version, so a reader can refuse one it does not understand instead of misreading it.
 *
 * Numbers that are undefined (ROC AUC of a slice holding one class) are `null`, never NaN,
 * which JSON cannot hold.
 */

// ---------------------------------------------------------------------------------------------
// Evaluation report (`evaluation/report.json` of a run)

export const EVALUATION_REPORT_FORMAT = 'keel.evaluation-report';
/** Bump when a change would make an older dashboard or card generator misread a report. */
export const EVALUATION_REPORT_VERSION = 1;

export type MetricValues = Readonly<Record<string, number | null>>;

export interface EvaluationReport {
  readonly format: typeof EVALUATION_REPORT_FORMAT;
  readonly formatVersion: number;
  readonly task: TaskType;
  readonly target: string;
  /** How the scored rows were held out. */
  readonly split: {
    readonly method: string;
    readonly trainRows: number;
    readonly testRows: number;
    readonly seed: number | null;
    /** The group or time column of a group or time split. */
    readonly column?: string;
  };
  /** Rows scored: the test split. */
  readonly rows: number;
  readonly selectionMetric: string;
  readonly greaterIsBetter: boolean;
  /** Classification: accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss. Regression: mae, rmse, r2, mape. */
  readonly metrics: MetricValues;
  readonly classification?: ClassificationDetails;
  readonly regression?: RegressionDetails;
  readonly slices: SliceAnalysis;
  readonly largestErrors: LargestErrors;
}

export interface ClassificationDetails {
  readonly classes: readonly string[];
  /** The class precision, recall and F1 are about (binary); null for multiclass (macro averages). */
  readonly positiveClass: string | null;
  /** Rows of each class among the scored rows. */
  readonly classBalance: ReadonlyArray<{ readonly label: string; readonly rows: number; readonly share: number }>;
  /** matrix[i][j]: rows of true class labels[i] predicted as labels[j]. */
  readonly confusionMatrix: { readonly labels: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  readonly perClass: ReadonlyArray<{
    readonly label: string;
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
    readonly support: number;
  }>;
  /** Binary tasks with both classes among the scored rows; null otherwise. At most 200 points per curve. */
  readonly curves: {
    readonly roc: ReadonlyArray<{ readonly fpr: number; readonly tpr: number; readonly threshold: number }>;
    /** From recall 1 down to the point (recall 0, precision 1), which has no threshold. */
    readonly pr: ReadonlyArray<{
      readonly recall: number;
      readonly precision: number;
      readonly threshold: number | null;
    }>;
    /** Ten equal-width bins of the positive class's probability; empty bins are left out. */
    readonly calibration: ReadonlyArray<{
      readonly predicted: number;
      readonly observed: number;
      readonly rows: number;
    }>;
  } | null;
}

export interface RegressionDetails {
  /** Histogram of actual − predicted over the scored rows (20 bins). */
  readonly residuals: readonly HistogramBin[];
  /** Up to 200 scored rows, evenly spread over the test split. */
  readonly predictedVsActual: ReadonlyArray<{ readonly actual: number; readonly predicted: number }>;
}

export interface SliceAnalysis {
  /** Slices with fewer scored rows are reported but never ranked among the worst. */
  readonly minRows: number;
  /** Quantile bins of a numeric column (fewer when values repeat). */
  readonly bins: number;
  readonly columns: readonly SliceColumn[];
  /** The slices furthest below the overall selection metric, worst first (at most 5). */
  readonly worst: readonly WorstSlice[];
}

export interface SliceColumn {
  readonly column: string;
  /** `values`: one slice per value; `bins`: quantile bins of a numeric column. */
  readonly kind: 'values' | 'bins';
  readonly slices: readonly Slice[];
}

export interface Slice {
  /** `Month-to-month`, `(missing)`, `(other)`, or a bin such as `[9, 29)`. */
  readonly label: string;
  /** Bins only: the bounds, lower inclusive; the last bin includes its upper bound. */
  readonly lower?: number;
  readonly upper?: number;
  readonly rows: number;
  readonly metrics: MetricValues;
  /** Fewer than `minRows` rows: not ranked. */
  readonly small: boolean;
}

export interface WorstSlice {
  readonly column: string;
  readonly label: string;
  readonly rows: number;
  readonly metric: string;
  readonly value: number;
  readonly overall: number;
  /** How much worse than overall, as a positive number in the metric's unit. */
  readonly gap: number;
}

export interface LargestErrors {
  /** `log_loss`: −ln of the probability given to the actual class; `absolute_error`: |actual − predicted|. */
  readonly loss: 'log_loss' | 'absolute_error';
  readonly idColumn: string | null;
  readonly rows: readonly LargestError[];
}

export interface LargestError {
  /** The row's index in the dataset version. */
  readonly row: number;
  /** Its value of `idColumn`, or null without one. */
  readonly id: string | number | null;
  readonly actual: string | number;
  readonly predicted: string | number;
  /** Classification: the probability the model gave the actual class. */
  readonly probability?: number;
  readonly loss: number;
  /** The raw row as in the data, without the target. */
  readonly values: Readonly<Record<string, unknown>>;
}

/** Parses a stored report, refusing a corrupted one or a format this Keel does not read. */
export function decodeEvaluationReport(bytes: Uint8Array | string, source = 'evaluation report'): EvaluationReport {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new KeelError('invalid_data', `${source} is corrupted: not valid JSON (${(error as Error).message})`, {
      file: source,
    });
  }
  const report = value as Partial<EvaluationReport> | null;
  if (!report || typeof report !== 'object' || report.format !== EVALUATION_REPORT_FORMAT) {
    throw new KeelError(
      'incompatible',
      `${source} is not a Keel evaluation report of format "${EVALUATION_REPORT_FORMAT}" (it may come from an older Keel; rerun the evaluate step)`,
      { file: source, field: 'format' },
    );
  }
  if (report.formatVersion !== EVALUATION_REPORT_VERSION) {
    throw new KeelError(
      'incompatible',
      `${source} has report format version ${String(report.formatVersion)}; this Keel reads version ${EVALUATION_REPORT_VERSION}`,
      { file: source, field: 'formatVersion' },
    );
  }
  if (typeof report.metrics !== 'object' || !report.slices || !report.largestErrors) {
    throw new KeelError('invalid_data', `${source} is corrupted: metrics, slices or largestErrors are missing`, {
      file: source,
    });
  }
  return report as EvaluationReport;
}

// ---------------------------------------------------------------------------------------------
// Model card

export const MODEL_CARD_FORMAT = 'keel.model-card';
export const MODEL_CARD_VERSION = 1;

/** What the model is for, from the project file's task, decision and KPIs. */
export interface IntendedUse {
  readonly project: string;
  readonly description: string | null;
  readonly task: TaskType;
  readonly target: string;
  readonly positiveClass: string | null;
  readonly decision: string | null;
  readonly kpis: ReadonlyArray<{ readonly name: string; readonly description: string; readonly target: string | null }>;
}

/**
 * A model version described from what Keel recorded about it — the project file, the dataset
 * version, the package, the run's evaluation report, the gate decision. Nothing in it is
 * written by hand, and a section Keel knows nothing about is null rather than guessed.
 */
export interface ModelCard {
  readonly format: typeof MODEL_CARD_FORMAT;
  readonly formatVersion: number;
  readonly generatedAt: string;
  readonly model: {
    readonly name: string;
    readonly version: number;
    readonly algorithm: string;
    readonly description: string;
    readonly createdAt: string;
    /** Aliases on the version when the card was generated (they move; the registry has the current ones). */
    readonly aliases: readonly string[];
    readonly tags: Readonly<Record<string, string>>;
    /** The package's artifact digest and the Keel version that wrote it. */
    readonly package: { readonly digest: string; readonly keelVersion: string; readonly formatVersion: number };
  };
  readonly intendedUse: IntendedUse | null;
  readonly trainingData: {
    readonly datasetVersionId: string;
    readonly dataset: string;
    readonly version: number;
    /** Rows of the dataset version; the split's training rows are in `evaluation.split`. */
    readonly rows: number;
    readonly importedAt: string;
    readonly source: Pick<DatasetSource, 'kind' | 'uri'>;
    /** Earliest and latest value of each datetime column. */
    readonly dateRanges: ReadonlyArray<{ readonly column: string; readonly from: string; readonly to: string }>;
  } | null;
  readonly features: {
    readonly inputs: ReadonlyArray<{
      readonly name: string;
      readonly type: ColumnType;
      readonly nullable: boolean;
      /** Categories known to the model, for categorical inputs. */
      readonly categories: number | null;
      /** Share of training rows missing the value, from the reference statistics. */
      readonly missingShare: number | null;
    }>;
  };
  readonly evaluation: {
    readonly split: EvaluationReport['split'];
    readonly rows: number;
    readonly selectionMetric: string;
    readonly metrics: MetricValues;
    /** The selection metric per slice. */
    readonly slices: ReadonlyArray<{
      readonly column: string;
      readonly label: string;
      readonly rows: number;
      readonly value: number | null;
      readonly small: boolean;
    }>;
    readonly minSliceRows: number;
    readonly worstSlices: readonly WorstSlice[];
  } | null;
  readonly gate: Blessing | null;
  readonly lineage: {
    readonly runId: string | null;
    readonly pipelineRunId: string | null;
    readonly datasetVersionId: string | null;
  };
  /** Generated statements of what the evaluation does not cover or found weak. */
  readonly limitations: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Lineage

/**
 * The lineage graph: dataset versions → runs → model versions → endpoints. Node ids are
 * `dataset_version:<id>`, `run:<id>`, `model_version:<name>@<version>` and `endpoint:<name>`;
 * edges point downstream, the way the data flowed.
 */
export type LineageNode =
  | {
      readonly kind: 'dataset_version';
      readonly id: string;
      readonly datasetVersionId: string;
      readonly dataset: string;
      readonly version: number;
      readonly rows: number;
      readonly source: DatasetSource['kind'];
      readonly createdAt: string;
    }
  | {
      readonly kind: 'run';
      readonly id: string;
      readonly runId: string;
      readonly name: string;
      readonly experiment: string;
      readonly status: string;
      readonly startedAt: string;
    }
  | {
      readonly kind: 'model_version';
      readonly id: string;
      readonly name: string;
      readonly version: number;
      readonly algorithm: string;
      readonly aliases: readonly string[];
      /** The gate's decision; null when the version was never gated. */
      readonly blessed: boolean | null;
      readonly createdAt: string;
    }
  | {
      readonly kind: 'endpoint';
      readonly id: string;
      readonly name: string;
      readonly strategy: string;
      /** The endpoint's routes to the model version(s) in the graph. */
      readonly routes: ReadonlyArray<{
        readonly model: string;
        readonly version: number;
        readonly variant: string;
        readonly percent: number;
      }>;
    };

export interface LineageEdge {
  readonly from: string;
  readonly to: string;
  /** derived: a cleaned version of a dataset version; trained: data a run learned from; produced: a run's model; served: an endpoint's model. */
  readonly relation: 'derived' | 'trained' | 'produced' | 'served';
}

export interface Lineage {
  /** The node the graph was asked for. */
  readonly root: string;
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
}
