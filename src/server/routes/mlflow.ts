import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidArgument, type ModelSignature, type Row } from '../../core/index.js';
import type { PredictResult } from '../../serving/index.js';
import type { ServerDeps } from '../deps.js';
import { lengthOf, recordRoute } from './inference.js';
import { describeValue, isPlainObject, newRow } from './payloads.js';
import { ErrorSchema, Name } from './schemas.js';

/**
 * MLflow's scoring protocol (`mlflow models serve`'s `POST /invocations`) on a Keel endpoint:
 * `dataframe_split`, `dataframe_records`, `instances` or `inputs`, answered with
 * `{"predictions": […]}` as MLflow answers for a scikit-learn model (the labels of a classifier,
 * the values of a regressor), beside Keel's prediction ids, class probabilities, model and variant.
 */
export function registerMlflowRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { runtime } = deps;
  app.post<{ Params: { name: string }; Body: unknown }>(
    '/v1/endpoints/:name/invocations',
    {
      config: { inferenceRows: mlflowRows },
      schema: {
        tags: ['mlflow'],
        summary: 'Predict with an MLflow scoring payload',
        params: Type.Object({ name: Name }),
        body: Type.Object(
          {
            // Checked by readMlflowRequest, which names the offending row; typed here for the documentation only.
            dataframe_split: Type.Optional(
              Type.Unknown({ description: 'pandas split orient: {"columns": [names], "data": [[values], …]}' }),
            ),
            dataframe_records: Type.Optional(Type.Unknown({ description: 'a list of objects of column → value' })),
            instances: Type.Optional(
              Type.Unknown({ description: 'a list of rows: objects, or lists in the model input order' }),
            ),
            inputs: Type.Optional(
              Type.Unknown({ description: 'a list of rows as in instances, or an object of column → list of values' }),
            ),
            params: Type.Optional(Type.Unknown({ description: 'accepted and ignored' })),
          },
          { description: 'exactly one of dataframe_split, dataframe_records, instances, inputs' },
        ),
        response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      const rows = await readMlflowRequest(request.body, async () => {
        const { versions } = await runtime.versionsOf(name);
        return versions[0].signature;
      });
      return mlflowResponse(await runtime.predict(name, rows, { onRoute: recordRoute(request) }));
    },
  );
}

// ---------------------------------------------------------------------------------------------
// The conversion layer

export const MLFLOW_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * Reads an MLflow scoring payload into rows. Rows given as lists (a `dataframe_split` without
 * `columns`, `instances` of lists) take the model's inputs in signature order, so `signature`
 * is asked for then. Every refusal is a 400 naming the field and the row
 * (`dataframe_split.data[3]`).
 */
export async function readMlflowRequest(body: unknown, signature: () => Promise<ModelSignature>): Promise<Row[]> {
  if (!isPlainObject(body)) {
    throw invalidArgument(`the body must be an object with one of ${MLFLOW_FORMATS.join(', ')}`, { field: 'body' });
  }
  const keys = Object.keys(body);
  const unknown = keys.find((k) => k !== 'params' && !(MLFLOW_FORMATS as readonly string[]).includes(k));
  if (unknown !== undefined) {
    throw invalidArgument(
      `unknown key ${JSON.stringify(unknown)}: an MLflow payload has one of ${MLFLOW_FORMATS.join(', ')} (and optional params)`,
      {
        field: unknown,
      },
    );
  }
  const formats = MLFLOW_FORMATS.filter((f) => Object.hasOwn(body, f));
  if (formats.length !== 1) {
    throw invalidArgument(
      formats.length === 0
        ? `the body has none of ${MLFLOW_FORMATS.join(', ')}; e.g. {"dataframe_records": [{"tenure": 3, …}]}`
        : `the body has ${formats.join(' and ')}: send exactly one of them`,
      { field: formats[1] ?? 'body' },
    );
  }
  if (body.params !== undefined && !isPlainObject(body.params)) {
    throw invalidArgument('"params" must be an object', { field: 'params' });
  }
  const format = formats[0];
  const payload = body[format];
  const columnNames = async () => (await signature()).inputs.map((c) => c.name);
  switch (format) {
    case 'dataframe_split':
      return readSplit(payload, columnNames);
    case 'dataframe_records':
      return readRecords(payload, format, columnNames);
    case 'instances':
      return readRecords(payload, format, columnNames);
    case 'inputs':
      return isPlainObject(payload) ? readColumns(payload) : readRecords(payload, format, columnNames);
  }
}

