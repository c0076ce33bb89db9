import { jsonArray, type JsonObject, type JsonReader } from '../json.js';

/**
 * A fitted tree as flat arrays indexed by node id (scikit-learn's `tree_` layout). Nodes are
 * numbered in depth-first preorder, so both children of a node have larger ids than it: that
 * keeps prediction a tight loop over typed arrays, makes JSON round-trips exact, and lets a
 * loaded tree be checked for cycles in one pass.
 */
export interface TreeArrays {
  readonly nodeCount: number;
  /** Values per node: class frequencies (classifier) or the mean (regressor). */
  readonly nValues: number;
  /** Feature tested at each node; −1 marks a leaf. */
  readonly feature: Int32Array;
  /** Samples go left when their value, rounded to float32 as at fit time, is ≤ the threshold. */
  readonly threshold: Float64Array;
  /** Child ids; −1 at leaves. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** nodeCount × nValues, row-major. */
  readonly value: Float64Array;
  readonly impurity: Float64Array;
  /** Training samples that reached each node (their total weight, once sample weights exist). */
  readonly weight: Float64Array;
}

export const LEAF = -1;

/** The leaf each row of the row-major matrix `x` (rows × cols) lands in. */
export function applyTree(tree: TreeArrays, x: Float64Array | Float32Array, rows: number, cols: number): Int32Array {
  const { feature, threshold, left, right } = tree;
  const leaves = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let node = 0;
    for (let f = feature[0]; f !== LEAF; f = feature[node]) {
      node = Math.fround(x[offset + f]) <= threshold[node] ? left[node] : right[node];
    }
    leaves[i] = node;
  }
  return leaves;
}

/**
 * Mean decrease in impurity per feature, normalised to sum to 1 (scikit-learn's
 * `feature_importances_`); all zeros for a single-leaf tree.
 */
export function featureImportances(tree: TreeArrays, nFeatures: number): Float64Array {
  const importances = new Float64Array(nFeatures);
  const { feature, left, right, weight, impurity } = tree;
  for (let node = 0; node < tree.nodeCount; node++) {
    const f = feature[node];
    if (f === LEAF) continue;
    const l = left[node];
    const r = right[node];
    importances[f] += weight[node] * impurity[node] - weight[l] * impurity[l] - weight[r] * impurity[r];
  }
  let total = 0;
  for (let f = 0; f < nFeatures; f++) total += importances[f];
  if (total > 0) for (let f = 0; f < nFeatures; f++) importances[f] /= total;
  return importances;
}

/** Longest root-to-leaf path, in edges (scikit-learn's `get_depth()`). */
export function treeDepth(tree: TreeArrays): number {
  // Preorder numbering means a parent is always visited before its children.
  const depth = new Int32Array(tree.nodeCount);
  let max = 0;
  for (let node = 0; node < tree.nodeCount; node++) {
    if (tree.feature[node] === LEAF) {
      if (depth[node] > max) max = depth[node];
      continue;
    }
    depth[tree.left[node]] = depth[node] + 1;
    depth[tree.right[node]] = depth[node] + 1;
  }
  return max;
}

export function leafCount(tree: TreeArrays): number {
  let count = 0;
  for (let node = 0; node < tree.nodeCount; node++) if (tree.feature[node] === LEAF) count++;
  return count;
}

export function treeToJSON(tree: TreeArrays): JsonObject {
  return {
    nodeCount: tree.nodeCount,
    nValues: tree.nValues,
    feature: jsonArray(tree.feature),
    threshold: jsonArray(tree.threshold),
    left: jsonArray(tree.left),
    right: jsonArray(tree.right),
    value: jsonArray(tree.value),
    impurity: jsonArray(tree.impurity),
    weight: jsonArray(tree.weight),
  };
}

/** Reads a tree written by treeToJSON, checking that every node is reachable only forward (no cycles). */
export function treeFromJSON(reader: JsonReader, nFeatures: number, nValues: number): TreeArrays {
  const nodeCount = reader.integer('nodeCount', 1);
  if (reader.integer('nValues', 1) !== nValues) {
    throw reader.invalid('nValues', `${nValues} (the number of classes, or 1 for regression)`);
  }
  const feature = reader.int32Array('feature', nodeCount, LEAF, nFeatures - 1);
  const left = reader.int32Array('left', nodeCount, LEAF, nodeCount - 1);
  const right = reader.int32Array('right', nodeCount, LEAF, nodeCount - 1);
  for (let node = 0; node < nodeCount; node++) {
    const isLeaf = feature[node] === LEAF;
    const childrenOk = isLeaf
      ? left[node] === LEAF && right[node] === LEAF
      : left[node] > node && right[node] > node && left[node] !== right[node];
    if (!childrenOk) throw reader.invalid(`left[${node}]`, 'a valid child id (children follow their parent)');
  }
  return {
    nodeCount,
    nValues,
    feature,
    threshold: reader.float64Array('threshold', nodeCount),
    left,
    right,
    value: reader.float64Array('value', nodeCount * nValues),
    impurity: reader.float64Array('impurity', nodeCount),
    weight: reader.float64Array('weight', nodeCount),
  };
}
