import { KeelError, type TaskType } from '../../core/index.js';
import {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  estimatorFromJSON,
  GaussianNB,
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  LinearRegression,
  LogisticRegression,
  RandomForestClassifier,
  RandomForestRegressor,
  Ridge,
  type ClassLabel,
  type Estimator,
  type PackedForest,
  type TreeArrays,
  type TreeEnsemble,
} from '../../ml/index.js';
import type { Attribute, GraphBuilder } from './graph-builder.js';
import { castTo, concat, notExportable } from './ops.js';

/**
 * The estimator as ONNX, from the feature matrix (double [N, F]) to the outputs: `label` [N]
 * and `probabilities` [N, classes] (double, classes in the model's order) for classifiers,
 * `variable` [N, 1] (double) for regressors.
 *
 * - Linear models and Gaussian naive Bayes are standard operators in double (Gemm, Sigmoid,
 *   Softmax, …): Keel's numbers to rounding.
 * - Trees, forests and gradient boosting are ONNX-ML TreeEnsembleClassifier/Regressor fed with
 *   double inputs and thresholds (`nodes_values_as_tensor`), so every split goes the way it goes
 *   in Keel (trees and forests compare the feature rounded to float32, as Keel does: the graph
 *   casts through float first). ONNX Runtime sums the leaves in double but outputs float32:
 *   classifier probabilities keep that (|Δ| ≤ 3e-8); regressors and boosting's raw scores get
 *   double precision back by a split of every leaf value (see `treeRegression`).
 * - The label is the class of the largest probability, the first on a tie, as Keel picks it.
 */

export type ExportedOutputs =
  { readonly kind: 'classifier'; readonly classes: readonly ClassLabel[] } | { readonly kind: 'regressor' };

export function exportEstimator(
  g: GraphBuilder,
  estimatorJson: unknown,
  task: TaskType,
  x: string,
  width: number,
): ExportedOutputs {
  const estimator = estimatorFromJSON(estimatorJson);
  const part = `estimator "${estimator.algorithm}"`;
  if (estimator.nFeatures !== width) {
    throw new KeelError(
      'incompatible',
      `${part} was fitted on ${estimator.nFeatures} features but the feature pipeline makes ${width}`,
    );
  }
  if (task === 'regression') {
    const value = regression(g, estimator, x, part);
    g.output(value, 'variable', 'double', ['N', 1]);
    return { kind: 'regressor' };
  }
  const { probabilities, classes } = classification(g, estimator, x, part);
  const best = g.op('ArgMax', [probabilities], { axis: 1, keepdims: 0 });
  const numeric = classes.every((c) => typeof c === 'number');
  const integral = numeric && classes.every((c) => Number.isSafeInteger(c));
  const table = integral
    ? g.int64s(classes as number[], [classes.length], 'classes')
    : numeric
      ? g.doubles(classes as number[], [classes.length], 'classes')
      : g.strings(classes.map(String), [classes.length], 'classes');
  const label = g.op('Gather', [table, best], { axis: 0 });
  // label first, then probabilities: the order skl2onnx gives a classifier's outputs.
  g.output(label, 'label', integral ? 'int64' : numeric ? 'double' : 'string', ['N']);
  g.output(probabilities, 'probabilities', 'double', ['N', classes.length]);
  return { kind: 'classifier', classes };
}

function regression(g: GraphBuilder, estimator: Estimator, x: string, part: string): string {
  if (estimator instanceof LinearRegression || estimator instanceof Ridge) {
    const coef = estimator.coef;
    return g.op(
      'Gemm',
      [x, g.doubles(coef, [1, coef.length], 'coef'), g.doubles([estimator.intercept], [1], 'intercept')],
      {
        transB: 1,
      },
    );
  }
  if (estimator instanceof DecisionTreeRegressor)
    return treeRegression(g, float32Splits(g, x), fromTree(estimator.tree), 1);
  if (estimator instanceof RandomForestRegressor) {
    const forest = estimator.forest;
    return treeRegression(g, float32Splits(g, x), fromForest(forest, 1 / forest.nTrees), 1);
  }
  if (estimator instanceof HistGradientBoostingRegressor) {
    return treeRegression(g, x, fromEnsemble(estimator.trees, 1), 1, estimator.baseline);
  }
  throw unsupported(estimator, part);
}

