import { BIN_WIDTH, FEATURE_WIDTH } from './kernels.js';

/**
 * Best split of a node from its histograms, as scikit-learn's Splitter.find_node_split: for
 * each feature, scan the bins left to right (missing values go right) and, when the feature had
 * missing values in training, right to left (missing values go left); keep the split with the
 * largest loss reduction (XGBoost's gain) that leaves minSamplesLeaf samples and
 * MIN_HESSIAN_TO_SPLIT hessian on each side.
 */

/** scikit-learn's min_hessian_to_split. */
export const MIN_HESSIAN_TO_SPLIT = 1e-3;

export interface SplitRules {
  readonly nFeatures: number;
  readonly nonMissingBins: Int32Array;
  readonly hasMissing: Uint8Array;
  readonly minSamplesLeaf: number;
  readonly l2Regularization: number;
}

export interface SplitInfo {
  readonly gain: number;
  readonly feature: number;
  /** Samples with a bin ≤ binThreshold go left (missing ones by missingGoToLeft). */
  readonly binThreshold: number;
  missingGoToLeft: boolean;
  readonly sumGradientLeft: number;
  readonly sumHessianLeft: number;
  readonly sumGradientRight: number;
  readonly sumHessianRight: number;
  readonly nLeft: number;
  readonly nRight: number;
}

/** A node's value: the Newton step −G / (H + λ) (scikit-learn's compute_node_value, without bounds). */
export function nodeValue(sumGradient: number, sumHessian: number, l2Regularization: number): number {
  return -sumGradient / (sumHessian + l2Regularization + 1e-15);
}

/**
 * The best split, or null when no split satisfies the constraints. `value` is the node's own
 * value (0 at the root, as in scikit-learn), which enters the gain as the loss of not splitting.
 */
export function findBestSplit(
  histogram: Float64Array,
  nSamples: number,
  sumGradient: number,
  sumHessian: number,
  value: number,
  rules: SplitRules,
): SplitInfo | null {
  const { minSamplesLeaf } = rules;
  const lossNode = sumGradient * value;
  const l2 = rules.l2Regularization;
  // Computed as scikit-learn does, operation for operation, so equal histograms give equal gains.
  // Candidates must have a positive gain and beat the best so far strictly, so ties go to the
  // earlier feature and bin, as in scikit-learn.
  let bestGain = 0;
  let bestFeature = -1;
  let bestBin = 0;
  let bestMissingLeft = false;
  let bestGradientLeft = 0;
  let bestHessianLeft = 0;
  let bestNLeft = 0;
  for (let f = 0; f < rules.nFeatures; f++) {
    const base = f * FEATURE_WIDTH;
    const hasMissing = rules.hasMissing[f];
    // Left to right, missing values going right. With missing values present the last
    // non-missing bin may go left too, sending only the missing values right.
    const end = rules.nonMissingBins[f] - 1 + hasMissing;
    let gradientLeft = 0;
    let hessianLeft = 0;
    let nLeft = 0;
    for (let bin = 0, o = base; bin < end; bin++, o += BIN_WIDTH) {
      gradientLeft += histogram[o];
      hessianLeft += histogram[o + 1];
      nLeft += histogram[o + 2];
      if (nLeft < minSamplesLeaf) continue;
      if (nSamples - nLeft < minSamplesLeaf) break;
      const hessianRight = sumHessian - hessianLeft;
      if (hessianLeft < MIN_HESSIAN_TO_SPLIT) continue;
      if (hessianRight < MIN_HESSIAN_TO_SPLIT) break;
      const gradientRight = sumGradient - gradientLeft;
      const gain =
        lossNode -
        gradientLeft * nodeValue(gradientLeft, hessianLeft, l2) -
        gradientRight * nodeValue(gradientRight, hessianRight, l2);
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = f;
        bestBin = bin;
        bestMissingLeft = false;
        bestGradientLeft = gradientLeft;
        bestHessianLeft = hessianLeft;
        bestNLeft = nLeft;
      }
    }
    if (!hasMissing) continue;
    // Right to left, missing values staying on the left.
    let gradientRight = 0;
    let hessianRight = 0;
    let nRight = 0;
    for (let bin = rules.nonMissingBins[f] - 2, o = base + (bin + 1) * BIN_WIDTH; bin >= 0; bin--, o -= BIN_WIDTH) {
      gradientRight += histogram[o];
      hessianRight += histogram[o + 1];
      nRight += histogram[o + 2];
      if (nRight < minSamplesLeaf) continue;
      if (nSamples - nRight < minSamplesLeaf) break;
      const hessianLeftSide = sumHessian - hessianRight;
      if (hessianRight < MIN_HESSIAN_TO_SPLIT) continue;
      if (hessianLeftSide < MIN_HESSIAN_TO_SPLIT) break;
      const gradientLeftSide = sumGradient - gradientRight;
      const gain =
        lossNode -
        gradientLeftSide * nodeValue(gradientLeftSide, hessianLeftSide, l2) -
        gradientRight * nodeValue(gradientRight, hessianRight, l2);
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = f;
        bestBin = bin;
        bestMissingLeft = true;
        bestGradientLeft = gradientLeftSide;
        bestHessianLeft = hessianLeftSide;
        bestNLeft = nSamples - nRight;
      }
    }
  }
  if (bestFeature < 0) return null;
  return {
    gain: bestGain,
    feature: bestFeature,
    binThreshold: bestBin,
    missingGoToLeft: bestMissingLeft,
    sumGradientLeft: bestGradientLeft,
    sumHessianLeft: bestHessianLeft,
    sumGradientRight: sumGradient - bestGradientLeft,
    sumHessianRight: sumHessian - bestHessianLeft,
    nLeft: bestNLeft,
    nRight: nSamples - bestNLeft,
  };
}
