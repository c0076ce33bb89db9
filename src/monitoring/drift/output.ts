import type { FeatureReference, Table } from '../../core/index.js';
import { categoricalReference, numericReference } from '../reference.js';

/**
 * The model's outputs as drift features, so output drift is input drift's machinery on other
 * columns: `value` (a regressor's prediction), `probability:<class>` (a classifier's
 * probability of the positive class when binary, of every class otherwise) and `label` (the
 * predicted class).
 */
export const OUTPUT_VALUE = 'value';
export const OUTPUT_LABEL = 'label';
export const outputProbability = (cls: string): string => `probability:${cls}`;

/** A model's predictions on a set of rows (the test split at registration). */
export interface ModelOutputs {
  readonly rows: number;
  /** A regressor's predictions. */
  readonly values?: Float64Array;
  /** A classifier's predicted labels. */
  readonly labels?: readonly string[];
  /** A classifier's probabilities, row-major rows × classes. */
  readonly probabilities?: { readonly classes: readonly string[]; readonly data: Float64Array };
  /** The class whose probability a binary classifier's output drift follows (default the second). */
  readonly positiveClass?: string;
}

/** The output reference stored in a package: the outputs' columns profiled like inputs. */
export function outputReference(outputs: ModelOutputs): { rows: number; features: FeatureReference[] } {
  const table = outputTable(outputs);
  return {
    rows: table.rows,
    features: table.columns.map((c) =>
      c.kind === 'number' ? numericReference(c.name, c.values) : categoricalReference(c.name, c.values),
    ),
  };
}

/** The output columns of `outputs`, named as above. */
export function outputTable(outputs: ModelOutputs): Table {
  const columns: Table['columns'][number][] = [];
  if (outputs.values) columns.push({ name: OUTPUT_VALUE, kind: 'number', values: outputs.values });
  if (outputs.probabilities) {
    const { classes, data } = outputs.probabilities;
    for (const cls of followedClasses(classes, outputs.positiveClass)) {
      const c = classes.indexOf(cls);
      const values = new Float64Array(outputs.rows);
      for (let r = 0; r < outputs.rows; r++) values[r] = data[r * classes.length + c];
      columns.push({ name: outputProbability(cls), kind: 'number', values });
    }
  }
  if (outputs.labels) columns.push({ name: OUTPUT_LABEL, kind: 'string', values: outputs.labels });
  return { rows: outputs.rows, columns };
}

/** The probabilities whose drift is followed: the positive class of a binary model, else all. */
export function followedClasses(classes: readonly string[], positiveClass?: string): string[] {
  if (classes.length !== 2) return [...classes];
  return [positiveClass !== undefined && classes.includes(positiveClass) ? positiveClass : classes[1]];
}

/**
 * Reads one output drift feature (`value`, `label` or `probability:<class>`) off a served
 * prediction (`{ label?, probabilities?, value? }`), for `DriftSketch.add` on the output
 * reference's features: undefined when the prediction has no such value.
 */
export function outputField(name: string): (output: Readonly<Record<string, unknown>>) => unknown {
  if (name === OUTPUT_VALUE) return (output) => (typeof output.value === 'number' ? output.value : undefined);
  if (name === OUTPUT_LABEL) {
    return (output) => (output.label === undefined || output.label === null ? undefined : String(output.label));
  }
  const prefix = outputProbability('');
  if (!name.startsWith(prefix)) return () => undefined;
  const cls = name.slice(prefix.length);
  return (output) => {
    const probabilities = output.probabilities;
    return probabilities && typeof probabilities === 'object' && Object.hasOwn(probabilities, cls)
      ? (probabilities as Record<string, unknown>)[cls]
      : undefined;
  };
}
