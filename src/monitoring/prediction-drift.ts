import { psi } from './psi.js';
import { categoricalReference, numericReference } from './reference.js';

/**
 * PSI of one version's prediction distribution against another's (a candidate against the
 * primary over the same window): over the predicted value of a regressor, the probability of
 * the second class of a binary classifier, or the labels of a multiclass one. Null when either
 * side has no predictions. The reference side is profiled as a training reference is, so this
 * is the drift engine's PSI on the outputs.
 */
export function predictionDrift(
  reference: ReadonlyArray<Readonly<Record<string, unknown>>>,
  current: ReadonlyArray<Readonly<Record<string, unknown>>>,
): number | null {
  if (reference.length === 0 || current.length === 0) return null;
  const refScores = reference.map(scoreOf);
  const curScores = current.map(scoreOf);
  if (refScores.every((s) => typeof s === 'number') && curScores.every((s) => typeof s === 'number')) {
    return psi(numericReference('prediction', Float64Array.from(refScores as number[])), curScores);
  }
  const labels = (outputs: typeof reference) => outputs.map((o) => (o.label === undefined ? null : String(o.label)));
  return psi(categoricalReference('prediction', labels(reference)), labels(current));
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
