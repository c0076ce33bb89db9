import type { DenseMatrix } from '../../core/index.js';
import { readBase64, toBase64 } from '../base64.js';
import type { JsonObject, JsonReader } from '../json.js';
import { LevelEnsemble } from '../tree/level-ensemble.js';
import { LEAF, type TreeArrays } from '../tree/tree.js';

/**
 * The fitted trees of an ensemble packed into a few flat arrays. Prediction needs only the
 * split feature and threshold, the right child (the left child of a preorder-numbered node is
 * the next node) and the leaves' values, so a forest keeps only those: a 100-tree, depth-12
 * forest is tens of MB rather than the hundreds that per-node statistics and JSON number
 * arrays would take.
 */
export interface PackedForest {
  readonly nTrees: number;
  /** Values per leaf: class frequencies (classifier), a mean or a path length (one value). */
  readonly nValues: number;
  /** Tree t holds nodes roots[t] … roots[t+1] − 1, its root first (nTrees + 1 entries). */
  readonly roots: Int32Array;
  /** Feature tested at each node; −1 marks a leaf. */
  readonly feature: Int32Array;
  /** Samples whose value, rounded to float32, is ≤ the threshold go left, to the next node. */
  readonly threshold: Float64Array;
  /** At a split, the right child's node id; at a leaf, the leaf's row in `leafValue`. */
  readonly right: Int32Array;
  /** One row of nValues per leaf. */
  readonly leafValue: Float64Array;
}

/** One tree in packed form, numbered from 0, as a worker returns it. */
export interface PackedTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly right: Int32Array;
  readonly leafValue: Float64Array;
}

/** Keeps what prediction needs of a grown tree (whose nodes are numbered in preorder). */
export function packTree(tree: TreeArrays): PackedTree {
  const { nodeCount, nValues } = tree;
  const feature = tree.feature.slice(0, nodeCount);
  const threshold = new Float64Array(nodeCount);
  const right = new Int32Array(nodeCount);
  let leaves = 0;
  for (let node = 0; node < nodeCount; node++) if (feature[node] === LEAF) leaves++;
  const leafValue = new Float64Array(leaves * nValues);
  let leaf = 0;
  for (let node = 0; node < nodeCount; node++) {
    if (feature[node] === LEAF) {
      right[node] = leaf;
      leafValue.set(tree.value.subarray(node * nValues, (node + 1) * nValues), leaf * nValues);
      leaf++;
    } else {
      threshold[node] = tree.threshold[node];
      right[node] = tree.right[node];
    }
  }
  return { feature, threshold, right, leafValue };
}

/** Concatenates trees into one forest, renumbering nodes and leaves. */
export function packForest(trees: readonly PackedTree[], nValues: number): PackedForest {
  let nodes = 0;
  let leafValues = 0;
  for (const tree of trees) {
    nodes += tree.feature.length;
    leafValues += tree.leafValue.length;
  }
  const roots = new Int32Array(trees.length + 1);
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const right = new Int32Array(nodes);
  const leafValue = new Float64Array(leafValues);
  let nodeOffset = 0;
  let leafOffset = 0;
  trees.forEach((tree, t) => {
    roots[t] = nodeOffset;
    feature.set(tree.feature, nodeOffset);
    threshold.set(tree.threshold, nodeOffset);
    for (let node = 0; node < tree.feature.length; node++) {
      right[nodeOffset + node] = tree.right[node] + (tree.feature[node] === LEAF ? leafOffset : nodeOffset);
    }
    leafValue.set(tree.leafValue, leafOffset * nValues);
    nodeOffset += tree.feature.length;
    leafOffset += tree.leafValue.length / nValues;
  });
  roots[trees.length] = nodeOffset;
  return { nTrees: trees.length, nValues, roots, feature, threshold, right, leafValue };
}

/** The row of `leafValue` that row-major float32 row `offset…` reaches in tree `t`. */
export function leafOf(forest: PackedForest, t: number, x: Float32Array, offset: number): number {
  const { feature, threshold, right } = forest;
  let node = forest.roots[t];
  for (let f = feature[node]; f !== LEAF; f = feature[node]) {
    node = x[offset + f] <= threshold[node] ? node + 1 : right[node];
  }
  return right[node];
}

/** X as float32 rows, the precision trees compare in (no copy when it already is float32). */
export function rowMajorFloat32(matrix: DenseMatrix): Float32Array {
  return matrix.data instanceof Float32Array ? matrix.data : Float32Array.from(matrix.data);
}

