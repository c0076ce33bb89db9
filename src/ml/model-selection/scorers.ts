import { KeelError, type DenseMatrix } from '../../core/index.js';
import { isClassifier, isRegressor, type Classifier, type Estimator } from '../estimator.js';
import { show, type ClassLabel, type TargetInput } from '../labels.js';
import {
  accuracy,
  averagePrecision,
  f1,
  logLoss,
  mae,
  mape,
  mse,
  precision,
  r2,
  recall,
  rmse,
  rocAuc,
  type Average,
} from '../metrics.js';

/**
 * Scorers turn a fitted estimator and held-out rows into one number where greater is better,
 * scikit-learn's convention: losses are negated (`neg_log_loss`, `neg_mean_absolute_error`),
 * so a search always maximises.
 */
export type ScoreFunction = (estimator: Estimator, X: DenseMatrix, y: TargetInput) => number;

export interface Scorer {
  readonly name: string;
  /** The built-in scorer it is, or null for a custom function (which cannot run in a worker thread). */
  readonly builtIn: ScorerName | null;
  /** The estimators it can score; checked before any fitting starts. */
  readonly needs: 'classifier' | 'regressor' | 'any';
  readonly score: ScoreFunction;
}

type BuiltInScorer = Pick<Scorer, 'needs' | 'score'>;
type ClassifierScore = (estimator: Classifier, X: DenseMatrix, y: TargetInput) => number;
type RegressorScore = (yTrue: ArrayLike<number>, yPred: Float64Array) => number;

const forClassifier = (score: ClassifierScore): BuiltInScorer => ({
  needs: 'classifier',
  score: (estimator, X, y) => score(estimator as Classifier, X, y),
});

const forRegressor = (score: RegressorScore): BuiltInScorer => ({
  needs: 'regressor',
  // The metric validates that y is numeric.
  score: (estimator, X, y) => score(y as ArrayLike<number>, estimator.predict(X) as Float64Array),
});

/**
 * Precision, recall or F1 as scikit-learn's scorers compute them. The binary positive class
 * is the larger label, as everywhere in Keel (scikit-learn fixes it at 1, the same for 0/1 labels).
 */
function classScorer(metric: typeof precision, average: Average): BuiltInScorer {
  return forClassifier((estimator, X, y) => {
    const classes = estimator.classes;
    const posLabel: ClassLabel = classes[classes.length - 1];
    return metric(y, estimator.predict(X), { average, posLabel });
  });
}

/**
 * Predicted probabilities as scikit-learn's probability scorers pass them on: the positive
 * column alone for binary problems (which makes log loss round exactly as scikit-learn's).
 */
function probabilities(estimator: Classifier, X: DenseMatrix): Float64Array | DenseMatrix {
  const proba = estimator.predictProba(X);
  if (proba.cols !== 2) return proba;
  const positive = new Float64Array(proba.rows);
  for (let i = 0; i < proba.rows; i++) positive[i] = proba.data[2 * i + 1];
  return positive;
}

const builtInScorers = {
  accuracy: forClassifier((estimator, X, y) => accuracy(y, estimator.predict(X))),
  precision: classScorer(precision, 'binary'),
  precision_macro: classScorer(precision, 'macro'),
  precision_micro: classScorer(precision, 'micro'),
  precision_weighted: classScorer(precision, 'weighted'),
  recall: classScorer(recall, 'binary'),
  recall_macro: classScorer(recall, 'macro'),
  recall_micro: classScorer(recall, 'micro'),
  recall_weighted: classScorer(recall, 'weighted'),
  f1: classScorer(f1, 'binary'),
  f1_macro: classScorer(f1, 'macro'),
  f1_micro: classScorer(f1, 'micro'),
  f1_weighted: classScorer(f1, 'weighted'),
  // Binary: the positive class's probability; multiclass: one-vs-rest, macro-averaged.
  roc_auc: forClassifier((estimator, X, y) => rocAuc(y, estimator.predictProba(X), { classes: estimator.classes })),
  roc_auc_ovr: forClassifier((estimator, X, y) => rocAuc(y, estimator.predictProba(X), { classes: estimator.classes })),
  average_precision: forClassifier((estimator, X, y) =>
    averagePrecision(y, estimator.predictProba(X), { classes: estimator.classes }),
  ),
  neg_log_loss: forClassifier(
    (estimator, X, y) => -logLoss(y, probabilities(estimator, X), { classes: estimator.classes }),
  ),
  r2: forRegressor(r2),
  neg_mean_absolute_error: forRegressor((t, p) => -mae(t, p)),
  neg_mean_squared_error: forRegressor((t, p) => -mse(t, p)),
  neg_root_mean_squared_error: forRegressor((t, p) => -rmse(t, p)),
  neg_mean_absolute_percentage_error: forRegressor((t, p) => -mape(t, p)),
} satisfies Record<string, BuiltInScorer>;

