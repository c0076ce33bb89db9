import { KeelError, type DenseMatrix } from '../../core/index.js';
import type { Estimator } from '../estimator.js';
import { encodeLabels, type TargetInput } from '../labels.js';
import { deserializeError } from '../parallel/messages.js';
import { resolveJobs, sharedWorkerPool } from '../parallel/pool.js';
import { shareArray } from '../parallel/shared-memory.js';
import type { ParamValue } from '../params.js';
import { estimatorClass } from '../registry.js';
import { takeRows, takeTargets } from './rows.js';
import type { Scorer, ScorerName } from './scorers.js';
import type { SplitIndices } from './splits.js';

export type Params = Readonly<Record<string, ParamValue>>;

/** What every trial of one evaluation shares: the data, the folds and how to score. */
export interface TrialContext {
  /** Cloned for every trial; never fitted itself. */
  readonly estimator: Estimator;
  readonly X: DenseMatrix;
  readonly y: TargetInput;
  readonly splits: readonly SplitIndices[];
  readonly scorers: readonly Scorer[];
  readonly returnTrainScore: boolean;
  /** `raise` rethrows a failed fit or score; a number stands in for the scores of a failed trial. */
  readonly errorScore: 'raise' | number;
}

/** One fit and score: a candidate's params on one split. */
export interface Trial {
  readonly params: Params;
  readonly split: number;
}

export interface TrialResult {
  /** One per scorer, in the context's order. */
  readonly testScores: number[];
  readonly trainScores: number[] | null;
  /** Seconds. */
  readonly fitTime: number;
  readonly scoreTime: number;
  /** What failed, when the trial failed and errorScore stood in. */
  readonly error: unknown;
}

/** Fits a clone with the trial's params on the split's train rows and scores it. */
export async function runTrial(context: TrialContext, trial: Trial): Promise<TrialResult> {
  const { X, y, scorers } = context;
  const { train, test } = context.splits[trial.split];
  const Xtrain = takeRows(X, train);
  const ytrain = takeTargets(y, train);
  const started = performance.now();
  let fitTime = 0;
  try {
    const estimator = context.estimator.clone().setParams(trial.params);
    await estimator.fit(Xtrain, ytrain);
    fitTime = (performance.now() - started) / 1000;
    const scored = performance.now();
    const Xtest = takeRows(X, test);
    const ytest = takeTargets(y, test);
    const testScores = scorers.map((scorer) => scorer.score(estimator, Xtest, ytest));
    const scoreTime = (performance.now() - scored) / 1000;
    const trainScores = context.returnTrainScore
      ? scorers.map((scorer) => scorer.score(estimator, Xtrain, ytrain))
      : null;
    return { testScores, trainScores, fitTime, scoreTime, error: null };
  } catch (error) {
    if (context.errorScore === 'raise') throw error;
    if (fitTime === 0) fitTime = (performance.now() - started) / 1000;
    const failed = scorers.map(() => context.errorScore as number);
    return { testScores: failed, trainScores: context.returnTrainScore ? failed : null, fitTime, scoreTime: 0, error };
  }
}

/**
 * Runs trials and returns their results in trial order, whatever order they ran in, so a
 * search's outcome does not depend on how it was scheduled.
 */
export interface TrialRunner {
  run(context: TrialContext, trials: readonly Trial[]): Promise<TrialResult[]>;
}

/** Runs trials one after another in this thread. */
export const inThreadRunner: TrialRunner = {
  async run(context, trials) {
    const results: TrialResult[] = [];
    for (const trial of trials) results.push(await runTrial(context, trial));
    return results;
  },
};

/** A valid nJobs: an integer ≥ 1, or −1 for one per core (as the estimators' nJobs). */
export function checkJobs(nJobs: number | undefined): number {
  const jobs = nJobs ?? 1;
  if (!Number.isSafeInteger(jobs) || (jobs < 1 && jobs !== -1)) {
    throw new KeelError(
      'invalid_argument',
      `nJobs must be an integer ≥ 1, or -1 for one per core, got ${String(nJobs)}`,
      {
        field: 'nJobs',
      },
    );
  }
  return jobs;
}

/** Data already copied to shared memory, per X, so a search's iterations share it once. */
const sharedData = new WeakMap<DenseMatrix, { X: DenseMatrix; y: Float64Array; source: TargetInput }>();

