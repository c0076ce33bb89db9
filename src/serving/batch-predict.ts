import { extname } from 'node:path';
import { KeelError, invalidArgument, notFound, type ModelVersion, type Row } from '../core/index.js';
import {
  validateRows,
  withBatchRows,
  writeBatch,
  type BatchFormat,
  type CsvOptions,
  type OutputChunk,
  type OutputColumn,
  type OutputFormat,
} from '../data/index.js';
import type { Prediction, Registry } from '../registry/index.js';
import type { MetadataStore } from '../store/index.js';

export interface BatchPredictOptions {
  /** The rows to score: a .csv, .tsv or .parquet file (a dataset version is its Parquet file). */
  readonly input: string;
  /** The input's format when its name does not end in it (an artifact's file). */
  readonly inputFormat?: BatchFormat;
  /** How the input is named in messages; default its path. */
  readonly inputName?: string;
  readonly output: string;
  /** Default: Parquet for a `.parquet` output, else CSV. */
  readonly format?: OutputFormat;
  /**
   * The column that names each row in the output; null for none (a `row` number instead).
   * Default: the id column of the model's project (`task.idColumn`), when the input has it.
   */
  readonly idColumn?: string | null;
  /** How a CSV input is parsed; default the missing markers the model's training data was imported with. */
  readonly csv?: CsvOptions;
  /** Rows read, predicted and written at a time. */
  readonly chunkRows?: number;
  readonly onProgress?: (progress: { readonly rows: number; readonly total: number }) => void;
}

export interface BatchPredictResult {
  readonly rows: number;
  readonly output: string;
  readonly format: OutputFormat;
  readonly model: { readonly name: string; readonly version: number };
  /** The output's columns: the id column (or `row`), then `label` and `probability_<class>`, or `value`. */
  readonly columns: readonly string[];
  readonly seconds: number;
}

/**
 * Scores a file of any size with a model version, the way its endpoint would: each chunk of
 * rows is read by DuckDB, checked against the signature (a bad row fails the job, naming its
 * row and field), run through the model's batch path — the same fitted feature pipeline and
 * estimator as serving — and written out before the next chunk is read. Nothing is logged:
 * batch scoring is not traffic.
 */
