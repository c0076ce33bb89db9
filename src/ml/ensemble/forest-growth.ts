import { Rng } from '../random.js';
import { EntropyCriterion, GiniCriterion, SquaredErrorCriterion, type SplitCriterion } from '../tree/criterion.js';
import { growTree, selectSamples, type PresortedColumns, type TreeGrowth } from '../tree/grow-tree.js';
import { featureImportances } from '../tree/tree.js';
import { packTree, type PackedTree } from './forest.js';

/**
 * Growing a batch of a random forest's trees: the work a worker thread does (the task
 * "forest.grow") or the calling thread when nJobs is 1. Everything a tree depends on comes
 * from its own seed, so a forest is the same whichever thread grows which tree.
 */

/** What the trees learn, with the criterion that scores splits for it. */
export type ForestTarget =
  | { readonly criterion: 'gini' | 'entropy'; readonly codes: Int32Array; readonly nClasses: number }
  | { readonly criterion: 'squared_error'; readonly values: Float64Array };

export interface ForestGrowthInput {
  /** X presorted once for the whole forest, in shared memory when workers read it. */
  readonly columns: PresortedColumns;
  /** One value per row of X. */
  readonly target: ForestTarget;
  readonly growth: TreeGrowth;
  /** Draws per tree with replacement (scikit-learn's bootstrap); null grows every tree on all rows. */
  readonly bootstrapDraws: number | null;
  /** One tree per seed, in order. */
  readonly seeds: readonly number[];
}

export interface GrownTree extends PackedTree {
  /** The tree's own impurity-decrease importances, normalised (all 0 for a single leaf). */
  readonly importances: Float64Array;
}

/**
 * Weight of each row in the tree grown from `rng`: how often the bootstrap drew it (drawn
 * first from the tree's generator, so out-of-bag rows can be recomputed from the seed).
 */
export function treeWeights(rng: Rng, rows: number, bootstrapDraws: number | null, out: Float64Array): Float64Array {
  if (bootstrapDraws === null) return out.fill(1);
  out.fill(0);
  for (let k = 0; k < bootstrapDraws; k++) out[rng.nextInt(rows)]++;
  return out;
}

/** Grows one tree per seed, each on its own bootstrap sample of the presorted rows. */
export function growForestTrees(input: ForestGrowthInput): GrownTree[] {
  const { columns, target, growth, bootstrapDraws, seeds } = input;
  const { rows, p } = columns;
  // Reused across this batch's trees: each tree's runs are rebuilt from the shared presort.
  const order = new Uint32Array(rows * p);
  const sorted = new Float32Array(rows * p);
  const weights = new Float64Array(rows);
  const trees: GrownTree[] = [];
  for (const seed of seeds) {
    const rng = new Rng(seed);
    treeWeights(rng, rows, bootstrapDraws, weights);
    const runs = selectSamples(columns, weights, order, sorted);
    const tree = growTree(runs, criterionFor(target, weights), growth, rng);
    trees.push({ ...packTree(tree), importances: featureImportances(tree, p) });
  }
  return trees;
}

function criterionFor(target: ForestTarget, weights: Float64Array): SplitCriterion {
  switch (target.criterion) {
    case 'gini':
      return new GiniCriterion(target.codes, target.nClasses, weights);
    case 'entropy':
      return new EntropyCriterion(target.codes, target.nClasses, weights);
    case 'squared_error':
      return new SquaredErrorCriterion(target.values, weights);
  }
}
