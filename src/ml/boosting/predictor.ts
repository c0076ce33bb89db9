import { readBase64, toBase64 } from '../base64.js';
import type { JsonObject, JsonReader } from '../json.js';
import { LevelEnsemble } from '../tree/level-ensemble.js';

/**
 * The fitted trees of a boosting model in flat arrays (scikit-learn's TreePredictor nodes, all
 * trees end to end). Thresholds are real values, so prediction reads X directly, no binning:
 * a sample goes left when its value is ≤ the threshold, or when it is missing and
 * missingGoToLeft is set. A threshold of +∞ is scikit-learn's "split on missing": every present
 * value goes left and only missing values go right.
 */
export interface TreeEnsemble {
  /** Trees in fit order: iteration by iteration, one per class within an iteration. */
  readonly treeCount: number;
  /** First node of each tree, plus one more entry: the node count. */
  readonly treeStart: Int32Array;
  /** Feature tested at each node; −1 at leaves. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingGoToLeft: Uint8Array;
  /** Child node ids (absolute, in the flat arrays); −1 at leaves. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** The leaf's contribution to the raw prediction (learning rate applied); 0 at split nodes. */
  readonly value: Float64Array;
}

export const LEAF = -1;

/** Node arrays that grow by doubling while trees are added. */
export class EnsembleBuilder {
  private treeStarts: number[] = [0];
  private count = 0;
  private feature = new Int32Array(256);
  private threshold = new Float64Array(256);
  private missingGoToLeft = new Uint8Array(256);
  private left = new Int32Array(256);
  private right = new Int32Array(256);
  private value = new Float64Array(256);

  get nodeCount(): number {
    return this.count;
  }

  /** Appends a node; `left`/`right` are set later with setChildren. */
  addNode(feature: number, threshold: number, missingGoToLeft: boolean, value: number): number {
    if (this.count === this.feature.length) this.grow();
    const node = this.count++;
    this.feature[node] = feature;
    this.threshold[node] = threshold;
    this.missingGoToLeft[node] = missingGoToLeft ? 1 : 0;
    this.left[node] = LEAF;
    this.right[node] = LEAF;
    this.value[node] = value;
    return node;
  }

  setChildren(node: number, left: number, right: number): void {
    this.left[node] = left;
    this.right[node] = right;
  }

  endTree(): void {
    this.treeStarts.push(this.count);
  }

  finish(): TreeEnsemble {
    const n = this.count;
    return {
      treeCount: this.treeStarts.length - 1,
      treeStart: Int32Array.from(this.treeStarts),
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      missingGoToLeft: this.missingGoToLeft.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n),
    };
  }

  /** Adds tree `tree`'s prediction for each row of the row-major `x` to out[offset + row]. */
  addTreePrediction(
    tree: number,
    x: Float64Array | Float32Array,
    rows: number,
    cols: number,
    out: Float64Array,
    offset: number,
  ): void {
    const root = this.treeStarts[tree];
    const { feature, threshold, missingGoToLeft, left, right, value } = this;
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      let node = root;
      for (let f = feature[node]; f !== LEAF; f = feature[node]) {
        const v = x[base + f];
        node = v <= threshold[node] || (v !== v && missingGoToLeft[node] === 1) ? left[node] : right[node];
      }
      out[offset + i] += value[node];
    }
  }

  private grow(): void {
    const size = this.feature.length * 2;
    const grown = <A extends Int32Array | Float64Array | Uint8Array>(a: A, Type: new (n: number) => A): A => {
      const b = new Type(size);
      b.set(a);
      return b;
    };
    this.feature = grown(this.feature, Int32Array);
    this.threshold = grown(this.threshold, Float64Array);
    this.missingGoToLeft = grown(this.missingGoToLeft, Uint8Array);
    this.left = grown(this.left, Int32Array);
    this.right = grown(this.right, Int32Array);
    this.value = grown(this.value, Float64Array);
  }
}

/** Each ensemble's breadth-first copy for batch prediction, built on first use (see level-ensemble.ts). */
const levelEnsembles = new WeakMap<TreeEnsemble, LevelEnsemble>();

