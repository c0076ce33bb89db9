import { KeelError } from '../core/index.js';
import type { Estimator, EstimatorClass } from './estimator.js';
import { JsonReader } from './json.js';
import { LogisticRegression } from './linear/logistic-regression.js';
import type { ParamValue } from './params.js';
import { DecisionTreeClassifier, DecisionTreeRegressor } from './tree/decision-tree.js';
import { IsolationForest } from './ensemble/isolation-forest.js';
import { RandomForestClassifier, RandomForestRegressor } from './ensemble/random-forest.js';
import { KNeighborsClassifier, KNeighborsRegressor } from './neighbors/k-neighbors.js';
import { GaussianNB } from './naive-bayes/gaussian-nb.js';
import { KMeans } from './cluster/k-means.js';
import { LinearRegression } from './linear/linear-regression.js';
import { Ridge } from './linear/ridge.js';
import { HistGradientBoostingClassifier, HistGradientBoostingRegressor } from './boosting/hist-gradient-boosting.js';

/**
 * Every built-in estimator by its snake_case name, the name keel.yaml, runs and model packages
 * use. An explicit table rather than self-registration, so what exists is visible in one place.
 */
const estimatorClasses = {
  logistic_regression: LogisticRegression,
  decision_tree: DecisionTreeClassifier,
  decision_tree_regressor: DecisionTreeRegressor,
  random_forest: RandomForestClassifier,
  random_forest_regressor: RandomForestRegressor,
  isolation_forest: IsolationForest,
  k_neighbors: KNeighborsClassifier,
  k_neighbors_regressor: KNeighborsRegressor,
  gaussian_nb: GaussianNB,
  k_means: KMeans,
  linear_regression: LinearRegression,
  ridge: Ridge,
  hist_gradient_boosting: HistGradientBoostingClassifier,
  hist_gradient_boosting_regressor: HistGradientBoostingRegressor,
} satisfies Record<string, EstimatorClass>;

export type Algorithm = keyof typeof estimatorClasses;

export type EstimatorFor<A extends Algorithm> = InstanceType<(typeof estimatorClasses)[A]>;

export function listAlgorithms(): Algorithm[] {
  return Object.keys(estimatorClasses) as Algorithm[];
}

function isAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(estimatorClasses, name);
}

/** The class registered under `algorithm`, to read its tags before creating one. */
export function estimatorClass(algorithm: string): EstimatorClass {
  if (!isAlgorithm(algorithm)) {
    throw new KeelError(
      'invalid_argument',
      `unknown algorithm "${algorithm}"; Keel has ${listAlgorithms().join(', ')}`,
      { field: 'algorithm' },
    );
  }
  return estimatorClasses[algorithm];
}

/** A new unfitted estimator; params are validated (unknown names and bad values name the field). */
export function createEstimator<A extends Algorithm>(
  algorithm: A,
  params?: Readonly<Record<string, ParamValue>>,
): EstimatorFor<A>;
export function createEstimator(algorithm: string, params?: Readonly<Record<string, ParamValue>>): Estimator;
export function createEstimator(algorithm: string, params: Readonly<Record<string, ParamValue>> = {}): Estimator {
  const Class = estimatorClass(algorithm);
  return new Class(params);
}

/** Rebuilds any estimator from its `toJSON()` output, dispatching on `algorithm`. */
export function estimatorFromJSON(json: unknown): Estimator {
  const algorithm = JsonReader.object(json, 'model').string('algorithm');
  if (!isAlgorithm(algorithm)) {
    throw new KeelError(
      'incompatible',
      `model JSON is for algorithm "${algorithm}", which this version of Keel does not have (it has ${listAlgorithms().join(', ')})`,
      { field: 'model.algorithm' },
    );
  }
  const Class: EstimatorClass = estimatorClasses[algorithm];
  return Class.fromJSON(json);
}
