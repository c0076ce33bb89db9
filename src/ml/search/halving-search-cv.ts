import { KeelError } from '../../core/index.js';
import { isClassifier, type Estimator } from '../estimator.js';
import { encodeLabels, show } from '../labels.js';
import type { SplitIndices } from '../model-selection/splits.js';
import { Rng } from '../random.js';
import {
  BaseSearchCV,
  type CandidateResult,
  type ParamsOf,
  type SearchOptions,
  type SearchRun,
} from './base-search.js';
import { sampleParameters, type ParamDistributions } from './distributions.js';
import { ParameterGrid, type ParamGrid } from './parameter-grid.js';
import { positiveInteger } from './randomized-search-cv.js';

export interface HalvingSearchOptions extends SearchOptions {
  /** Each iteration keeps 1/factor of the candidates and gives them factor× the rows. Default 3. */
  readonly factor?: number;
  /**
   * Rows per candidate in the first iteration. `smallest`: 2 × folds (× classes for a
   * classifier); `exhaust`: as many as lets the last iteration use nearly all rows; or a count.
   */
  readonly minResources?: 'exhaust' | 'smallest' | number;
  /** Rows per candidate at most: `auto` (all rows, the default) or a count. */
  readonly maxResources?: 'auto' | number;
  /**
   * When the rows run out before the candidates are down to `factor`, repeat the first
   * iteration's size until they are. Default false.
   */
  readonly aggressiveElimination?: boolean;
  /** Seeds which rows each iteration subsamples. Default 0. */
  readonly seed?: number;
}

/** A result row of a halving search: which iteration it is from and on how many rows. */
export interface HalvingCandidateResult<P> extends CandidateResult<P> {
  readonly iter: number;
  /** Rows the candidate was cross-validated on in this iteration. */
  readonly nResources: number;
}

/** How a halving search spent its budget (scikit-learn's `n_resources_`, `n_candidates_`, …). */
export interface HalvingSchedule {
  readonly minResources: number;
  readonly maxResources: number;
  /** Rows per candidate in each iteration. */
  readonly nResources: number[];
  /** Candidates evaluated in each iteration. */
  readonly nCandidates: number[];
  readonly nIterations: number;
  /** Iterations needed to get down to fewer than `factor` candidates. */
  readonly nRequiredIterations: number;
  /** Iterations the rows allow, from minResources up to maxResources. */
  readonly nPossibleIterations: number;
  readonly nRemainingCandidates: number;
}

/** floor(log_base(x)), as Python's `floor(log(x, base))`, rounding quirks included. */
function floorLog(x: number, base: number): number {
  return Math.floor(Math.log(x) / Math.log(base));
}