function toShared(X: DenseMatrix, y: TargetInput): { X: DenseMatrix; y: Float64Array } {
  const cached = sharedData.get(X);
  if (cached !== undefined && cached.source === y) return cached;
  const data = X.data.buffer instanceof SharedArrayBuffer ? X.data : shareArray(X.data);
  let numeric = true;
  for (let i = 0; i < y.length && numeric; i++) numeric = typeof y[i] === 'number';
  const values = numeric ? Float64Array.from(y as ArrayLike<number>) : Float64Array.from(encodeLabels(y).codes);
  const shared = { X: { rows: X.rows, cols: X.cols, data }, y: shareArray(values), source: y };
  sharedData.set(X, shared);
  return shared;
}

/** The registry's name for the estimator when the registry rebuilds it exactly (so a worker can), else null. */
function registeredAlgorithm(estimator: Estimator): string | null {
  try {
    return estimatorClass(estimator.algorithm) === estimator.constructor ? estimator.algorithm : null;
  } catch {
    return null;
  }
}

/**
 * Runs trials on the shared worker-thread pool (src/ml/parallel), one task per trial, so
 * trials spread over the workers as they free up. Trials are plain data and results are
 * collected by position, so the outcome is identical for every nJobs. Estimators outside the
 * registry and custom scorer functions cannot cross threads; those evaluations run in this thread.
 */
function pooledRunner(workers: number): TrialRunner {
  return {
    async run(context, trials) {
      const algorithm = registeredAlgorithm(context.estimator);
      const builtIns = context.scorers.map((s) => s.builtIn);
      if (algorithm === null || builtIns.some((name) => name === null) || trials.length < 2) {
        return inThreadRunner.run(context, trials);
      }
      const { X, y } = toShared(context.X, context.y);
      const splits = context.splits.map(({ train, test }) => ({ train: shareArray(train), test: shareArray(test) }));
      const base = {
        estimator: { algorithm, params: context.estimator.getParams(), state: null },
        X,
        y,
        splits,
        scorers: context.scorers.map((s, i) => ({ name: s.name, builtIn: builtIns[i] as ScorerName })),
        returnTrainScore: context.returnTrainScore,
        errorScore: context.errorScore,
      };
      const pool = sharedWorkerPool(workers);
      const outputs = await Promise.all(trials.map((trial) => pool.run('search.trial', { ...base, trial })));
      return outputs.map((output) => ({
        ...output,
        error: output.error === null ? null : deserializeError(output.error),
      }));
    },
  };
}

/** The runner for `nJobs` trials at a time: this thread for 1, the worker-thread pool otherwise. */
export function trialRunner(nJobs: number): TrialRunner {
  const workers = resolveJobs(checkJobs(nJobs));
  return workers > 1 ? pooledRunner(workers) : inThreadRunner;
}

/** Every trial's scores, folded per candidate. */
export interface CandidateTrials {
  readonly params: Params;
  /** splitTestScores[s][k]: scorer s on split k. */
  readonly testScores: number[][];
  readonly trainScores: number[][] | null;
  readonly fitTimes: number[];
  readonly scoreTimes: number[];
  /** The first error among the candidate's trials, or null. */
  readonly error: unknown;
  /** How many of its trials failed. */
  readonly failures: number;
}

/** Evaluates every candidate on every split: the one primitive behind crossValidate and every search. */
export async function evaluateCandidates(
  context: TrialContext,
  candidates: readonly Params[],
  runner: TrialRunner,
): Promise<CandidateTrials[]> {
  const nSplits = context.splits.length;
  const trials: Trial[] = candidates.flatMap((params) =>
    Array.from({ length: nSplits }, (_, split) => ({ params, split })),
  );
  const results = await runner.run(context, trials);
  return candidates.map((params, c) => {
    const own = results.slice(c * nSplits, (c + 1) * nSplits);
    return {
      params,
      testScores: context.scorers.map((_, s) => own.map((r) => r.testScores[s])),
      trainScores: context.returnTrainScore
        ? context.scorers.map((_, s) => own.map((r) => (r.trainScores as number[])[s]))
        : null,
      fitTimes: own.map((r) => r.fitTime),
      scoreTimes: own.map((r) => r.scoreTime),
      error: own.find((r) => r.error !== null)?.error ?? null,
      failures: own.filter((r) => r.error !== null).length,
    };
  });
}
