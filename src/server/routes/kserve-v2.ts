import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  invalidArgument,
  keelVersion,
  notFound,
  type ColumnType,
  type Endpoint,
  type ModelSignature,
  type ModelVersion,
  type Row,
} from '../../core/index.js';
import type { PredictResult } from '../../serving/index.js';
import type { ServerDeps } from '../deps.js';
import { toErrorBody } from '../errors.js';
import { recordRoute } from './inference.js';
import { describeValue, isPlainObject, newRow } from './payloads.js';
import { ErrorSchema, Name } from './schemas.js';

/**
 * The KServe Open Inference Protocol (v2) over Keel's endpoints: a v2 "model" is a Keel
 * endpoint, and its "versions" are the model versions the endpoint routes to. Inputs are named
 * tensors — one per column, shape [N] or [N, 1] — or one [N, F] tensor whose F columns are the
 * model's inputs in signature order. The conversion to and from the runtime's rows is here.
 */
export function registerKserveV2Routes(app: FastifyInstance, deps: ServerDeps): void {
  const { runtime, registry, metadata } = deps;
  const tags = ['kserve-v2'];

  /** The version answering a metadata or readiness call: the one asked for, else the one taking most traffic. */
  const answering = async (name: string, version?: number) => {
    const { endpoint, versions } = await runtime.versionsOf(name);
    return { endpoint, versions, version: pickVersion(endpoint, versions, version) };
  };

  app.get('/v2', { schema: { tags, summary: 'Server metadata' } }, async () => ({
    name: 'keel',
    version: keelVersion,
    extensions: [],
  }));
  app.get('/v2/health/live', { schema: { tags, summary: 'Liveness' } }, async () => ({ live: true }));
  app.get(
    '/v2/health/ready',
    { schema: { tags, summary: 'Readiness: every endpoint’s models load' } },
    async (_r, reply) => {
      try {
        for (const endpoint of await metadata.listEndpoints()) {
          const { versions } = await runtime.versionsOf(endpoint.name);
          await Promise.all(versions.map((v) => registry.loadServable(v)));
        }
        return { ready: true };
      } catch (error) {
        return reply.status(503).send({ ready: false, ...toErrorBody(error).body });
      }
    },
  );

  for (const versioned of [false, true]) {
    const path = versioned ? '/v2/models/:name/versions/:version' : '/v2/models/:name';
    const params = versioned
      ? Type.Object({ name: Name, version: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) })
      : Type.Object({ name: Name });
    type Params = { name: string; version?: string };
    const versionOf = (p: Params) => (p.version === undefined ? undefined : Number(p.version));

    app.get<{ Params: Params }>(
      path,
      {
        schema: {
          tags,
          summary: 'Model metadata: the endpoint’s versions and the input and output tensors',
          params,
          response: { 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request) => {
        const { versions, version } = await answering(request.params.name, versionOf(request.params));
        return v2ModelMetadata(request.params.name, versions, version);
      },
    );

    app.get<{ Params: Params }>(
      `${path}/ready`,
      {
        schema: {
          tags,
          summary: 'Model readiness: 200 once its packages are loaded, 503 when one cannot be',
          params,
          response: { 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const { versions, version } = await answering(name, versionOf(request.params));
        try {
          await Promise.all(
            (request.params.version === undefined ? versions : [version]).map((v) => registry.loadServable(v)),
          );
          return { name, ready: true };
        } catch (error) {
          return reply.status(503).send({ name, ready: false, ...toErrorBody(error).body });
        }
      },
    );

    app.post<{ Params: Params; Body: unknown }>(
      `${path}/infer`,
      {
        config: { inferenceRows: v2Rows },
        schema: {
          tags,
          summary: 'Inference with named input tensors',
          params,
          body: Type.Object({
            id: Type.Optional(Type.String()),
            parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            inputs: Type.Array(
              Type.Object({
                name: Type.String(),
                shape: Type.Array(Type.Integer({ minimum: 0 })),
                datatype: Type.String({ description: DATATYPES.join(', ') }),
                parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
                data: Type.Unknown({ description: 'flat row-major, or one list per row' }),
              }),
            ),
            outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
          }),
          response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
        },
      },
      async (request) => {
        const { name } = request.params;
        const version = versionOf(request.params);
        let signature: Promise<ModelSignature> | undefined;
        const parsed = await readV2Request(
          request.body,
          () => (signature ??= answering(name, version).then((a) => a.version.signature)),
        );
        const result = await runtime.predict(name, parsed.rows, { version, onRoute: recordRoute(request) });
        const { versions } = await runtime.versionsOf(name);
        const answered = versions.find((v) => v.name === result.model.name && v.version === result.model.version);
        return v2InferResponse(name, result, answered?.signature.classes, parsed);
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The conversion layer

const INTEGER_TYPES = ['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64'];
const FLOAT_TYPES = ['FP16', 'FP32', 'FP64'];
/** The tensor datatypes of the protocol. BYTES holds strings in JSON; null is a missing value in any. */
export const DATATYPES: readonly string[] = ['BOOL', ...INTEGER_TYPES, ...FLOAT_TYPES, 'BYTES'];

/** A v2 inference request as the runtime takes it. */
export interface V2Request {
  readonly rows: Row[];
  /** The request's `id`, echoed in the response. */
  readonly id: string | null;
  /** The outputs asked for by name; null for all. */
  readonly outputs: readonly string[] | null;
}

interface Tensor {
  readonly index: number;
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  /** Row-major. */
  readonly values: readonly unknown[];
}

/**
 * Reads a v2 inference request into rows. `signature` is the answering model's (asked for only
 * when needed: the column order of an [N, F] tensor, the names of requested outputs). Every
 * refusal is a 400 naming the input (`input "tenure" (inputs[3])`), its field and the row.
 */
export async function readV2Request(body: unknown, signature: () => Promise<ModelSignature>): Promise<V2Request> {
  if (!isPlainObject(body)) {
    throw invalidArgument(
      'the body must be a v2 inference request: {"inputs": [{"name", "shape", "datatype", "data"}, …]}',
      {
        field: 'body',
      },
    );
  }
  const { id, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw invalidArgument('"id" must be a string', { field: 'id' });
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidArgument('"inputs" must be a non-empty list of tensors {"name", "shape", "datatype", "data"}', {
      field: 'inputs',
    });
  }
  const tensors = inputs.map(readTensor);
  const first = tensors[0];
  for (const tensor of tensors) {
    if (tensor.rows !== first.rows) {
      throw invalidArgument(
        `inputs disagree on the number of rows: input "${first.name}" has ${first.rows}, input "${tensor.name}" (inputs[${tensor.index}]) has ${tensor.rows}`,
        { field: `inputs[${tensor.index}].shape`, input: tensor.name },
      );
    }
  }
  if (first.rows === 0)
    throw invalidArgument('the inputs hold no rows (their shape is [0])', { field: 'inputs[0].shape' });

  let columns: Array<{ name: string; tensor: Tensor; column: number }>;
  const wide = tensors.find((t) => t.columns > 1);
  if (wide) {
    const where = `input "${wide.name}" (inputs[${wide.index}])`;
    if (tensors.length > 1) {
      throw invalidArgument(
        `${where} has shape [${wide.rows}, ${wide.columns}]: an [N, F] tensor carries every column, so it must be the only input (or send one [N] tensor per column)`,
        { field: `inputs[${wide.index}].shape`, input: wide.name },
      );
    }
    const names = (await signature()).inputs.map((c) => c.name);
    if (wide.columns !== names.length) {
      throw invalidArgument(
        `${where} has ${wide.columns} columns, but the model takes ${names.length} inputs, in this order: ${names.join(', ')}`,
        { field: `inputs[${wide.index}].shape`, input: wide.name },
      );
    }
    columns = names.map((name, column) => ({ name, tensor: wide, column }));
  } else {
    const seen = new Map<string, number>();
    for (const tensor of tensors) {
      const earlier = seen.get(tensor.name);
      if (earlier !== undefined) {
        throw invalidArgument(`inputs[${earlier}] and inputs[${tensor.index}] are both named "${tensor.name}"`, {
          field: `inputs[${tensor.index}].name`,
          input: tensor.name,
        });
      }
      seen.set(tensor.name, tensor.index);
    }
    columns = tensors.map((tensor) => ({ name: tensor.name, tensor, column: 0 }));
  }

  const rows: Row[] = [];
  for (let r = 0; r < first.rows; r++) {
    const row = newRow();
    for (const { name, tensor, column } of columns) row[name] = tensor.values[r * tensor.columns + column];
    rows.push(row);
  }
  return { rows, id: id ?? null, outputs: await requestedOutputs(outputs, signature) };
}

function readTensor(input: unknown, index: number): Tensor {
  if (!isPlainObject(input)) {
    throw invalidArgument(
      `inputs[${index}] must be a tensor {"name", "shape", "datatype", "data"}, got ${describeValue(input)}`,
      {
        field: `inputs[${index}]`,
      },
    );
  }
  const { name, shape, datatype, data } = input;
  if (typeof name !== 'string' || name === '') {
    throw invalidArgument(`inputs[${index}].name must be the column's name, got ${describeValue(name)}`, {
      field: `inputs[${index}].name`,
    });
  }
  const where = `input "${name}" (inputs[${index}])`;
  const fail = (field: string, problem: string, row?: number): never => {
    throw invalidArgument(`${where}${row === undefined ? '' : `, row ${row}`}: ${problem}`, {
      field: `inputs[${index}].${field}`,
      input: name,
      ...(row === undefined ? {} : { row }),
    });
  };
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    shape.length > 2 ||
    !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
  ) {
    return fail(
      'shape',
      `"shape" must be [N] or [N, F] in whole numbers, got ${Array.isArray(shape) ? `[${shape.map(describeValue).join(', ')}]` : describeValue(shape)}`,
    );
  }
  const [rows, columns = 1] = shape as number[];
  if (typeof datatype !== 'string' || !DATATYPES.includes(datatype)) {
    return fail('datatype', `"datatype" must be one of ${DATATYPES.join(', ')}, got ${describeValue(datatype)}`);
  }
  if (!Array.isArray(data)) return fail('data', `"data" must be a list, got ${describeValue(data)}`);
  // Data comes flat (row-major) or as one list per row.
  const nested = data.length > 0 && data.every(Array.isArray);
  const values: unknown[] = nested ? (data as unknown[][]).flat() : data;
  const expected = rows * columns;
  if (!Number.isSafeInteger(expected) || values.length !== expected) {
    return fail('data', `shape [${shape.join(', ')}] holds ${expected} values, but "data" has ${values.length}`);
  }
  if (nested && (data as unknown[][]).some((row) => row.length !== columns)) {
    const row = (data as unknown[][]).findIndex((r) => r.length !== columns);
    return fail(
      'data',
      `has ${(data as unknown[][])[row].length} values where shape [${shape.join(', ')}] has ${columns}`,
      row,
    );
  }
  const check = elementCheck(datatype);
  for (let k = 0; k < values.length; k++) {
    const value = values[k];
    if (value !== null && !check.accepts(value)) {
      fail('data', `${datatype} data holds ${check.holds}, got ${describeValue(value)}`, Math.floor(k / columns));
    }
  }
  return { index, name, rows, columns, values };
}

function elementCheck(datatype: string): { accepts: (value: unknown) => boolean; holds: string } {
  if (datatype === 'BYTES') return { accepts: (v) => typeof v === 'string', holds: 'strings' };
  if (datatype === 'BOOL') return { accepts: (v) => typeof v === 'boolean', holds: 'true or false' };
  if (INTEGER_TYPES.includes(datatype)) {
    return { accepts: (v) => typeof v === 'number' && Number.isInteger(v), holds: 'whole numbers' };
  }
  return { accepts: (v) => typeof v === 'number' && Number.isFinite(v), holds: 'finite numbers' };
}

/** The outputs a model of this task answers with. */
function outputNames(signature: ModelSignature): readonly string[] {
  return signature.task === 'regression' ? ['variable'] : ['label', 'probabilities'];
}

async function requestedOutputs(
  outputs: unknown,
  signature: () => Promise<ModelSignature>,
): Promise<readonly string[] | null> {
  if (outputs === undefined) return null;
  if (!Array.isArray(outputs)) throw invalidArgument('"outputs" must be a list of {"name"}', { field: 'outputs' });
  const available = outputNames(await signature());
  return outputs.map((output, i) => {
    const name = isPlainObject(output) ? output.name : undefined;
    if (typeof name !== 'string' || !available.includes(name)) {
      throw invalidArgument(
        `outputs[${i}].name: the model has no output ${describeValue(name)}; its outputs are ${available.join(', ')}`,
        { field: `outputs[${i}].name` },
      );
    }
    return name;
  });
}

export interface V2Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * The v2 response to a prediction: `label` (BYTES [N]) and `probabilities` (FP64 [N, C], the
 * class order in its parameters) for a classifier, `variable` (FP64 [N]) for a regressor; the
 * answering model, variant and the prediction ids (for feedback) in `parameters`.
 */
export function v2InferResponse(
  endpoint: string,
  result: PredictResult,
  classes: readonly string[] | undefined,
  request: Pick<V2Request, 'id' | 'outputs'>,
) {
  const n = result.predictions.length;
  const tensors: V2Tensor[] = [];
  const first = result.predictions[0];
  if ('value' in first) {
    tensors.push({
      name: 'variable',
      datatype: 'FP64',
      shape: [n],
      data: result.predictions.map((p) => ('value' in p ? p.value : null)),
    });
  } else {
    const order = classes ?? Object.keys(first.probabilities);
    tensors.push({
      name: 'label',
      datatype: 'BYTES',
      shape: [n],
      data: result.predictions.map((p) => ('label' in p ? String(p.label) : null)),
    });
    tensors.push({
      name: 'probabilities',
      datatype: 'FP64',
      shape: [n, order.length],
      data: result.predictions.flatMap((p) =>
        order.map((c) => ('probabilities' in p ? (p.probabilities[c] ?? null) : null)),
      ),
      parameters: { classes: order },
    });
  }
  const wanted = request.outputs;
  return {
    model_name: endpoint,
    model_version: String(result.model.version),
    id: request.id ?? randomUUID(),
    parameters: {
      model: result.model.name,
      variant: result.variant,
      prediction_ids: result.predictions.map((p) => p.id),
    },
    outputs: wanted ? tensors.filter((t) => wanted.includes(t.name)) : tensors,
  };
}

/** v2 model metadata of an endpoint, described by one of its versions' signature. */
export function v2ModelMetadata(endpoint: string, versions: readonly ModelVersion[], version: ModelVersion) {
  const { signature } = version;
  const classes = signature.classes ?? [];
  return {
    name: endpoint,
    versions: [...new Set(versions.map((v) => String(v.version)))],
    platform: 'keel',
    parameters: { model: version.name, version: String(version.version), task: signature.task },
    inputs: signature.inputs.map((c) => ({
      name: c.name,
      datatype: datatypeOf(c.type),
      shape: [-1],
      parameters: { type: c.type, nullable: c.nullable, ...(c.domain ? { domain: c.domain } : {}) },
    })),
    outputs:
      signature.task === 'regression'
        ? [{ name: 'variable', datatype: 'FP64', shape: [-1] }]
        : [
            { name: 'label', datatype: 'BYTES', shape: [-1] },
            { name: 'probabilities', datatype: 'FP64', shape: [-1, classes.length], parameters: { classes } },
          ],
  };
}

function datatypeOf(type: ColumnType): string {
  switch (type) {
    case 'integer':
      return 'INT64';
    case 'float':
      return 'FP64';
    case 'boolean':
      return 'BOOL';
    default:
      return 'BYTES';
  }
}

/** The version asked for (404 when the endpoint does not route to it), else the one taking most traffic. */
function pickVersion(endpoint: Endpoint, versions: readonly ModelVersion[], version?: number): ModelVersion {
  if (version !== undefined) {
    const found = versions.find((v) => v.version === version);
    if (!found) {
      throw notFound(
        `endpoint "${endpoint.name}" serves no version ${version} (it serves ${[...new Set(versions.map((v) => v.version))].join(', ') || 'none'})`,
        { field: 'version' },
      );
    }
    return found;
  }
  const primary = [...endpoint.policy.routes].sort((a, b) => b.percent - a.percent)[0];
  const found = primary && versions.find((v) => v.name === primary.model && v.version === primary.version);
  if (!found) throw notFound(`endpoint "${endpoint.name}" routes to no model version`, { field: 'endpoint' });
  return found;
}

/** Rows a v2 request carries, for the request log: the first input's N. */
function v2Rows(body: unknown): number {
  const inputs = isPlainObject(body) ? body.inputs : undefined;
  const shape = Array.isArray(inputs) && isPlainObject(inputs[0]) ? inputs[0].shape : undefined;
  const rows = Array.isArray(shape) ? shape[0] : undefined;
  return Number.isSafeInteger(rows) && (rows as number) >= 0 ? (rows as number) : 0;
}
