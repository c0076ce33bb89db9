import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  invalidArgument,
  KeelError,
  type Column,
  type ModelVersion,
  type ReferenceProfile,
  type SignatureColumn,
  type Table,
} from '../../core/index.js';
import { readTable } from '../../data/index.js';
import { buildReference } from '../../monitoring/index.js';
import { describeOnnx, encodePackage, exportOnnx, onnxPackage, type OnnxDescription } from '../../registry/index.js';
import type { Workspace } from '../../server/index.js';
import { deployDirect } from '../../serving/index.js';
import { printJson } from '../output.js';
import { datasetRefArg, loadDatasetVersion, versionRef, withWorkspace, type DatasetRefArg } from './data-refs.js';
import { cliActor } from './models-shared.js';

/** Model and endpoint names, as the project file takes them. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `keel models export` and `keel models import`: ONNX out and in (docs/onnx.md). */
export function registerModelsOnnxCommands(models: Command): void {
  models
    .command('export')
    .description(
      'Write a model version as one ONNX file (feature pipeline + estimator, ONNX and ONNX-ML operators, runnable by ONNX Runtime) or as its native Keel package',
    )
    .argument('<model>', 'NAME@VERSION (or NAME@ALIAS, or NAME for the latest version)')
    .requiredOption('--out <file>', 'the file to write')
    .option('--format <format>', 'onnx | keel', 'onnx')
    .option('--float-inputs', 'onnx: numeric inputs as float32 tensors instead of double')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { out: string; format: string; floatInputs?: boolean; json?: boolean }) => {
      if (options.format !== 'onnx' && options.format !== 'keel') {
        throw invalidArgument(`--format "${options.format}" is not a format: use onnx or keel`, { field: '--format' });
      }
      await withWorkspace(async (ws) => {
        const version = await ws.registry.resolve(ref);
        const pkg = await ws.registry.readPackage(version);
        const name = `${version.name}@${version.version}`;
        const bytes =
          options.format === 'keel'
            ? new TextEncoder().encode(encodePackage(pkg))
            : exportOnnx(pkg, { modelName: name, numericInput: options.floatInputs ? 'float' : 'double' });
        writeFileSync(options.out, bytes);
        if (options.json)
          return printJson({ model: name, format: options.format, file: options.out, bytes: bytes.length });
        process.stdout.write(
          `Wrote ${name} as ${options.format === 'onnx' ? 'ONNX' : 'a Keel package'} to ${options.out} (${bytes.length.toLocaleString('en-US')} bytes)\n`,
        );
      });
    });

  models
    .command('import')
    .description(
      'Register a foreign .onnx model (skl2onnx, torch.onnx.export, …) as a new version that serves and is monitored like a native one',
    )
    .argument('<file>', 'the .onnx file')
    .requiredOption('--name <model>', 'the model name (lowercase letters, digits, - and _)')
    .option('--description <text>', 'what the model is for')
    .option(
      '--classes <names>',
      'comma-separated class names in the order of the probabilities, when the graph does not name them',
    )
    .option('--columns <names>', 'comma-separated column names of a single [N, F] input (default x0, x1, …)')
    .option(
      '--reference <dataset>',
      'DATASET[@VERSION] with the same columns: the reference drift is measured against',
      datasetRefArg,
    )
    .option('--deploy <endpoint>', 'point this endpoint at the new version')
    .option('--json', 'print JSON')
    .action(async (file: string, options: OnnxImportFlags & { json?: boolean }) => {
      await withWorkspace(async (ws) => {
        const result = await importOnnxFile(ws, file, options);
        if (options.json) {
          // The description without the model's bytes, which the package holds.
          const { binding, operators, opsets } = result.description;
          return printJson({
            version: result.version,
            producer: binding.producer,
            operators,
            opsets,
            reference: result.reference,
            endpoint: result.endpoint,
          });
        }
        const { version, description, endpoint } = result;
        const s = description.signature;
        process.stdout.write(
          `Registered ${version.name}@${version.version} from ${basename(file)} (${description.binding.producer}): ` +
            `${s.task}${s.classes ? ` (${s.classes.join(', ')})` : ''}, ${s.inputs.length} input column${s.inputs.length === 1 ? '' : 's'}\n` +
            (result.reference === null
              ? '  No --reference: drift monitoring has nothing to compare with (pass --reference DATASET to get it)\n'
              : `  Drift reference: ${result.reference}\n`) +
            (endpoint ? `  Deployed: endpoint ${endpoint} → ${version.name}@${version.version}\n` : ''),
        );
      });
    });
}