/** pandas' `split` orient: `{"columns": [...], "data": [[...], ...]}`, `index` ignored. */
async function readSplit(split: unknown, columnNames: () => Promise<string[]>): Promise<Row[]> {
  if (!isPlainObject(split)) {
    throw invalidArgument(
      `dataframe_split must be {"columns": [...], "data": [[...], ...]}, got ${describeValue(split)}`,
      {
        field: 'dataframe_split',
      },
    );
  }
  const { columns, data } = split;
  if (columns !== undefined && (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string'))) {
    throw invalidArgument('dataframe_split.columns must be a list of column names', {
      field: 'dataframe_split.columns',
    });
  }
  if (columns) {
    const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
    if (duplicate !== undefined) {
      throw invalidArgument(`dataframe_split.columns names ${JSON.stringify(duplicate)} twice`, {
        field: 'dataframe_split.columns',
      });
    }
  }
  if (!Array.isArray(data)) {
    throw invalidArgument(`dataframe_split.data must be a list of rows (lists of values), got ${describeValue(data)}`, {
      field: 'dataframe_split.data',
    });
  }
  const names = (columns as string[] | undefined) ?? (await columnNames());
  return data.map((values, i) => rowOfList(values, names, `dataframe_split.data[${i}]`, i, columns === undefined));
}

/** A list of rows: objects of column → value, or lists of values in the model's input order. */
async function readRecords(records: unknown, format: string, columnNames: () => Promise<string[]>): Promise<Row[]> {
  if (!Array.isArray(records)) {
    throw invalidArgument(`${format} must be a list of rows, got ${describeValue(records)}`, { field: format });
  }
  const names = records.some(Array.isArray) ? await columnNames() : [];
  return records.map((record, i) => {
    if (Array.isArray(record)) return rowOfList(record, names, `${format}[${i}]`, i, true);
    if (!isPlainObject(record)) {
      throw invalidArgument(`${format}[${i}] must be an object of column → value, got ${describeValue(record)}`, {
        field: `${format}[${i}]`,
        row: i,
      });
    }
    const row = newRow();
    for (const key of Object.keys(record)) row[key] = record[key];
    return row;
  });
}

/** TensorFlow Serving's columnar `inputs`: `{"tenure": [1, 2], "Contract": ["Two year", …]}`. */
function readColumns(columns: Record<string, unknown>): Row[] {
  const names = Object.keys(columns);
  if (names.length === 0) throw invalidArgument('inputs has no columns', { field: 'inputs' });
  let rows = -1;
  for (const name of names) {
    const values = columns[name];
    if (!Array.isArray(values)) {
      throw invalidArgument(`inputs.${name} must be a list of values, one per row, got ${describeValue(values)}`, {
        field: `inputs.${name}`,
      });
    }
    if (rows >= 0 && values.length !== rows) {
      throw invalidArgument(`inputs.${name} has ${values.length} values, but inputs.${names[0]} has ${rows}`, {
        field: `inputs.${name}`,
      });
    }
    rows = values.length;
  }
  return Array.from({ length: rows }, (_, i) => {
    const row = newRow();
    for (const name of names) row[name] = (columns[name] as unknown[])[i];
    return row;
  });
}

function rowOfList(values: unknown, names: readonly string[], field: string, index: number, positional: boolean): Row {
  if (!Array.isArray(values)) {
    throw invalidArgument(`${field} must be a list of values, got ${describeValue(values)}`, { field, row: index });
  }
  if (values.length !== names.length) {
    throw invalidArgument(
      `${field} has ${values.length} values for ${names.length} ${positional ? `model inputs (${names.join(', ')})` : 'columns'}`,
      { field, row: index },
    );
  }
  const row = newRow();
  names.forEach((name, j) => (row[name] = values[j]));
  return row;
}

/**
 * MLflow's answer: `predictions` holds what a scikit-learn model's `predict` gives (labels, or
 * values); Keel adds the prediction `ids` (for feedback), the class `probabilities` of a
 * classifier, and the `model` and `variant` that answered.
 */
export function mlflowResponse(result: PredictResult) {
  const classifier = result.predictions.length > 0 && 'label' in result.predictions[0];
  return {
    predictions: result.predictions.map((p) => ('label' in p ? p.label : p.value)),
    ids: result.predictions.map((p) => p.id),
    ...(classifier
      ? { probabilities: result.predictions.map((p) => ('probabilities' in p ? p.probabilities : null)) }
      : {}),
    model: result.model,
    variant: result.variant,
  };
}

/** Rows an MLflow payload carries, for the request log. */
function mlflowRows(body: unknown): number {
  if (!isPlainObject(body)) return 0;
  const split = body.dataframe_split;
  if (isPlainObject(split)) return lengthOf(split.data);
  const inputs = body.inputs;
  if (isPlainObject(inputs)) {
    const first = Object.values(inputs)[0];
    return lengthOf(first);
  }
  return lengthOf(body.dataframe_records) || lengthOf(body.instances) || lengthOf(inputs);
}
