import { KeelError, type DenseMatrix } from '../../core/index.js';
import { isClassifier, type Estimator } from '../estimator.js';
import { checkTarget, encodeLabels, type ClassLabel, type TargetInput } from '../labels.js';
import { checkMatrix, type MatrixInput } from '../matrix.js';
import { KFold } from './k-fold.js';
import { resolveScoring, type ScorerInput, type Scoring } from './scorers.js';
import type { CrossValidator, SplitIndices } from './splits.js';
import { StratifiedKFold } from './stratified-k-fold.js';
import { checkJobs, evaluateCandidates, trialRunner, type TrialContext } from './trials.js';

/**
 * How rows are split: a fold count (StratifiedKFold for classifiers, KFold otherwise, both
 * unshuffled, as scikit-learn), or any splitter.
 */
export type CvInput = number | CrossValidator;

/** The splitter `cv` stands for with this estimator. */
export function resolveCv(cv: CvInput | undefined, estimator: Estimator): CrossValidator {
  if (cv === undefined || typeof cv === 'number') {
    const nSplits = cv ?? 5;
    return isClassifier(estimator) ? new StratifiedKFold({ nSplits }) : new KFold({ nSplits });
  }
  if (typeof cv !== 'object' || cv === null || typeof cv.split !== 'function') {
    throw new KeelError('invalid_argument', 'cv must be a fold count or a splitter such as new KFold()', {
      field: 'cv',
    });
  }
  return cv;
}

/** X as a matrix and y checked against it: labels for classifiers, numbers for regressors. */
export function checkData(estimator: Estimator, X: MatrixInput, y: TargetInput): { X: DenseMatrix; y: TargetInput } {
  // NaN passes here: whether it is allowed is the estimator's call, made in its own fit.
  const matrix = checkMatrix(X, { estimator: estimator.constructor.name, allowNaN: true });
  if (isClassifier(estimator)) encodeLabels(y, { expectedLength: matrix.rows });
  else checkTarget(y, { expectedLength: matrix.rows });
  return { X: matrix, y };
}

export interface CrossValidateOptions {
  /** Default 5 folds. */
  readonly cv?: CvInput;
  /** Default: accuracy for classifiers, R² for regressors. */
  readonly scoring?: Scoring;
  /** Also score each fold's model on its training rows. Default false. */
  readonly returnTrainScore?: boolean;
  /** Each row's group, for group-aware splitters (GroupKFold). */
  readonly groups?: ArrayLike<ClassLabel>;
  /** Folds fitted in parallel. Default 1. */
  readonly nJobs?: number;
  /**
   * `raise` (the default) rethrows a failed fit; a number (such as NaN) stands in for its
   * scores. scikit-learn defaults to NaN, but for one model a failure is the news.
   */
  readonly errorScore?: 'raise' | number;
}

export interface CrossValidateResult {
  /** Seconds to fit each fold. */
  readonly fitTime: number[];
  /** Seconds to score each fold's test rows. */
  readonly scoreTime: number[];
  /** Each scorer's score on each fold's test rows, by scorer name; greater is better. */
  readonly testScores: Record<string, number[]>;
  /** Each scorer's score on each fold's training rows, with returnTrainScore. */
  readonly trainScores?: Record<string, number[]>;
}

/** The splits of `cv` for these rows, checked to be valid row indices. */
export function splitRows(
  cv: CrossValidator,
  y: TargetInput,
  nRows: number,
  groups?: ArrayLike<ClassLabel>,
): SplitIndices[] {
  const splits = cv.split(y, groups);
  for (const { train, test } of splits) {
    for (const part of [train, test]) {
      for (const row of part) {
        if (row >= nRows) {
          throw new KeelError('invalid_argument', `the splitter returned row ${row}, but X has ${nRows} rows`, {
            field: 'cv',
          });
        }
      }
    }
  }
  return splits;
}

/**
 * scikit-learn's `cross_validate`: fits a clone of the estimator on each fold's training
 * rows and scores it on the fold's test rows. The estimator itself is not fitted.
 */
export async function crossValidate(
  estimator: Estimator,
  X: MatrixInput,
  y: TargetInput,
  options: CrossValidateOptions = {},
): Promise<CrossValidateResult> {
  const data = checkData(estimator, X, y);
  const scorers = resolveScoring(options.scoring, estimator);
  const cv = resolveCv(options.cv, estimator);
  const context: TrialContext = {
    estimator,
    ...data,
    splits: splitRows(cv, data.y, data.X.rows, options.groups),
    scorers,
    returnTrainScore: options.returnTrainScore ?? false,
    errorScore: options.errorScore ?? 'raise',
  };
  const runner = trialRunner(checkJobs(options.nJobs));
  const [result] = await evaluateCandidates(context, [estimator.getParams()], runner);
  const byName = (scores: number[][]): Record<string, number[]> =>
    Object.fromEntries(scorers.map((scorer, s) => [scorer.name, scores[s]]));
  return {
    fitTime: result.fitTimes,
    scoreTime: result.scoreTimes,
    testScores: byName(result.testScores),
    ...(result.trainScores ? { trainScores: byName(result.trainScores) } : {}),
  };
}

/** scikit-learn's `cross_val_score`: one scorer's test score per fold. */
export async function crossValScore(
  estimator: Estimator,
  X: MatrixInput,
  y: TargetInput,
  options: Omit<CrossValidateOptions, 'scoring' | 'returnTrainScore'> & { readonly scoring?: ScorerInput } = {},
): Promise<number[]> {
  const { testScores } = await crossValidate(estimator, X, y, options);
  return Object.values(testScores)[0];
}