export async function batchPredict(
  deps: { readonly registry: Registry; readonly metadata: MetadataStore },
  version: ModelVersion,
  options: BatchPredictOptions,
): Promise<BatchPredictResult> {
  const started = performance.now();
  const { registry, metadata } = deps;
  const ref = `${version.name}@${version.version}`;
  const format = options.format ?? (extname(options.output).toLowerCase() === '.parquet' ? 'parquet' : 'csv');
  const model = await registry.loadServable(version);
  const { signature } = model;
  const idColumn =
    options.idColumn !== undefined
      ? options.idColumn
      : ((await registry.evaluationReport(version).catch(() => null))?.largestErrors.idColumn ?? null);
  const csv = options.csv ?? (await trainingCsvOptions(metadata, version));

  const input = options.inputName ?? options.input;
  const read = { ...csv, ...(options.inputFormat ? { format: options.inputFormat } : {}) };
  return withBatchRows(options.input, read, async (batch) => {
    const available = new Set(batch.columns.map((c) => c.name));
    const absent = signature.inputs.find((c) => !available.has(c.name));
    if (absent) {
      throw invalidArgument(`${input} has no column "${absent.name}", an input of ${ref}`, {
        file: input,
        field: absent.name,
      });
    }
    if (options.idColumn && !available.has(options.idColumn)) {
      throw invalidArgument(`${input} has no id column "${options.idColumn}"`, {
        file: input,
        field: options.idColumn,
      });
    }
    // A numeric input the file holds as text (one stray word makes a CSV column text): its
    // numbers are read as numbers, so validation names the row with the stray value.
    const textTyped = new Set(batch.columns.filter((c) => c.type === 'text').map((c) => c.name));
    const coerced = signature.inputs
      .filter((c) => (c.type === 'integer' || c.type === 'float') && textTyped.has(c.name))
      .map((c) => c.name);
    const id = idColumn !== null && available.has(idColumn) ? idColumn : null;
    const inputs = signature.inputs.map((c) => c.name);
    const wanted = id === null || inputs.includes(id) ? inputs : [...inputs, id];
    const classifier = signature.task !== 'regression';
    const classes = signature.classes ?? [];
    const columns: OutputColumn[] = [
      id === null ? { name: 'row', type: 'integer' } : { name: id, type: 'text' },
      ...(classifier
        ? [
            { name: 'label', type: 'text' } as const,
            ...classes.map((c) => ({ name: `probability_${c}`, type: 'float' }) as const),
          ]
        : [{ name: 'value', type: 'float' } as const]),
    ];

    let done = 0;
    options.onProgress?.({ rows: 0, total: batch.rows });
    await writeBatch(options.output, format, columns, async (write) => {
      for await (const rows of batch.chunks(wanted, options.chunkRows)) {
        if (coerced.length > 0) for (const row of rows) for (const name of coerced) numberFromText(row, name);
        const checked = validateRows(rows, signature.inputs);
        if (!checked.ok) {
          const first = checked.problems[0];
          const row = done + first.row;
          throw new KeelError('invalid_data', `${input}: ${first.message.replace(/^row \d+/, `row ${row}`)}`, {
            file: input,
            row,
            ...(first.field ? { field: first.field } : {}),
          });
        }
        const predictions = await model.predict(checked.rows);
        const names =
          id === null ? rows.map((_, i) => done + i) : rows.map((r) => (r[id] === null ? null : String(r[id])));
        await write([names, ...predictionColumns(predictions, classifier, classes)]);
        done += rows.length;
        options.onProgress?.({ rows: done, total: batch.rows });
      }
    });
    return {
      rows: done,
      output: options.output,
      format,
      model: { name: version.name, version: version.version },
      columns: columns.map((c) => c.name),
      seconds: (performance.now() - started) / 1000,
    };
  });
}

/** Replaces a text field holding a decimal number by the number; anything else stays for validation to name. */
function numberFromText(row: Row, name: string): void {
  const value = row[name];
  if (typeof value !== 'string' || value.trim() === '') return;
  const number = Number(value);
  if (Number.isFinite(number)) (row as Record<string, unknown>)[name] = number;
}

function predictionColumns(
  predictions: readonly Prediction[],
  classifier: boolean,
  classes: readonly string[],
): OutputChunk {
  if (!classifier) return [predictions.map((p) => ('value' in p ? p.value : null))];
  return [
    predictions.map((p) => ('label' in p ? String(p.label) : null)),
    ...classes.map((c) => predictions.map((p) => ('probabilities' in p ? (p.probabilities[c] ?? null) : null))),
  ];
}

/** The missing markers the model's training data was imported with, so a CSV batch is typed as that data was. */
async function trainingCsvOptions(metadata: MetadataStore, version: ModelVersion): Promise<CsvOptions> {
  if (!version.datasetVersionId) return {};
  const dataset = await metadata.getDatasetVersionById(version.datasetVersionId);
  const missing = dataset?.source.options?.missing;
  return Array.isArray(missing) && missing.every((m): m is string => typeof m === 'string') ? { missing } : {};
}

/**
 * The model version a batch job scores with: `model` (`NAME`, `NAME@VERSION`, `NAME@ALIAS`), or
 * the version taking most of an `endpoint`'s traffic.
 */
export async function resolveBatchModel(
  deps: { readonly registry: Registry; readonly metadata: MetadataStore },
  target: { readonly model?: string; readonly endpoint?: string },
): Promise<ModelVersion> {
  if (target.model !== undefined) return deps.registry.resolve(target.model);
  const name = target.endpoint as string;
  const endpoint = await deps.metadata.getEndpoint(name);
  if (!endpoint) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
  const primary = [...endpoint.policy.routes].sort((a, b) => b.percent - a.percent)[0];
  const version = primary && (await deps.metadata.getModelVersion(primary.model, primary.version));
  if (!version) throw notFound(`endpoint "${name}" routes to no model version`, { field: 'endpoint' });
  return version;
}