function classification(
  g: GraphBuilder,
  estimator: Estimator,
  x: string,
  part: string,
): { probabilities: string; classes: readonly ClassLabel[] } {
  if (estimator instanceof LogisticRegression) {
    const coef = estimator.coef;
    const logits = g.op(
      'Gemm',
      [
        x,
        g.doubles(coef.data, [coef.rows, coef.cols], 'coef'),
        g.doubles(estimator.intercept, [coef.rows], 'intercept'),
      ],
      {
        transB: 1,
      },
    );
    return {
      probabilities: coef.rows === 1 ? binary(g, g.op('Sigmoid', [logits])) : softmax(g, logits),
      classes: estimator.classes,
    };
  }
  if (estimator instanceof GaussianNB)
    return { probabilities: gaussianNB(g, estimator, x), classes: estimator.classes };
  if (estimator instanceof DecisionTreeClassifier) {
    const classes = estimator.classes;
    return { probabilities: treeClassification(g, float32Splits(g, x), fromTree(estimator.tree), classes), classes };
  }
  if (estimator instanceof RandomForestClassifier) {
    const classes = estimator.classes;
    const forest = estimator.forest;
    return {
      probabilities: treeClassification(g, float32Splits(g, x), fromForest(forest, 1 / forest.nTrees), classes),
      classes,
    };
  }
  if (estimator instanceof HistGradientBoostingClassifier) {
    const classes = estimator.classes;
    const baseline = estimator.baseline;
    const raw = treeRegression(g, x, fromEnsemble(estimator.trees, baseline.length), baseline.length, baseline);
    return { probabilities: baseline.length === 1 ? binary(g, g.op('Sigmoid', [raw])) : softmax(g, raw), classes };
  }
  throw unsupported(estimator, part);
}

function unsupported(estimator: Estimator, part: string): KeelError {
  const reasons: Record<string, string> = {
    k_neighbors:
      'k-nearest neighbours keeps its training rows and ranks them by distance for each query; ONNX-ML has no neighbours operator (use a tree ensemble or a linear model for ONNX)',
    k_neighbors_regressor:
      'k-nearest neighbours keeps its training rows and ranks them by distance for each query; ONNX-ML has no neighbours operator (use a tree ensemble or a linear model for ONNX)',
    k_means: 'clustering has no ONNX output in Keel (models are classifiers or regressors)',
    isolation_forest: 'anomaly scores have no ONNX output in Keel (models are classifiers or regressors)',
  };
  return notExportable(part, reasons[estimator.algorithm] ?? `Keel does not know how to export ${estimator.algorithm}`);
}

/** [1 − p, p] from the positive class's probability p ([N, 1]): Keel's binary probabilities. */
function binary(g: GraphBuilder, p: string): string {
  return concat(g, [g.op('Sub', [g.scalar(1), p]), p], 1);
}

function softmax(g: GraphBuilder, logits: string): string {
  return g.op('Softmax', [logits], { axis: 1 });
}

/** Keel's GaussianNB: log prior − ½ Σ log(2π σ²) − ½ Σ (x − θ)² / σ², then normalised (softmax of the joint log-likelihood). */
function gaussianNB(g: GraphBuilder, model: GaussianNB, x: string): string {
  const theta = model.theta;
  const variance = model.variance;
  const prior = model.classPrior;
  const k = theta.rows;
  const p = theta.cols;
  const constant = Array.from({ length: k }, (_, c) => {
    let logDet = 0;
    for (let j = 0; j < p; j++) logDet += Math.log(2 * Math.PI * variance.data[c * p + j]);
    return Math.log(prior[c]) - 0.5 * logDet;
  });
  const diff = g.op('Sub', [g.op('Unsqueeze', [x, g.int64s([1])]), g.doubles(theta.data, [1, k, p], 'theta')]);
  const scaled = g.op('Div', [g.op('Mul', [diff, diff]), g.doubles(variance.data, [1, k, p], 'variance')]);
  const sum = g.op('ReduceSum', [scaled, g.int64s([2])], { keepdims: 0 });
  const jll = g.op('Sub', [g.doubles(constant, [1, k], 'log_prior'), g.op('Mul', [g.scalar(0.5), sum])]);
  return softmax(g, jll);
}

// ---------------------------------------------------------------------------------------------
// Trees

