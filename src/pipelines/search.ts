import { KeelError, type ParamValue, type Project } from '../core/index.js';
import {
  GridSearchCV,
  HalvingGridSearchCV,
  HalvingRandomSearchCV,
  RandomizedSearchCV,
  createEstimator,
  type Estimator,
  type MatrixInput,
  type TargetInput,
} from '../ml/index.js';
import type { ActiveRun, Tracker } from '../tracking/index.js';

type Candidate = Project['config']['training']['candidates'][number];
type SearchConfig = NonNullable<Candidate['search']>;
type Space = Record<
  string,
  | readonly (string | number | boolean | null)[]
  | { kind: 'uniform' | 'loguniform' | 'randint'; low: number; high: number }
>;

/** keel.yaml metric names → the cross-validation scorer that ranks search candidates by them. */
const scorerByMetric: Record<string, string> = {
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'f1',
  roc_auc: 'roc_auc',
  pr_auc: 'average_precision',
  log_loss: 'neg_log_loss',
  r2: 'r2',
  mae: 'neg_mean_absolute_error',
  rmse: 'neg_root_mean_squared_error',
  mape: 'neg_mean_absolute_percentage_error',
};

export function scorerFor(metric: string, field = 'training.selectionMetric'): string {
  const scorer = scorerByMetric[metric];
  if (!scorer) {
    throw new KeelError(
      'invalid_config',
      `${field}: a search cannot rank by "${metric}"; use one of ${Object.keys(scorerByMetric).join(', ')}`,
      { field },
    );
  }
  return scorer;
}

type AnySearch =
  | GridSearchCV<Estimator>
  | RandomizedSearchCV<Estimator>
  | HalvingGridSearchCV<Estimator>
  | HalvingRandomSearchCV<Estimator>;

/** The search a candidate's `search` block describes, over a base estimator with the candidate's params. */
export function buildSearch(candidate: Candidate, search: SearchConfig, metric: string): AnySearch {
  const base = createEstimator(candidate.algorithm, candidate.params ?? {});
  const space: Space = {};
  let sampled = false;
  const known = Object.keys(base.getParams());
  for (const [name, dimension] of Object.entries(search.space)) {
    if (!known.includes(name)) {
      throw new KeelError(
        'invalid_config',
        `${candidate.algorithm} has no param "${name}"; it has ${known.join(', ')}`,
        {
          field: `search.space.${name}`,
        },
      );
    }
    if (Array.isArray(dimension)) space[name] = dimension;
    else {
      const d = dimension as { distribution: 'uniform' | 'loguniform' | 'randint'; low: number; high: number };
      space[name] = { kind: d.distribution, low: d.low, high: d.high };
      sampled = true;
    }
  }
  if (search.method === 'grid' && sampled) {
    throw new KeelError(
      'invalid_config',
      'grid search takes lists of values; use method random or halving for distributions',
      {
        field: 'search.space',
      },
    );
  }
  const options = { cv: search.cv ?? 5, scoring: scorerFor(metric) as never, nJobs: search.nJobs ?? 1 };
  // The ML layer types spaces per estimator; here the space comes from a file, checked at run time.
  const untyped = space as never;
  switch (search.method) {
    case 'grid':
      return new GridSearchCV(base, untyped, options);
    case 'random':
      return new RandomizedSearchCV(base, untyped, { ...options, nIter: search.trials ?? 10, seed: search.seed ?? 0 });
    case 'halving':
      return sampled
        ? new HalvingRandomSearchCV(base, untyped, { ...options, seed: search.seed ?? 0 })
        : new HalvingGridSearchCV(base, untyped, { ...options, seed: search.seed ?? 0 });
  }
}

/**
 * Fits a candidate: directly, or by searching its space with cross-validation on the training
 * rows and refitting the best setting. Every search trial becomes a nested run under `run`, so
 * the whole search can be read back and compared.
 */
export async function fitCandidate(
  candidate: Candidate,
  X: MatrixInput,
  y: TargetInput,
  context: { run: ActiveRun; tracker: Tracker; experiment: string; pipelineRunId: string; metric: string },
): Promise<Estimator> {
  if (!candidate.search) {
    const estimator = createEstimator(candidate.algorithm, candidate.params ?? {});
    await estimator.fit(X, y);
    return estimator;
  }
  const search = buildSearch(candidate, candidate.search, context.metric);
  await search.fit(X, y);
  const sign = scorerFor(context.metric).startsWith('neg_') ? -1 : 1;
  const name = candidate.name ?? candidate.algorithm;
  for (const [i, result] of search.cvResults.entries()) {
    const trial = await context.tracker.startRun({
      experiment: context.experiment,
      name: `${name} trial ${i + 1}`,
      parentRunId: context.run.id,
      pipelineRunId: context.pipelineRunId,
      // A trial comes from the same config and code as its search.
      ...(context.run.source ? { source: context.run.source } : {}),
      params: trackedParams(result.params as Record<string, ParamValue | null>, () => true),
      tags: {
        'keel.step': 'search',
        'search.method': candidate.search.method,
        ...(result.error ? { error: result.error } : {}),
      },
    });
    await trial.logMetrics({
      [`cv_${context.metric}`]: sign * result.meanTestScore,
      [`cv_${context.metric}_std`]: result.stdTestScore,
      rank: result.rankTestScore,
      fit_seconds: result.meanFitTime,
    });
    await trial.end(result.error ? 'failed' : 'finished');
  }
  await context.run.logMetrics({
    [`cv_${context.metric}`]: sign * search.bestScore,
    search_trials: search.cvResults.length,
  });
  return search.bestEstimator;
}

/** Tracking params are strings, numbers or booleans; an unset (null) param is recorded as "None", as MLflow does. */
export function trackedParams(
  params: Readonly<Record<string, string | number | boolean | null>>,
  keep: (key: string) => boolean,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [key, value] of Object.entries(params)) if (keep(key)) out[key] = value ?? 'None';
  return out;
}