/** Each forest's breadth-first copy for batch prediction, built on first use (see level-ensemble.ts). */
const levelForests = new WeakMap<PackedForest, LevelEnsemble>();

function levelForest(forest: PackedForest, cols: number): LevelEnsemble {
  let level = levelForests.get(forest);
  if (!level || level.nFeatures !== cols) {
    const { roots, feature, threshold, right } = forest;
    level = LevelEnsemble.build({
      treeCount: forest.nTrees,
      nodeCount: roots[forest.nTrees],
      nFeatures: cols,
      root: (t) => roots[t],
      feature: (node) => feature[node],
      threshold: (node) => threshold[node],
      left: (node) => node + 1,
      right: (node) => right[node],
      leafIndex: (node) => right[node],
      nValues: forest.nValues,
      leafValues: forest.leafValue,
      outputs: 1,
      missingGoesLeft: null,
      float32: true,
    });
    levelForests.set(forest, level);
  }
  return level;
}

/**
 * Adds, for every row of the row-major matrix `x` (rows × cols; values are rounded to float32,
 * as trees compare them), the leaf values it reaches in every tree into `out` (rows × nValues).
 * Each row adds its trees' values in tree order, however the rows are blocked.
 */
export function sumLeafValues(
  forest: PackedForest,
  x: Float32Array | Float64Array,
  rows: number,
  cols: number,
  out: Float64Array,
): void {
  levelForest(forest, cols).addLeafValues(x, rows, out);
}

export function forestToJSON(forest: PackedForest): JsonObject {
  return {
    nTrees: forest.nTrees,
    nValues: forest.nValues,
    roots: toBase64(forest.roots),
    feature: toBase64(forest.feature),
    threshold: toBase64(forest.threshold),
    right: toBase64(forest.right),
    leafValue: toBase64(forest.leafValue),
  };
}

/**
 * Reads a forest written by forestToJSON. Every tree is checked so that prediction stays in
 * bounds and terminates: children lie after their parent inside the same tree, features
 * exist, leaves point at stored values, and all numbers are finite.
 */
export function forestFromJSON(reader: JsonReader, nFeatures: number, nValues: number): PackedForest {
  const nTrees = reader.integer('nTrees', 1);
  if (reader.integer('nValues', 1) !== nValues) {
    throw reader.invalid('nValues', `${nValues} (the number of classes, or 1)`);
  }
  const roots = readBase64(reader, 'roots', Int32Array, nTrees + 1);
  const nodes = roots[nTrees];
  if (roots[0] !== 0) throw reader.invalid('roots', 'node offsets starting at 0');
  for (let t = 0; t < nTrees; t++) {
    if (roots[t + 1] <= roots[t]) throw reader.invalid('roots', 'increasing node offsets');
  }
  const feature = readBase64(reader, 'feature', Int32Array, nodes);
  const threshold = readBase64(reader, 'threshold', Float64Array, nodes);
  const right = readBase64(reader, 'right', Int32Array, nodes);
  const leafValue = readBase64(reader, 'leafValue', Float64Array);
  if (leafValue.length % nValues !== 0) throw reader.invalid('leafValue', `rows of ${nValues} values`);
  const leaves = leafValue.length / nValues;
  for (let t = 0; t < nTrees; t++) {
    const end = roots[t + 1];
    for (let node = roots[t]; node < end; node++) {
      const f = feature[node];
      if (f === LEAF) {
        if (right[node] < 0 || right[node] >= leaves) throw reader.invalid(`right[${node}]`, 'a stored leaf');
      } else {
        if (f < 0 || f >= nFeatures) throw reader.invalid(`feature[${node}]`, `−1 or a feature below ${nFeatures}`);
        if (!(node + 1 < end && right[node] > node + 1 && right[node] < end)) {
          throw reader.invalid(`right[${node}]`, 'a node after the left child in the same tree');
        }
        if (!Number.isFinite(threshold[node])) throw reader.invalid(`threshold[${node}]`, 'a finite number');
      }
    }
  }
  for (let i = 0; i < leafValue.length; i++) {
    if (!Number.isFinite(leafValue[i])) throw reader.invalid(`leafValue[${i}]`, 'a finite number');
  }
  return { nTrees, nValues, roots, feature, threshold, right, leafValue };
}
