import {
  invalidArgument,
  KeelError,
  notFound,
  type FeedbackRecord,
  type ModelVersion,
  type PredictionRecord,
} from '../core/index.js';
import type { MetadataStore } from '../store/index.js';
import type { PredictionLog } from './prediction-log.js';

/** One item of a feedback request: the ground truth of the prediction `id`. */
export interface FeedbackInput {
  readonly id: string;
  /** Classifiers: the true class. */
  readonly label?: string;
  /** Regressors: the true value. */
  readonly value?: number;
  /** When the outcome was known; default the request's `at`, else now. */
  readonly at?: string;
}

export interface FeedbackResult {
  readonly endpoint: string;
  /** Feedback items stored (a prediction sent twice counts twice; the last one is kept). */
  readonly accepted: number;
}

export interface FeedbackOptions {
  /** Most items one request may carry. */
  readonly maxItems?: number;
}

/**
 * Stores ground truth for logged predictions of an endpoint, all or nothing. Every id must be a
 * prediction the endpoint logged (a prediction still in the log's buffer is flushed first), a
 * classifier's label must be one of its model's classes and a regressor's value a finite
 * number; otherwise nothing is stored and the error names the item (`feedback[i].label`), with
 * every unknown id in `details.ids`.
 */
export async function recordFeedback(
  deps: { readonly metadata: MetadataStore; readonly log: PredictionLog },
  endpointName: string,
  items: readonly FeedbackInput[],
  options: FeedbackOptions = {},
): Promise<FeedbackResult> {
  const { metadata, log } = deps;
  if (!(await metadata.getEndpoint(endpointName))) {
    throw notFound(`no endpoint named "${endpointName}"`, { field: 'endpoint' });
  }
  const maxItems = options.maxItems ?? 10_000;
  if (items.length === 0) throw invalidArgument('"feedback" is empty: send at least one item', { field: 'feedback' });
  if (items.length > maxItems) {
    throw new KeelError('payload_too_large', `"feedback" has ${items.length} items; the limit is ${maxItems}`, {
      field: 'feedback',
    });
  }

  const predictions = await loggedPredictions(metadata, log, [...new Set(items.map((item) => item.id))]);
  const unknown = items
    .map((item, i) => ({ item, i }))
    .filter(({ item }) => predictions.get(item.id)?.endpoint !== endpointName);
  if (unknown.length > 0) {
    const ids = [...new Set(unknown.map(({ item }) => item.id))];
    const { item, i } = unknown[0];
    throw invalidArgument(
      `feedback[${i}].id: no prediction "${item.id}" was logged by endpoint "${endpointName}"` +
        (ids.length > 1 ? ` (${ids.length} ids are unknown, listed in details.ids)` : '') +
        '; nothing was stored',
      { field: `feedback[${i}].id`, ids },
    );
  }

  const versions = new Map<string, Promise<ModelVersion | null>>();
  const versionOf = (p: PredictionRecord) => {
    const key = `${p.model}@${p.version}`;
    let found = versions.get(key);
    if (!found) versions.set(key, (found = metadata.getModelVersion(p.model, p.version)));
    return found;
  };
  const now = new Date().toISOString();
  const records: FeedbackRecord[] = [];
  for (const [i, item] of items.entries()) {
    const prediction = predictions.get(item.id) as PredictionRecord;
    const truth = checkTruth(item, i, prediction, await versionOf(prediction));
    records.push({ predictionId: item.id, endpoint: endpointName, ...truth, at: item.at ?? now });
  }
  await metadata.addFeedback(records);
  return { endpoint: endpointName, accepted: records.length };
}

/** The logged predictions with these ids; ids not found are looked up again after flushing the log's buffer. */
async function loggedPredictions(
  metadata: MetadataStore,
  log: PredictionLog,
  ids: readonly string[],
): Promise<Map<string, PredictionRecord>> {
  const found = new Map((await metadata.getPredictions(ids)).map((p) => [p.id, p]));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0 && log.pending > 0) {
    await log.flush();
    for (const p of await metadata.getPredictions(missing)) found.set(p.id, p);
  }
  return found;
}

/** The item's label or value, checked against the task and classes of the model that predicted. */
function checkTruth(
  item: FeedbackInput,
  i: number,
  prediction: PredictionRecord,
  version: ModelVersion | null,
): Pick<FeedbackRecord, 'label' | 'value'> {
  const model = `${prediction.model}@${prediction.version}`;
  const classifier = version ? version.signature.task !== 'regression' : prediction.output.label !== undefined;
  if (classifier) {
    if (item.label === undefined) {
      throw invalidArgument(`feedback[${i}]: ${model} is a classifier: send the true class as "label"`, {
        field: `feedback[${i}].label`,
      });
    }
    const classes = version?.signature.classes;
    if (classes && !classes.includes(item.label)) {
      throw invalidArgument(
        `feedback[${i}].label: ${JSON.stringify(item.label)} is not a class of ${model} (its classes are ${classes.map((c) => JSON.stringify(c)).join(', ')})`,
        { field: `feedback[${i}].label` },
      );
    }
    return { label: item.label, value: null };
  }
  if (item.value === undefined) {
    throw invalidArgument(`feedback[${i}]: ${model} is a regressor: send the true value as "value"`, {
      field: `feedback[${i}].value`,
    });
  }
  return { label: null, value: item.value };
}
