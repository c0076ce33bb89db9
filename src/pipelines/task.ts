import {
  KeelError,
  type DenseMatrix,
  type EvaluationReport,
  type Project,
  type Table,
  type TaskType,
} from '../core/index.js';
import { createEstimator, estimatorClass, isClassifier, isRegressor, type Estimator } from '../ml/index.js';
import {
  buildEvaluationReport,
  scoreClassifier,
  scoreRegressor,
  type ScoredRows,
  type TestRows,
} from './evaluation-report.js';
import { buildSearch } from './search.js';

/**
 * What differs between prediction tasks, in one place: how the target is read, how the split
 * stratifies, which estimators fit, how a model is evaluated and which metric picks the best.
 * The lifecycle steps stay the same for every task.
 */
export interface TaskStrategy {
  readonly type: TaskType;
  readonly estimatorKind: 'classifier' | 'regressor';
  readonly defaultSplit: 'stratified' | 'random';
  readonly defaultSelectionMetric: string;
  targetValues(table: Table, target: string): Array<string | number> | Float64Array;
  /**
   * Metrics of a fitted estimator on the test rows (X, y), and the evaluation report stored as
   * the run's `evaluation/report.json`; `test` holds the same rows raw, for slices and errors.
   */
  evaluate(
    estimator: Estimator,
    X: DenseMatrix,
    y: Array<string | number> | Float64Array,
    project: Project,
    test: TestRows,
  ): { metrics: Record<string, number>; report: EvaluationReport };
}

const classification = (type: TaskType): TaskStrategy => ({
  type,
  estimatorKind: 'classifier',
  defaultSplit: 'stratified',
  defaultSelectionMetric: type === 'binary_classification' ? 'roc_auc' : 'accuracy',
  targetValues(table, target) {
    const column = targetColumn(table, target);
    return column.kind === 'number' ? Array.from(column.values) : column.values.map((v) => v ?? '');
  },
  evaluate(estimator, X, y, project, test) {
    if (!isClassifier(estimator)) throw notOfKind(estimator, 'classifier');
    const scored = scoreClassifier(estimator, X, y as Array<string | number>, project.config.task.positiveClass);
    return reportOf(project, test, scored);
  },
});

const regression: TaskStrategy = {
  type: 'regression',
  estimatorKind: 'regressor',
  defaultSplit: 'random',
  defaultSelectionMetric: 'r2',
  targetValues(table, target) {
    const column = targetColumn(table, target);
    if (column.kind !== 'number') {
      throw new KeelError('invalid_data', `the regression target "${target}" is not numeric`, { field: 'task.target' });
    }
    return column.values;
  },
  evaluate(estimator, X, y, project, test) {
    if (!isRegressor(estimator)) throw notOfKind(estimator, 'regressor');
    return reportOf(project, test, scoreRegressor(estimator, X, y as Float64Array));
  },
};

const strategies: Record<TaskType, TaskStrategy> = {
  binary_classification: classification('binary_classification'),
  multiclass_classification: classification('multiclass_classification'),
  regression,
};

export function selectionMetric(project: Project): string {
  return project.config.training.selectionMetric ?? taskStrategy(project.config.task.type).defaultSelectionMetric;
}

export function taskStrategy(type: TaskType): TaskStrategy {
  return strategies[type];
}

/** Metrics where a smaller value is better; every other metric is better when larger. */
const lowerIsBetter = new Set(['log_loss', 'mae', 'rmse', 'mse', 'mape', 'fit_seconds']);

export function greaterIsBetter(metric: string): boolean {
  return !lowerIsBetter.has(metric);
}

/**
 * Checks every candidate before anything runs: the algorithm exists, suits the task, and its
 * params are valid. Errors name the key in keel.yaml.
 */
export function checkCandidates(project: Project): void {
  const strategy = taskStrategy(project.config.task.type);
  if (strategy.estimatorKind === 'regressor' && project.config.split?.method === 'stratified') {
    throw new KeelError(
      'invalid_config',
      `${project.file}: split.method: a regression target cannot be stratified; use random`,
      {
        field: 'split.method',
      },
    );
  }
  project.config.training.candidates.forEach((candidate, i) => {
    const field = `training.candidates[${i}]`;
    let Class;
    try {
      Class = estimatorClass(candidate.algorithm);
    } catch (error) {
      throw rename(error, `${field}.algorithm`);
    }
    const fits = strategy.estimatorKind === 'classifier' ? Class.tags.classifier : Class.tags.regressor;
    if (!fits) {
      throw new KeelError(
        'invalid_config',
        `${project.file}: ${field}.algorithm: ${candidate.algorithm} is not a ${strategy.estimatorKind}, but the task is ${project.config.task.type}`,
        { field: `${field}.algorithm` },
      );
    }
    try {
      createEstimator(candidate.algorithm, candidate.params ?? {});
    } catch (error) {
      throw rename(error, `${field}.params`);
    }
    if (candidate.search) {
      try {
        buildSearch(candidate, candidate.search, selectionMetric(project));
      } catch (error) {
        throw rename(error, `${field}.search`);
      }
    }
  });
  function rename(error: unknown, prefix: string): KeelError {
    if (!(error instanceof KeelError)) return new KeelError('invalid_config', String(error));
    const field = error.details.field;
    // Errors raised with keel.yaml's own path keep it; estimator errors name a param.
    if (typeof field === 'string' && field.startsWith('training.')) return error;
    const inner =
      typeof field === 'string' && field !== 'algorithm'
        ? `.${field.replace(/^search\./, '').replace(/^(paramGrid|paramDistributions)\b/, 'space')}`
        : '';
    return new KeelError('invalid_config', `${project.file}: ${prefix}${inner}: ${error.message}`, {
      field: `${prefix}${inner}`,
    });
  }
}

function targetColumn(table: Table, target: string) {
  const column = table.columns.find((c) => c.name === target);
  if (!column)
    throw new KeelError('invalid_config', `the target column "${target}" is not in the data`, { field: 'task.target' });
  return column;
}

function notOfKind(estimator: Estimator, kind: string): KeelError {
  return new KeelError('invalid_config', `${estimator.algorithm} is not a ${kind}`, { field: 'training.candidates' });
}

/** The report, and its defined overall metrics as the run's metrics. */
function reportOf(
  project: Project,
  test: TestRows,
  scored: ScoredRows,
): { metrics: Record<string, number>; report: EvaluationReport } {
  const metric = selectionMetric(project);
  const report = buildEvaluationReport(project, test, scored, {
    selectionMetric: metric,
    greaterIsBetter: greaterIsBetter(metric),
  });
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(report.metrics)) if (value !== null) metrics[key] = value;
  return { metrics, report };
}
