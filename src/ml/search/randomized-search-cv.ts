import { KeelError } from '../../core/index.js';
import type { Estimator } from '../estimator.js';
import { Rng } from '../random.js';
import {
  BaseSearchCV,
  type CandidateResult,
  type ParamsOf,
  type SearchOptions,
  type SearchRun,
} from './base-search.js';
import { sampleParameters, type ParamDistributions } from './distributions.js';

export interface RandomizedSearchOptions extends SearchOptions {
  /** Candidates drawn. Default 10. */
  readonly nIter?: number;
  /** Seeds the draws. Default 0. */
  readonly seed?: number;
}

/** An integer ≥ 1 option, or its default. */
export function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new KeelError('invalid_argument', `${field} must be an integer ≥ 1, got ${String(value)}`, { field });
  }
  return v;
}

/**
 * scikit-learn's `RandomizedSearchCV`: cross-validates `nIter` settings drawn from lists and
 * distributions (`uniform`, `loguniform`, `randint`), reproducibly under `seed`.
 */
export class RandomizedSearchCV<E extends Estimator> extends BaseSearchCV<E, CandidateResult<ParamsOf<E>>> {
  private readonly candidates: Partial<ParamsOf<E>>[];

  constructor(
    estimator: E,
    paramDistributions: ParamDistributions<ParamsOf<E>> | readonly ParamDistributions<ParamsOf<E>>[],
    options: RandomizedSearchOptions = {},
  ) {
    super(estimator, options, 'paramDistributions');
    const nIter = positiveInteger(options.nIter, 10, 'nIter');
    // Drawn now: the candidates depend only on the seed, never on the data.
    this.candidates = sampleParameters(paramDistributions, nIter, new Rng(options.seed ?? 0));
  }

  protected async search(run: SearchRun<ParamsOf<E>>): Promise<void> {
    await run.evaluate(this.candidates);
  }
}
