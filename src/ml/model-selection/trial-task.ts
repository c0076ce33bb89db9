import type { DenseMatrix } from '../../core/index.js';
import type { EstimatorJSON } from '../estimator.js';
import { serializeError, type SerializedError } from '../parallel/messages.js';
import { estimatorFromJSON } from '../registry.js';
import { getScorer, type ScorerName } from './scorers.js';
import type { SplitIndices } from './splits.js';
import { runTrial, type Trial, type TrialResult } from './trials.js';

/**
 * One search trial as a worker thread receives it: everything is plain data (the estimator as
 * its unfitted JSON, scorers by name), and X, y and the splits sit in shared memory, so a
 * trial costs no copy of the data.
 */
export interface TrialTaskInput {
  readonly estimator: EstimatorJSON;
  readonly X: DenseMatrix;
  /** Numbers as they were, or class labels as their codes (scores are the same: codes keep the labels' order). */
  readonly y: Float64Array;
  readonly splits: readonly SplitIndices[];
  readonly scorers: readonly { readonly name: string; readonly builtIn: ScorerName }[];
  readonly returnTrainScore: boolean;
  readonly errorScore: 'raise' | number;
  readonly trial: Trial;
}

export type TrialTaskOutput = Omit<TrialResult, 'error'> & { readonly error: SerializedError | null };

/** The "search.trial" worker task: fits and scores one candidate on one split. */
export async function runTrialTask(input: TrialTaskInput): Promise<TrialTaskOutput> {
  const result = await runTrial(
    {
      estimator: estimatorFromJSON(input.estimator),
      X: input.X,
      y: input.y,
      splits: input.splits,
      scorers: input.scorers.map(({ name, builtIn }) => ({ ...getScorer(builtIn), name })),
      returnTrainScore: input.returnTrainScore,
      errorScore: input.errorScore,
    },
    input.trial,
  );
  return { ...result, error: result.error === null ? null : serializeError(result.error) };
}
