import { KeelError, type DenseMatrix, type Project, type Table, type TaskType } from '../core/index.js';
import {
  classificationReport,
  createEstimator,
  estimatorClass,
  isClassifier,
  isRegressor,
  mae,
  mape,
  r2,
  rmse,
  type Estimator,
} from '../ml/index.js';
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
  /** Metrics of a fitted estimator on (X, y), and the full report stored as an artifact. */
  evaluate(
    estimator: Estimator,
    X: DenseMatrix,
    y: Array<string | number> | Float64Array,
    project: Project,
  ): { metrics: Record<string, number>; report: object };
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
  evaluate(estimator, X, y, project) {
    if (!isClassifier(estimator)) throw notOfKind(estimator, 'classifier');
    const report = classificationReport({
      yTrue: y as Array<string | number>,
      yPred: estimator.predict(X),
      proba: estimator.predictProba(X),
      classes: estimator.classes,
      posLabel: project.config.task.positiveClass,
    });
    return { metrics: scalarMetrics(report), report };
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
  evaluate(estimator, X, y) {
    if (!isRegressor(estimator)) throw notOfKind(estimator, 'regressor');
    const predicted = estimator.predict(X);
    const truth = y as Float64Array;
    const report = {
      mae: mae(truth, predicted),
      rmse: rmse(truth, predicted),
      r2: r2(truth, predicted),
      mape: mape(truth, predicted),
    };
    return { metrics: scalarMetrics(report), report };
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

function scalarMetrics(report: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(report))
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  return out;
}