export type ScorerName = keyof typeof builtInScorers;

/** A built-in scorer's name, or a function of (fitted estimator, X, y) where greater is better. */
export type ScorerInput = ScorerName | ScoreFunction;

/** One scorer, several by name, or named scorers (built-in names or functions). */
export type Scoring = ScorerInput | readonly ScorerName[] | Readonly<Record<string, ScorerInput>>;

export function listScorers(): ScorerName[] {
  return Object.keys(builtInScorers) as ScorerName[];
}

/** The built-in scorer `name`; unknown names fail listing the known ones. */
export function getScorer(name: string, field = 'scoring'): Scorer {
  if (!Object.hasOwn(builtInScorers, name)) {
    throw new KeelError('invalid_argument', `unknown scorer ${show(name)}; Keel has ${listScorers().join(', ')}`, {
      field,
    });
  }
  return { name, builtIn: name as ScorerName, ...builtInScorers[name as ScorerName] };
}

function scorerOf(input: ScorerInput, name: string, field: string): Scorer {
  return typeof input === 'function'
    ? { name, builtIn: null, needs: 'any', score: input }
    : { ...getScorer(input, field), name };
}

/**
 * The scorers `scoring` names, checked against the estimator. Without scoring: accuracy
 * for a classifier and R² for a regressor, as scikit-learn's `score` methods.
 */
export function resolveScoring(scoring: Scoring | undefined, estimator: Estimator): Scorer[] {
  let scorers: Scorer[];
  if (scoring === undefined) {
    if (!isClassifier(estimator) && !isRegressor(estimator)) {
      throw new KeelError('invalid_argument', `${estimator.algorithm} has no default score: pass scoring`, {
        field: 'scoring',
      });
    }
    scorers = [getScorer(isClassifier(estimator) ? 'accuracy' : 'r2')];
  } else if (typeof scoring === 'string') {
    scorers = [getScorer(scoring)];
  } else if (typeof scoring === 'function') {
    scorers = [scorerOf(scoring, 'score', 'scoring')];
  } else if (Array.isArray(scoring)) {
    scorers = (scoring as readonly string[]).map((name, i) => getScorer(name, `scoring[${i}]`));
  } else {
    scorers = Object.entries(scoring as Readonly<Record<string, ScorerInput>>).map(([name, input]) =>
      scorerOf(input, name, `scoring.${name}`),
    );
  }
  if (scorers.length === 0) {
    throw new KeelError('invalid_argument', 'scoring names no scorer', { field: 'scoring' });
  }
  if (new Set(scorers.map((s) => s.name)).size !== scorers.length) {
    throw new KeelError('invalid_argument', 'scoring names a scorer twice', { field: 'scoring' });
  }
  for (const scorer of scorers) {
    const fits =
      scorer.needs === 'any' || (scorer.needs === 'classifier' ? isClassifier(estimator) : isRegressor(estimator));
    if (!fits) {
      throw new KeelError(
        'invalid_argument',
        `scorer ${scorer.name} is for a ${scorer.needs}, but ${estimator.algorithm} is not one`,
        { field: 'scoring' },
      );
    }
  }
  return scorers;
}