export interface OnnxImportFlags {
  readonly name: string;
  readonly description?: string;
  /** Comma-separated, as on the command line, or a list. */
  readonly classes?: string | readonly string[];
  readonly columns?: string | readonly string[];
  readonly reference?: DatasetRefArg;
  readonly deploy?: string;
}

export interface OnnxImportResult {
  readonly version: ModelVersion;
  readonly description: OnnxDescription;
  /** The dataset version the drift reference was built from, or null. */
  readonly reference: string | null;
  readonly endpoint: string | null;
}

/**
 * `keel models import`: reads and checks the file (nothing is stored if it is not a model Keel
 * can serve), builds the drift reference from a dataset version, registers the version and
 * optionally points an endpoint at it.
 */
export async function importOnnxFile(ws: Workspace, file: string, flags: OnnxImportFlags): Promise<OnnxImportResult> {
  // Checked first: a bad name must not leave a version registered but not deployed.
  for (const [flag, value] of [
    ['--name', flags.name],
    ['--deploy', flags.deploy],
  ] as const) {
    if (value !== undefined && !NAME.test(value)) {
      throw invalidArgument(`${flag} "${value}" is not a name: use lowercase letters, digits, - and _`, {
        field: flag,
      });
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new KeelError('not_found', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      file,
    });
  }
  const description = await describeOnnx(bytes, {
    source: basename(file),
    classes: listOf(flags.classes, '--classes'),
    columns: listOf(flags.columns, '--columns'),
  });
  let reference: ReferenceProfile | null = null;
  let datasetVersionId: string | null = null;
  let referenceName: string | null = null;
  if (flags.reference) {
    const dataset = await loadDatasetVersion(ws, flags.reference);
    const table = await readTable(await ws.artifacts.localPath(dataset.artifact));
    reference = buildReference(
      asSignatureKinds(table, description.signature.inputs, versionRef(dataset)),
      description.signature.inputs,
    );
    datasetVersionId = dataset.id;
    referenceName = versionRef(dataset);
  }
  const version = await ws.registry.register(flags.name, onnxPackage(description, { reference, datasetVersionId }), {
    description: flags.description,
    datasetVersionId,
    tags: { 'keel.source': 'onnx', 'keel.onnx.producer': description.binding.producer },
  });
  if (flags.deploy) {
    await deployDirect(
      ws.metadata,
      flags.deploy,
      { name: version.name, version: version.version },
      { actor: cliActor(), reason: `keel models import ${basename(file)}` },
    );
  }
  return { version, description, reference: referenceName, endpoint: flags.deploy ?? null };
}

function listOf(value: string | readonly string[] | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [...value];
  if (list.some((s) => s === ''))
    throw invalidArgument(`${flag} "${String(value)}" has an empty name`, { field: flag });
  return list;
}

/**
 * The dataset's columns as the model reads them: every signature column must be there; text
 * columns of codes (numbers) become their decimal text, as serving's validation reads them.
 */
function asSignatureKinds(table: Table, inputs: readonly SignatureColumn[], dataset: string): Table {
  const columns = inputs.map((input): Column => {
    const column = table.columns.find((c) => c.name === input.name);
    if (!column) {
      throw new KeelError(
        'invalid_argument',
        `--reference ${dataset} has no column "${input.name}", which the model reads`,
        {
          field: '--reference',
        },
      );
    }
    const text = input.type === 'categorical' || input.type === 'string' || input.type === 'datetime';
    if (text && column.kind === 'number') {
      return {
        name: column.name,
        kind: 'string',
        values: Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v))),
      };
    }
    if (!text && column.kind === 'string') {
      throw new KeelError(
        'invalid_argument',
        `--reference ${dataset}: column "${input.name}" is text but the model reads it as numbers`,
        { field: '--reference' },
      );
    }
    return column;
  });
  return { rows: table.rows, columns };
}