/** Tree nodes and leaf weights in the attribute layout of the ONNX-ML tree ensembles. */
interface OnnxTrees {
  readonly treeIds: number[];
  readonly nodeIds: number[];
  readonly featureIds: number[];
  readonly thresholds: number[];
  readonly modes: string[];
  readonly trueIds: number[];
  readonly falseIds: number[];
  readonly missingTrue: number[];
  readonly leafTree: number[];
  readonly leafNode: number[];
  readonly leafTarget: number[];
  readonly leafWeight: number[];
}

function emptyTrees(): OnnxTrees {
  return {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    thresholds: [],
    modes: [],
    trueIds: [],
    falseIds: [],
    missingTrue: [],
    leafTree: [],
    leafNode: [],
    leafTarget: [],
    leafWeight: [],
  };
}

function addSplit(
  t: OnnxTrees,
  tree: number,
  node: number,
  feature: number,
  threshold: number,
  left: number,
  right: number,
  missingLeft: boolean,
): void {
  t.treeIds.push(tree);
  t.nodeIds.push(node);
  t.featureIds.push(feature);
  t.thresholds.push(threshold);
  t.modes.push('BRANCH_LEQ');
  t.trueIds.push(left);
  t.falseIds.push(right);
  t.missingTrue.push(missingLeft ? 1 : 0);
}

function addLeaf(
  t: OnnxTrees,
  tree: number,
  node: number,
  weights: ArrayLike<number>,
  scale: number,
  target?: number,
): void {
  t.treeIds.push(tree);
  t.nodeIds.push(node);
  t.featureIds.push(0);
  t.thresholds.push(0);
  t.modes.push('LEAF');
  t.trueIds.push(0);
  t.falseIds.push(0);
  t.missingTrue.push(0);
  for (let v = 0; v < weights.length; v++) {
    t.leafTree.push(tree);
    t.leafNode.push(node);
    t.leafTarget.push(target ?? v);
    t.leafWeight.push(weights[v] * scale);
  }
}

/** A single CART tree (preorder nodes, left/right ids, nValues per node). */
function fromTree(tree: TreeArrays): OnnxTrees {
  const t = emptyTrees();
  for (let node = 0; node < tree.nodeCount; node++) {
    const f = tree.feature[node];
    if (f === -1) addLeaf(t, 0, node, tree.value.subarray(node * tree.nValues, (node + 1) * tree.nValues), 1);
    else addSplit(t, 0, node, f, tree.threshold[node], tree.left[node], tree.right[node], false);
  }
  return t;
}

/** A packed forest: left child = next node, `right` = right child (splits) or leaf row (leaves). */
function fromForest(forest: PackedForest, scale: number): OnnxTrees {
  const t = emptyTrees();
  const k = forest.nValues;
  for (let tree = 0; tree < forest.nTrees; tree++) {
    const root = forest.roots[tree];
    for (let node = root; node < forest.roots[tree + 1]; node++) {
      const f = forest.feature[node];
      if (f === -1) {
        const leaf = forest.right[node];
        addLeaf(t, tree, node - root, forest.leafValue.subarray(leaf * k, (leaf + 1) * k), scale);
      } else {
        addSplit(t, tree, node - root, f, forest.threshold[node], node + 1 - root, forest.right[node] - root, false);
      }
    }
  }
  return t;
}

/** Gradient-boosted trees: absolute node ids, the learned side for missing values; tree t adds to output t mod K. */
function fromEnsemble(ensemble: TreeEnsemble, treesPerIteration: number): OnnxTrees {
  const t = emptyTrees();
  for (let tree = 0; tree < ensemble.treeCount; tree++) {
    const root = ensemble.treeStart[tree];
    for (let node = root; node < ensemble.treeStart[tree + 1]; node++) {
      const f = ensemble.feature[node];
      if (f === -1) addLeaf(t, tree, node - root, [ensemble.value[node]], 1, tree % treesPerIteration);
      else {
        addSplit(
          t,
          tree,
          node - root,
          f,
          ensemble.threshold[node],
          ensemble.left[node] - root,
          ensemble.right[node] - root,
          ensemble.missingGoToLeft[node] === 1,
        );
      }
    }
  }
  return t;
}

/** X rounded to float32 and widened back: trees and forests split on float32 features, as Keel's do. */
function float32Splits(g: GraphBuilder, x: string): string {
  return castTo(g, castTo(g, x, 'float'), 'double');
}