/** `count` of the rows, drawn without replacement, ascending (scikit-learn's `resample`). */
function subsample(rows: Uint32Array, count: number, seed: number): Uint32Array {
  const pool = Uint32Array.from(rows);
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const j = i + rng.nextInt(pool.length - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return pool.slice(0, count).sort();
}

/** The best `k` candidates of one iteration, best last (scikit-learn's `_top_k`, NaN scores first). */
function topK<P>(results: readonly HalvingCandidateResult<P>[], k: number, iter: number): Partial<P>[] {
  const current = results.filter((r) => r.iter === iter);
  const order = current
    .map((r, i) => ({ i, score: r.meanTestScore }))
    .sort((a, b) => {
      if (Number.isNaN(a.score) || Number.isNaN(b.score))
        return Number(!Number.isNaN(a.score)) - Number(!Number.isNaN(b.score));
      return a.score - b.score;
    });
  return order.slice(order.length - k).map(({ i }) => current[i].params);
}

/**
 * Successive halving (scikit-learn's `BaseSuccessiveHalving` with `resource="n_samples"`):
 * every candidate is cross-validated on a small subsample of the rows; the best 1/factor
 * go on to factor× as many rows, until few are left. Most of the budget goes to the
 * promising candidates, so a search over many settings costs a few full fits.
 */
abstract class BaseHalvingSearchCV<E extends Estimator> extends BaseSearchCV<E, HalvingCandidateResult<ParamsOf<E>>> {
  private readonly factor: number;
  private schedule: HalvingSchedule | null = null;

  protected constructor(
    estimator: E,
    protected readonly halving: HalvingSearchOptions,
    spaceField: string,
  ) {
    super(estimator, halving, spaceField);
    this.factor = halving.factor ?? 3;
    if (!Number.isFinite(this.factor) || this.factor <= 1) {
      throw new KeelError('invalid_argument', `factor must be a number > 1, got ${show(halving.factor)}`, {
        field: 'factor',
      });
    }
    const { minResources = 'exhaust', maxResources = 'auto' } = halving;
    if (typeof minResources === 'number') positiveInteger(minResources, 1, 'minResources');
    else if (minResources !== 'exhaust' && minResources !== 'smallest') {
      throw new KeelError('invalid_argument', 'minResources must be "exhaust", "smallest" or a row count', {
        field: 'minResources',
      });
    }
    if (maxResources !== 'auto') positiveInteger(maxResources, 1, 'maxResources');
  }

  /** The candidates of the first iteration, given the resources. */
  protected abstract firstCandidates(minResources: number, maxResources: number): Partial<ParamsOf<E>>[];

  /** The default minResources of this kind of search. */
  protected abstract get defaultMinResources(): 'exhaust' | 'smallest';

  /** How the last search spent its budget. */
  get halvingSchedule(): HalvingSchedule {
    if (this.schedule === null) {
      throw new KeelError('failed_precondition', `${this.constructor.name} has not run yet: call fit(X, y) first`);
    }
    return this.schedule;
  }

  protected async search(run: SearchRun<ParamsOf<E>>): Promise<void> {
    const { factor } = this;
    const { aggressiveElimination = false, seed = 0 } = this.halving;
    const minSetting = this.halving.minResources ?? this.defaultMinResources;
    const maxResources =
      this.halving.maxResources === undefined || this.halving.maxResources === 'auto'
        ? run.nRows
        : this.halving.maxResources;
    let minResources: number;
    if (typeof minSetting === 'number') {
      minResources = minSetting;
    } else {
      // scikit-learn's heuristic: enough rows for every fold to see every class a couple of times.
      const classes = isClassifier(this.estimator) ? encodeLabels(run.y).classes.length : 1;
      minResources = run.splits.length * 2 * classes;
    }
    if (minResources > maxResources) {
      throw new KeelError(
        'invalid_argument',
        `minResources is ${minResources} rows but maxResources is ${maxResources}; lower minResources or pass more rows`,
        { field: 'minResources' },
      );
    }

    let candidates = this.firstCandidates(minResources, maxResources);
    const nRequiredIterations = 1 + floorLog(candidates.length, factor);
    if (minSetting === 'exhaust') {
      minResources = Math.max(minResources, Math.floor(maxResources / factor ** (nRequiredIterations - 1)));
    }
    const nPossibleIterations = 1 + floorLog(Math.floor(maxResources / minResources), factor);
    const nIterations = aggressiveElimination
      ? nRequiredIterations
      : Math.min(nPossibleIterations, nRequiredIterations);

    const nResources: number[] = [];
    const nCandidates: number[] = [];
    for (let iter = 0; iter < nIterations; iter++) {
      const power = aggressiveElimination ? Math.max(0, iter - nRequiredIterations + nPossibleIterations) : iter;
      const rows = Math.min(Math.trunc(factor ** power * minResources), maxResources);
      nResources.push(rows);
      nCandidates.push(candidates.length);
      const fraction = rows / run.nRows;
      const splits: SplitIndices[] = run.splits.map(({ train, test }) => ({
        train: subsample(train, Math.trunc(fraction * train.length), seed),
        test: subsample(test, Math.trunc(fraction * test.length), seed),
      }));
      const results = (await run.evaluate(candidates, splits, { iter, nResources: rows })) as HalvingCandidateResult<
        ParamsOf<E>
      >[];
      candidates = topK(results, Math.ceil(candidates.length / factor), iter);
    }
    this.schedule = {
      minResources,
      maxResources,
      nResources,
      nCandidates,
      nIterations,
      nRequiredIterations,
      nPossibleIterations,
      nRemainingCandidates: candidates.length,
    };
  }

  /** The best candidate of the last iteration, the one that saw the most rows. */
  protected override selectBest(results: readonly HalvingCandidateResult<ParamsOf<E>>[]): number {
    const lastIter = Math.max(...results.map((r) => r.iter));
    let best = -1;
    results.forEach((r, i) => {
      if (r.iter !== lastIter || Number.isNaN(r.meanTestScore)) return;
      if (best < 0 || r.meanTestScore > results[best].meanTestScore) best = i;
    });
    return best >= 0 ? best : results.findIndex((r) => r.iter === lastIter);
  }
}

/**
 * scikit-learn's `HalvingGridSearchCV`: successive halving over every combination of a grid.
 * By default the first iteration's size is chosen so the last uses nearly all rows (`exhaust`).
 */
export class HalvingGridSearchCV<E extends Estimator> extends BaseHalvingSearchCV<E> {
  private readonly grid: ParameterGrid<ParamsOf<E>>;

  constructor(
    estimator: E,
    paramGrid: ParamGrid<ParamsOf<E>> | readonly ParamGrid<ParamsOf<E>>[],
    options: HalvingSearchOptions = {},
  ) {
    super(estimator, options, 'paramGrid');
    this.grid = new ParameterGrid<ParamsOf<E>>(paramGrid);
  }

  protected get defaultMinResources(): 'exhaust' {
    return 'exhaust';
  }

  protected firstCandidates(): Partial<ParamsOf<E>>[] {
    return [...this.grid];
  }
}

export interface HalvingRandomSearchOptions extends HalvingSearchOptions {
  /**
   * Candidates drawn for the first iteration: a count, or `exhaust` (the default) for as many
   * as lets the last iteration use nearly all rows. Also seeded by `seed`.
   */
  readonly nCandidates?: 'exhaust' | number;
}

/**
 * scikit-learn's `HalvingRandomSearchCV`: successive halving over settings drawn from lists
 * and distributions. minResources defaults to `smallest`.
 */
export class HalvingRandomSearchCV<E extends Estimator> extends BaseHalvingSearchCV<E> {
  private readonly nCandidates: 'exhaust' | number;

  constructor(
    estimator: E,
    private readonly paramDistributions: ParamDistributions<ParamsOf<E>> | readonly ParamDistributions<ParamsOf<E>>[],
    options: HalvingRandomSearchOptions = {},
  ) {
    super(estimator, options, 'paramDistributions');
    this.nCandidates = options.nCandidates ?? 'exhaust';
    if (this.nCandidates !== 'exhaust') positiveInteger(this.nCandidates, 1, 'nCandidates');
    if (this.nCandidates === 'exhaust' && options.minResources === 'exhaust') {
      throw new KeelError('invalid_argument', 'nCandidates and minResources cannot both be "exhaust"', {
        field: 'minResources',
      });
    }
    // Drawn once here to reject a bad space now; fit draws again with the resources it knows.
    sampleParameters(paramDistributions, 1, new Rng(0));
  }

  protected get defaultMinResources(): 'smallest' {
    return 'smallest';
  }

  protected firstCandidates(minResources: number, maxResources: number): Partial<ParamsOf<E>>[] {
    const count = this.nCandidates === 'exhaust' ? Math.floor(maxResources / minResources) : this.nCandidates;
    return sampleParameters(this.paramDistributions, count, new Rng(this.halving.seed ?? 0));
  }
}
