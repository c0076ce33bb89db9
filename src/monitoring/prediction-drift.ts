import type { FeatureReference } from '../core/index.js';
import { psi } from './psi.js';
import { binCounts, quantileSorted } from './reference.js';

const BINS = 10;

/**
 * PSI of one version's prediction distribution against another's (a candidate against the
 * primary over the same window): over the predicted value of a regressor, the probability of
 * the second class of a binary classifier, or the labels of a multiclass one. Null when either
 * side has no predictions.
 */
export function predictionDrift(
  reference: ReadonlyArray<Readonly<Record<string, unknown>>>,
  current: ReadonlyArray<Readonly<Record<string, unknown>>>,
): number | null {
  if (reference.length === 0 || current.length === 0) return null;
  const refScores = reference.map(scoreOf);
  const curScores = current.map(scoreOf);
  if (refScores.every((s) => typeof s === 'number') && curScores.every((s) => typeof s === 'number')) {
    return psi(numericReference(refScores as number[]), curScores);
  }
  const labels = (outputs: typeof reference) => outputs.map((o) => (o.label === undefined ? null : String(o.label)));
  return psi(categoricalReference(labels(reference)), labels(current));
}

/** A number to compare distributions on, or null when the output has none (multiclass). */
function scoreOf(output: Readonly<Record<string, unknown>>): number | null {
  if (typeof output.value === 'number') return output.value;
  const probabilities = output.probabilities as Record<string, number> | undefined;
  if (probabilities && typeof probabilities === 'object') {
    const classes = Object.keys(probabilities);
    if (classes.length === 2) return probabilities[classes[1]];
  }
  return null;
}

function numericReference(values: readonly number[]): FeatureReference {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let b = 1; b < BINS; b++) {
    const edge = quantileSorted(sorted, b / BINS);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  const counts = binCounts(values, edges);
  return {
    name: 'prediction',
    kind: 'numeric',
    edges,
    shares: counts.map((c) => c / values.length),
    missingShare: 0,
  };
}

function categoricalReference(labels: ReadonlyArray<string | null>): FeatureReference {
  const shares: Record<string, number> = {};
  const present = labels.filter((l): l is string => l !== null);
  for (const l of present) shares[l] = (shares[l] ?? 0) + 1;
  for (const key of Object.keys(shares)) shares[key] /= present.length || 1;
  return {
    name: 'prediction',
    kind: 'categorical',
    shares,
    missingShare: labels.length ? (labels.length - present.length) / labels.length : 0,
  };
}
