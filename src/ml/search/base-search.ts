import { KeelError, isKeelError } from '../../core/index.js';
import type { Estimator } from '../estimator.js';
import type { ClassLabel, TargetInput } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { checkData, resolveCv, splitRows, type CvInput } from '../model-selection/cross-validate.js';
import { resolveScoring, type Scorer, type ScorerInput } from '../model-selection/scorers.js';
import type { SplitIndices } from '../model-selection/splits.js';
import {
  checkJobs,
  evaluateCandidates,
  trialRunner,
  type CandidateTrials,
  type Params,
  type TrialContext,
  type TrialRunner,
} from '../model-selection/trials.js';

/** The params type of an estimator: `ParamsOf<DecisionTreeClassifier>` is its params record. */
export type ParamsOf<E extends Estimator> = ReturnType<E['getParams']>;

export interface SearchOptions {
  /** Default 5 folds (stratified for classifiers). */
  readonly cv?: CvInput;
  /** The one score candidates are ranked by; greater is better. Default: accuracy or R². */
  readonly scoring?: ScorerInput;
  /** Fit the best candidate on all rows afterwards, as `bestEstimator`. Default true. */
  readonly refit?: boolean;
  /** Also score every fold's model on its training rows. Default false. */
  readonly returnTrainScore?: boolean;
  /** Trials (one candidate on one fold) run in parallel. Default 1. */
  readonly nJobs?: number;
  /**
   * What a candidate that fails to fit or score scores: NaN by default (it ranks last and its
   * error is kept in cvResults), or `raise` to stop the search.
   */
  readonly errorScore?: 'raise' | number;
}

export interface SearchFitOptions {
  /** Each row's group, for group-aware splitters (GroupKFold). */
  readonly groups?: ArrayLike<ClassLabel>;
}

/** One candidate's cross-validated result (a row of scikit-learn's `cv_results_`). */
export interface CandidateResult<P = Params> {
  /** The searched params only; the others are the base estimator's. */
  readonly params: Partial<P>;
  /** Mean over folds of the test score; NaN when a fold failed. */
  readonly meanTestScore: number;
  /** Population standard deviation over folds, as scikit-learn. */
  readonly stdTestScore: number;
  /** 1 for the best mean test score; ties share the lower rank; failed candidates rank last. */
  readonly rankTestScore: number;
  readonly splitTestScores: number[];
  /** With returnTrainScore; null otherwise. */
  readonly meanTrainScore: number | null;
  readonly stdTrainScore: number | null;
  readonly splitTrainScores: number[] | null;
  /** Seconds. */
  readonly meanFitTime: number;
  readonly stdFitTime: number;
  readonly meanScoreTime: number;
  readonly stdScoreTime: number;
  /** Why the candidate failed on some fold, or null. */
  readonly error: string | null;
}

interface SearchOutcome<E extends Estimator, R> {
  readonly results: R[];
  readonly bestIndex: number;
  readonly bestEstimator: E | null;
  readonly refitTime: number | null;
  readonly nSplits: number;
}