function nodeAttributes(t: OnnxTrees): Record<string, Attribute> {
  return {
    nodes_treeids: { ints: t.treeIds },
    nodes_nodeids: { ints: t.nodeIds },
    nodes_featureids: { ints: t.featureIds },
    nodes_values_as_tensor: { name: '', dims: [t.thresholds.length], data: { type: 'double', values: t.thresholds } },
    nodes_modes: { strings: t.modes },
    nodes_truenodeids: { ints: t.trueIds },
    nodes_falsenodeids: { ints: t.falseIds },
    nodes_missing_value_tracks_true: { ints: t.missingTrue },
    post_transform: 'NONE',
  };
}

/**
 * Sums of leaf weights per target (double [N, targets]), plus `baseline` when given, to double
 * precision although TreeEnsembleRegressor's output is float32. Each leaf weight w is split into
 * hi, a multiple of a power of two q sized so that any sum of the hi parts is a float32 exactly,
 * and lo = w − hi (|lo| ≤ q/2). The ensemble gets two targets per target, sums both in double
 * (ONNX Runtime does for double input) and rounds each to float32: the hi sum exactly, the lo
 * sum within 2⁻²⁴ of its small size. Adding them back in double leaves an error of about
 * trees × max|w| × 2⁻⁴⁸ — 1e-10 for a hundred trees of values in the thousands.
 */
function treeRegression(
  g: GraphBuilder,
  x: string,
  trees: OnnxTrees,
  targets: number,
  baseline?: Float64Array,
): string {
  // Per target, a bound on |Σ w| over the trees: the sum of each tree's largest |w|.
  const largest = new Map<number, number>();
  trees.leafWeight.forEach((w, i) => {
    const key = trees.leafTree[i] * targets + trees.leafTarget[i];
    largest.set(key, Math.max(largest.get(key) ?? 0, Math.abs(w)));
  });
  const bound = new Float64Array(targets);
  for (const [key, value] of largest) bound[key % targets] += value;
  const quantum = Array.from(bound, (b) => (b > 0 ? 2 ** Math.ceil(Math.log2(b / 2 ** 23)) : 1));
  const ids: number[] = [];
  const weights: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  trees.leafWeight.forEach((w, i) => {
    const k = trees.leafTarget[i];
    const hi = Math.round(w / quantum[k]) * quantum[k];
    leafTree.push(trees.leafTree[i], trees.leafTree[i]);
    leafNode.push(trees.leafNode[i], trees.leafNode[i]);
    ids.push(2 * k, 2 * k + 1);
    weights.push(hi, w - hi);
  });
  const parts = g.op('TreeEnsembleRegressor', [x], {
    ...nodeAttributes(trees),
    n_targets: 2 * targets,
    aggregate_function: 'SUM',
    target_treeids: { ints: leafTree },
    target_nodeids: { ints: leafNode },
    target_ids: { ints: ids },
    target_weights_as_tensor: { name: '', dims: [weights.length], data: { type: 'double', values: weights } },
  });
  const pairs = g.op('Reshape', [castTo(g, parts, 'double'), g.int64s([-1, targets, 2])]);
  const sums = g.op('ReduceSum', [pairs, g.int64s([2])], { keepdims: 0 });
  return baseline ? g.op('Add', [sums, g.doubles(baseline, [1, targets], 'baseline')]) : sums;
}

/** Class probabilities (double [N, classes]): TreeEnsembleClassifier's scores (its label output is not used). */
function treeClassification(g: GraphBuilder, x: string, trees: OnnxTrees, classes: readonly ClassLabel[]): string {
  const integral = classes.every((c) => typeof c === 'number' && Number.isSafeInteger(c));
  const [, scores] = g.ops('TreeEnsembleClassifier', [x], 2, {
    ...nodeAttributes(trees),
    ...(integral
      ? { classlabels_int64s: { ints: classes as number[] } }
      : { classlabels_strings: { strings: classes.map(String) } }),
    class_treeids: { ints: trees.leafTree },
    class_nodeids: { ints: trees.leafNode },
    class_ids: { ints: trees.leafTarget },
    class_weights_as_tensor: {
      name: '',
      dims: [trees.leafWeight.length],
      data: { type: 'double', values: trees.leafWeight },
    },
  });
  return castTo(g, scores, 'double');
}
