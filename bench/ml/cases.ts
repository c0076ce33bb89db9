import type { EstimatorParamValue } from '../../src/ml/index.js';

/**
 * The rows of SPEC.md §5's ML targets, each with the same settings on both sides: Keel's
 * params (camelCase) and scikit-learn's (snake_case; n_jobs and random_state are added by
 * sklearn_bench.py). Sizes are training rows; test rows are extra rows of the same data.
 */

type KeelParams = Readonly<Record<string, EstimatorParamValue>>;
type SklearnParams = Readonly<Record<string, number | string | boolean | null>>;

export type QualityMetric = 'roc_auc' | 'log_loss' | 'accuracy';

/** One estimator fitted on train rows, then timed predicting the test rows. */
export interface HoldoutCase {
  readonly kind: 'holdout';
  readonly id: string;
  readonly estimator: string;
  readonly describe: (train: number, test: number) => string;
  readonly train: number;
  readonly test: number;
  readonly cols: number;
  /** Seeds the row's generated data. */
  readonly seed: number;
  readonly keel: KeelParams;
  readonly sklearn: SklearnParams;
  readonly metric: QualityMetric;
  /** What predict times: probabilities (and the metric from them) or labels. */
  readonly predict: 'proba' | 'labels';
  readonly targets: {
    /** Keel ÷ scikit-learn fit time at most. */
    readonly fitRatio?: number;
    readonly predictRatio?: number;
    /** |Keel − scikit-learn| of the metric at most. */
    readonly qualityDiff: number;
  };
}

/** Fit time at growing row counts: the log-log slope says how cost grows with rows. */
export interface GrowthCase {
  readonly kind: 'growth';
  readonly id: string;
  readonly estimator: string;
  readonly describe: (sizes: readonly number[]) => string;
  readonly sizes: readonly number[];
  readonly cols: number;
  readonly seed: number;
  readonly keel: KeelParams;
  readonly sklearn: SklearnParams;
  readonly targetSlope: number;
}

/** 5-fold stratified cross-validated accuracy on one of scikit-learn's bundled datasets. */
export interface RealDataCase {
  readonly kind: 'real';
  readonly id: string;
  readonly estimator: string;
  readonly dataset: 'breast_cancer' | 'wine' | 'digits';
  readonly keel: KeelParams;
  readonly sklearn: SklearnParams;
  readonly targetDiff: number;
}

export type BenchCase = HoldoutCase | GrowthCase | RealDataCase;

export interface CaseOptions {
  /** Smaller sizes and fewer trees, for a smoke run. */
  readonly quick: boolean;
  /** Multiplies every row count (after quick), down to tiny sizes for tests. */
  readonly scale: number;
}

const K = 1000;
const M = 1_000_000;

/** Row counts as in "200k" or "1M". */
export function count(rows: number): string {
  if (rows >= M && rows % (M / 10) === 0) return `${rows / M}M`;
  if (rows >= K && rows % (K / 10) === 0) return `${rows / K}k`;
  return String(rows);
}

