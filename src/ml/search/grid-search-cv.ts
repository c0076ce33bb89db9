import type { Estimator } from '../estimator.js';
import {
  BaseSearchCV,
  type CandidateResult,
  type ParamsOf,
  type SearchOptions,
  type SearchRun,
} from './base-search.js';
import { ParameterGrid, type ParamGrid } from './parameter-grid.js';

/**
 * scikit-learn's `GridSearchCV`: cross-validates every combination of the grid's values and
 * refits the best on all rows.
 *
 *     const search = await new GridSearchCV(new DecisionTreeClassifier(), { maxDepth: [2, 4, 8] }).fit(X, y);
 *     search.bestParams; // { maxDepth: 4 }
 */
export class GridSearchCV<E extends Estimator> extends BaseSearchCV<E, CandidateResult<ParamsOf<E>>> {
  private readonly grid: ParameterGrid<ParamsOf<E>>;

  constructor(
    estimator: E,
    paramGrid: ParamGrid<ParamsOf<E>> | readonly ParamGrid<ParamsOf<E>>[],
    options: SearchOptions = {},
  ) {
    super(estimator, options, 'paramGrid');
    this.grid = new ParameterGrid<ParamsOf<E>>(paramGrid);
  }

  protected async search(run: SearchRun<ParamsOf<E>>): Promise<void> {
    await run.evaluate([...this.grid]);
  }
}