/** What a search sees while it runs: the data's shape, the folds, and one way to evaluate candidates. */
export interface SearchRun<P> {
  readonly nRows: number;
  readonly y: TargetInput;
  readonly splits: readonly SplitIndices[];
  /**
   * Cross-validates candidates on `splits` (default: the search's folds) and returns every
   * result so far, ranked together; `extra` fields are added to each new result.
   */
  evaluate(
    candidates: readonly Partial<P>[],
    splits?: readonly SplitIndices[],
    extra?: Readonly<Record<string, number>>,
  ): Promise<CandidateResult<P>[]>;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Population standard deviation, as numpy's default. */
function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

/** scipy's `rankdata(-means, method="min")`, with NaN ranked below every number (scikit-learn). */
function rankDescending(means: readonly number[]): number[] {
  const finite = means.filter((m) => !Number.isNaN(m));
  if (finite.length === 0) return means.map(() => 1);
  const worst = Math.min(...finite) - 1;
  const values = means.map((m) => (Number.isNaN(m) ? worst : m));
  return values.map((v) => 1 + values.filter((w) => w > v).length);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What every search shares (scikit-learn's `BaseSearchCV`): validate, cross-validate the
 * candidates a subclass proposes, rank them, pick the best and refit it on all rows.
 * Candidates are clones of the base estimator with `setParams`, so any estimator works.
 */
export abstract class BaseSearchCV<E extends Estimator, R extends CandidateResult<ParamsOf<E>>> {
  protected readonly scorer: Scorer;
  protected readonly runner: TrialRunner;
  private outcome: SearchOutcome<E, R> | null = null;

  protected constructor(
    readonly estimator: E,
    protected readonly options: SearchOptions,
    /** The search space's name in errors: paramGrid or paramDistributions. */
    private readonly spaceField: string,
  ) {
    // Checked now so a bad setting fails before any data is touched.
    this.scorer = resolveScoring(options.scoring, estimator)[0];
    this.runner = trialRunner(checkJobs(options.nJobs));
    const errorScore = options.errorScore ?? NaN;
    if (errorScore !== 'raise' && typeof errorScore !== 'number') {
      throw new KeelError('invalid_argument', 'errorScore must be "raise" or a number such as NaN', {
        field: 'errorScore',
      });
    }
  }

  /** Proposes candidates and evaluates them through `run`. */
  protected abstract search(run: SearchRun<ParamsOf<E>>): Promise<void>;

  /** The index of the best result; by default the first of rank 1. */
  protected selectBest(results: readonly R[]): number {
    return results.findIndex((r) => r.rankTestScore === 1);
  }

  async fit(X: MatrixInput, y: TargetInput, options: SearchFitOptions = {}): Promise<this> {
    const data = checkData(this.estimator, X, y);
    const cv = resolveCv(this.options.cv, this.estimator);
    const folds = splitRows(cv, data.y, data.X.rows, options.groups);
    const evaluated: { trials: CandidateTrials; extra: Readonly<Record<string, number>> }[] = [];
    let results: R[] = [];

    const run: SearchRun<ParamsOf<E>> = {
      nRows: data.X.rows,
      y: data.y,
      splits: folds,
      evaluate: async (candidates, splits = folds, extra = {}) => {
        const checked = candidates.map((params) => this.checkCandidate(params));
        const context: TrialContext = {
          estimator: this.estimator,
          ...data,
          splits,
          scorers: [this.scorer],
          returnTrainScore: this.options.returnTrainScore ?? false,
          errorScore: this.options.errorScore ?? NaN,
        };
        for (const trials of await evaluateCandidates(context, checked, this.runner)) evaluated.push({ trials, extra });
        results = this.format(evaluated);
        return results;
      },
    };
    await this.search(run);

    if (results.length === 0) {
      throw new KeelError('invalid_argument', 'the search space has no candidate', { field: this.spaceField });
    }
    // As scikit-learn, the search fails only when every fit failed; otherwise failures rank last.
    if (evaluated.every(({ trials }) => trials.failures === trials.fitTimes.length)) {
      const first = evaluated[0].trials.error;
      if (isKeelError(first)) throw first;
      throw new KeelError('invalid_argument', `every candidate failed to fit; the first: ${describe(first)}`, {
        field: 'estimator',
      });
    }
    const bestIndex = this.selectBest(results);
    let bestEstimator: E | null = null;
    let refitTime: number | null = null;
    if (this.options.refit ?? true) {
      const started = performance.now();
      bestEstimator = this.estimator.clone().setParams(results[bestIndex].params);
      await bestEstimator.fit(data.X, data.y);
      refitTime = (performance.now() - started) / 1000;
    }
    this.outcome = { results, bestIndex, bestEstimator, refitTime, nSplits: folds.length };
    return this;
  }

  /** Every candidate's result, in the order evaluated. */
  get cvResults(): R[] {
    return [...this.fitted().results];
  }

  get bestIndex(): number {
    return this.fitted().bestIndex;
  }

  /** The searched params of the best candidate. */
  get bestParams(): Partial<ParamsOf<E>> {
    const { results, bestIndex } = this.fitted();
    return { ...results[bestIndex].params };
  }

  /** The best candidate's mean cross-validated score. */
  get bestScore(): number {
    const { results, bestIndex } = this.fitted();
    return results[bestIndex].meanTestScore;
  }

  /** The best candidate refitted on all rows (needs refit, the default). */
  get bestEstimator(): E {
    const { bestEstimator } = this.fitted();
    if (bestEstimator === null) {
      throw new KeelError('failed_precondition', 'the search ran with refit: false, so there is no best estimator', {
        field: 'refit',
      });
    }
    return bestEstimator;
  }

  /** Seconds the refit took, or null without refit. */
  get refitTime(): number | null {
    return this.fitted().refitTime;
  }

  get nSplits(): number {
    return this.fitted().nSplits;
  }

  /** The scorer's name, e.g. `accuracy`. */
  get scoring(): string {
    return this.scorer.name;
  }

  private fitted(): SearchOutcome<E, R> {
    if (this.outcome === null) {
      throw new KeelError('failed_precondition', `${this.constructor.name} has not run yet: call fit(X, y) first`);
    }
    return this.outcome;
  }

  /** A candidate's params as setParams would take them; invalid ones fail before any fit. */
  private checkCandidate(params: Partial<ParamsOf<E>>): Params {
    try {
      this.estimator.clone().setParams(params);
    } catch (error) {
      if (!isKeelError(error)) throw error;
      throw new KeelError('invalid_argument', `${this.spaceField} has an invalid candidate: ${error.message}`, {
        ...error.details,
        field: `${this.spaceField}.${String(error.details.field)}`,
        params,
      });
    }
    return params as Params;
  }

  private format(evaluated: readonly { trials: CandidateTrials; extra: Readonly<Record<string, number>> }[]): R[] {
    const means = evaluated.map(({ trials }) => mean(trials.testScores[0]));
    const ranks = rankDescending(means);
    return evaluated.map(({ trials, extra }, i) => {
      const train = trials.trainScores?.[0] ?? null;
      const result: CandidateResult<ParamsOf<E>> = {
        params: trials.params as Partial<ParamsOf<E>>,
        meanTestScore: means[i],
        stdTestScore: std(trials.testScores[0]),
        rankTestScore: ranks[i],
        splitTestScores: trials.testScores[0],
        meanTrainScore: train === null ? null : mean(train),
        stdTrainScore: train === null ? null : std(train),
        splitTrainScores: train,
        meanFitTime: mean(trials.fitTimes),
        stdFitTime: std(trials.fitTimes),
        meanScoreTime: mean(trials.scoreTimes),
        stdScoreTime: std(trials.scoreTimes),
        error: trials.error === null ? null : describe(trials.error),
      };
      // Subclasses declare the extra fields they pass (halving: iter, nResources) in R.
      return { ...result, ...extra } as R;
    });
  }
}