function levelOf(ensemble: TreeEnsemble, cols: number, outputs: number): LevelEnsemble {
  let level = levelEnsembles.get(ensemble);
  if (!level || level.nFeatures !== cols) {
    const { treeStart, feature, threshold, missingGoToLeft, left, right } = ensemble;
    level = LevelEnsemble.build({
      treeCount: ensemble.treeCount,
      nodeCount: feature.length,
      nFeatures: cols,
      root: (t) => treeStart[t],
      feature: (node) => feature[node],
      threshold: (node) => threshold[node],
      left: (node) => left[node],
      right: (node) => right[node],
      leafIndex: (node) => node,
      nValues: 1,
      leafValues: ensemble.value,
      outputs,
      missingGoesLeft: (node) => missingGoToLeft[node] === 1,
      float32: false,
    });
    levelEnsembles.set(ensemble, level);
  }
  return level;
}

/**
 * Raw predictions (rows × treesPerIteration, row-major) of the row-major matrix `x`: the
 * baseline plus every tree's leaf value, added in tree order (see level-ensemble.ts for how
 * the rows walk the trees).
 */
export function predictRaw(
  ensemble: TreeEnsemble,
  baseline: Float64Array,
  x: Float64Array | Float32Array,
  rows: number,
  cols: number,
): Float64Array {
  const k = baseline.length;
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let c = 0; c < k; c++) out[i * k + c] = baseline[c];
  levelOf(ensemble, cols, k).addLeafValues(x, rows, out);
  return out;
}

export function ensembleToJSON(ensemble: TreeEnsemble): JsonObject {
  return {
    treeCount: ensemble.treeCount,
    nodeCount: ensemble.feature.length,
    treeStart: toBase64(ensemble.treeStart),
    feature: toBase64(ensemble.feature),
    threshold: toBase64(ensemble.threshold),
    missingGoToLeft: toBase64(ensemble.missingGoToLeft),
    left: toBase64(ensemble.left),
    right: toBase64(ensemble.right),
    value: toBase64(ensemble.value),
  };
}

/**
 * Reads an ensemble written by ensembleToJSON, checking every node: features in range, children
 * inside the same tree and after their parent (so traversal always ends), finite leaf values
 * and thresholds that are numbers (+∞ allowed).
 */
export function ensembleFromJSON(reader: JsonReader, nFeatures: number): TreeEnsemble {
  const treeCount = reader.integer('treeCount', 1);
  const nodeCount = reader.integer('nodeCount', 1);
  const treeStart = readBase64(reader, 'treeStart', Int32Array, treeCount + 1);
  const feature = readBase64(reader, 'feature', Int32Array, nodeCount);
  const threshold = readBase64(reader, 'threshold', Float64Array, nodeCount);
  const missingGoToLeft = readBase64(reader, 'missingGoToLeft', Uint8Array, nodeCount);
  const left = readBase64(reader, 'left', Int32Array, nodeCount);
  const right = readBase64(reader, 'right', Int32Array, nodeCount);
  const value = readBase64(reader, 'value', Float64Array, nodeCount);
  if (treeStart[0] !== 0 || treeStart[treeCount] !== nodeCount) {
    throw reader.invalid('treeStart', `tree offsets from 0 to ${nodeCount}`);
  }
  for (let t = 0; t < treeCount; t++) {
    const first = treeStart[t];
    const end = treeStart[t + 1];
    if (end <= first) throw reader.invalid(`treeStart[${t + 1}]`, 'an offset after the previous one');
    for (let node = first; node < end; node++) {
      const f = feature[node];
      if (f < LEAF || f >= nFeatures)
        throw reader.invalid(`feature[${node}]`, `−1 or a feature from 0 to ${nFeatures - 1}`);
      if (f === LEAF) {
        if (left[node] !== LEAF || right[node] !== LEAF) throw reader.invalid(`left[${node}]`, '−1 at a leaf');
        if (!Number.isFinite(value[node])) throw reader.invalid(`value[${node}]`, 'a finite number');
      } else {
        const inTree = (child: number): boolean => child > node && child < end;
        if (!inTree(left[node]) || !inTree(right[node]) || left[node] === right[node]) {
          throw reader.invalid(`left[${node}]`, 'child ids after their parent, in the same tree');
        }
        if (Number.isNaN(threshold[node]) || threshold[node] === -Infinity) {
          throw reader.invalid(`threshold[${node}]`, 'a number or +Infinity');
        }
        if (missingGoToLeft[node] > 1) throw reader.invalid(`missingGoToLeft[${node}]`, '0 or 1');
      }
    }
  }
  return { treeCount, treeStart, feature, threshold, missingGoToLeft, left, right, value };
}