export function benchCases({ quick, scale }: CaseOptions): BenchCase[] {
  const rows = (full: number, smoke: number): number => Math.max(60, Math.round((quick ? smoke : full) * scale));
  const trees = quick ? 20 : 100;
  const cols = 20;
  const holdout: HoldoutCase[] = [
    {
      kind: 'holdout',
      id: 'random_forest',
      estimator: 'random_forest',
      describe: (train) => `random forest ${count(train)}×${cols}, ${trees} trees, depth 12`,
      train: rows(200 * K, 20 * K),
      test: rows(50 * K, 5 * K),
      cols,
      seed: 0,
      keel: { nEstimators: trees, maxDepth: 12, nJobs: 2, seed: 0 },
      sklearn: { n_estimators: trees, max_depth: 12 },
      metric: 'roc_auc',
      predict: 'proba',
      targets: { fitRatio: 1, qualityDiff: 0.005 },
    },
    {
      kind: 'holdout',
      id: 'hist_gradient_boosting',
      estimator: 'hist_gradient_boosting',
      describe: (train) => `hist gradient boosting ${count(train)}×${cols}, 100 iters, 31 leaves`,
      train: rows(M, 100 * K),
      test: rows(100 * K, 10 * K),
      cols,
      seed: 1,
      keel: { maxIter: 100, maxLeafNodes: 31, learningRate: 0.1, earlyStopping: false, nJobs: 2, seed: 0 },
      sklearn: { max_iter: 100, max_leaf_nodes: 31, learning_rate: 0.1, early_stopping: false },
      metric: 'roc_auc',
      predict: 'proba',
      targets: { fitRatio: 1, qualityDiff: 0.003 },
    },
    {
      kind: 'holdout',
      id: 'logistic_regression',
      estimator: 'logistic_regression',
      describe: (train) => `logistic regression ${count(train)}×${cols}, L2, lbfgs`,
      train: rows(M, 100 * K),
      test: rows(100 * K, 10 * K),
      cols,
      seed: 2,
      keel: { C: 1, maxIter: 100, tol: 1e-4 },
      sklearn: { C: 1.0, max_iter: 100, tol: 1e-4 },
      metric: 'log_loss',
      predict: 'proba',
      targets: { fitRatio: 1, qualityDiff: 1e-4 },
    },
    {
      kind: 'holdout',
      id: 'decision_tree',
      estimator: 'decision_tree',
      describe: (train) => `decision tree ${count(train)}×${cols}, depth 12`,
      train: rows(200 * K, 20 * K),
      test: rows(50 * K, 5 * K),
      cols,
      seed: 3,
      keel: { maxDepth: 12, seed: 0 },
      sklearn: { max_depth: 12 },
      metric: 'accuracy',
      predict: 'labels',
      targets: { fitRatio: 1, qualityDiff: 0.02 },
    },
    {
      kind: 'holdout',
      id: 'k_neighbors',
      estimator: 'k_neighbors',
      describe: (train, test) => `KNN brute force ${count(train)} train × ${count(test)} queries, k=5`,
      train: rows(100 * K, 10 * K),
      test: rows(10 * K, K),
      cols,
      seed: 4,
      keel: { nNeighbors: 5, nJobs: 2 },
      sklearn: { n_neighbors: 5 },
      metric: 'accuracy',
      predict: 'labels',
      targets: { predictRatio: 1.5, qualityDiff: 0.02 },
    },
  ];

  const sizes = [50 * K, 100 * K, 200 * K].map((n) => rows(n, n / 10));
  const growthTrees = quick ? 5 : 20;
  const growth: GrowthCase[] = [
    {
      kind: 'growth',
      id: 'decision_tree.growth',
      estimator: 'decision_tree',
      describe: (s) => `decision tree fit growth ${count(s[0])}→${count(s[s.length - 1])}, depth 12`,
      sizes,
      cols,
      seed: 5,
      keel: { maxDepth: 12, seed: 0 },
      sklearn: { max_depth: 12 },
      targetSlope: 1.2,
    },
    {
      kind: 'growth',
      id: 'random_forest.growth',
      estimator: 'random_forest',
      describe: (s) => `random forest fit growth ${count(s[0])}→${count(s[s.length - 1])}, ${growthTrees} trees`,
      sizes,
      cols,
      seed: 6,
      keel: { nEstimators: growthTrees, maxDepth: 12, nJobs: 2, seed: 0 },
      sklearn: { n_estimators: growthTrees, max_depth: 12 },
      targetSlope: 1.2,
    },
    {
      kind: 'growth',
      id: 'hist_gradient_boosting.growth',
      estimator: 'hist_gradient_boosting',
      describe: (s) => `hist gradient boosting fit growth ${count(s[0])}→${count(s[s.length - 1])}`,
      sizes,
      cols,
      seed: 7,
      keel: { maxIter: 100, maxLeafNodes: 31, earlyStopping: false, nJobs: 2, seed: 0 },
      sklearn: { max_iter: 100, max_leaf_nodes: 31, early_stopping: false },
      targetSlope: 1.2,
    },
  ];

  // Every classifier with the same settings on both sides; iterations high enough that both
  // logistic regressions converge on unscaled features.
  const classifiers: { estimator: string; keel: KeelParams; sklearn: SklearnParams }[] = [
    { estimator: 'logistic_regression', keel: { maxIter: 5000 }, sklearn: { max_iter: 5000 } },
    { estimator: 'decision_tree', keel: { seed: 0 }, sklearn: {} },
    { estimator: 'random_forest', keel: { nEstimators: 100, nJobs: 2, seed: 0 }, sklearn: { n_estimators: 100 } },
    { estimator: 'hist_gradient_boosting', keel: { nJobs: 2, seed: 0 }, sklearn: {} },
    { estimator: 'k_neighbors', keel: { nNeighbors: 5, nJobs: 2 }, sklearn: { n_neighbors: 5 } },
    { estimator: 'gaussian_nb', keel: {}, sklearn: {} },
  ];
  const real: RealDataCase[] = (['breast_cancer', 'wine', 'digits'] as const).flatMap((dataset) =>
    classifiers.map((c) => ({
      kind: 'real' as const,
      id: `${c.estimator}.${dataset}`,
      dataset,
      targetDiff: 0.02,
      ...c,
    })),
  );
  return [...holdout, ...growth, ...real];
}
