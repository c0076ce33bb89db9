import { Option, type Command } from 'commander';
import { invalidArgument, notFound, type DataSchema, type SchemaVersion } from '../../core/index.js';
import {
  diffSchemas,
  effectiveSchema,
  formatSchemaFile,
  readSchemaFile,
  schemaFileFormat,
  writeSchemaFile,
  type SchemaChange,
} from '../../data/index.js';
import type { Workspace } from '../../server/index.js';
import { formatTable, positiveInt, printJson } from '../output.js';
import {
  datasetRefArg,
  describeSchemaSource,
  loadDatasetVersion,
  usageCheck,
  versionRef,
  withWorkspace,
  type DatasetRefArg,
} from './data-refs.js';

interface SchemaOptions {
  out?: string;
  set?: string;
  reset?: boolean;
  schemaVersion?: number;
  note?: string;
  json?: boolean;
}

export function registerDataSchemaCommand(data: Command): void {
  data
    .command('schema')
    .description(
      'Print, export, edit or reset the schema a dataset is validated against (its latest edit, else the version’s inferred schema)',
    )
    .argument('<dataset>', 'NAME or NAME@VERSION (default: latest version)', datasetRefArg)
    .addOption(new Option('--out <file>', 'write the schema to FILE (.yaml, .yml or .json) instead of printing it'))
    .addOption(
      new Option('--set <file>', 'validate FILE and store it as the next schema version (source "edited")').conflicts([
        'out',
        'reset',
        'schemaVersion',
      ]),
    )
    .addOption(
      new Option(
        '--reset',
        'end the edits: store the schema inferred from NAME[@VERSION] as the next schema version (source "inferred")',
      ).conflicts(['out', 'schemaVersion']),
    )
    .addOption(
      new Option('--schema-version <n>', 'show a stored schema version instead of the one in force').argParser(
        positiveInt,
      ),
    )
    .option('--note <text>', 'why the schema changes (with --set or --reset)')
    .option('--json', 'print JSON')
    .action(async (ref: DatasetRefArg, options: SchemaOptions, command: Command) => {
      if (options.note !== undefined && options.set === undefined && !options.reset) {
        command.error("error: option '--note <text>' goes with --set or --reset", { exitCode: 2 });
      }
      // Checked before the workspace opens, so a bad file name touches nothing.
      for (const file of [options.out, options.set]) {
        if (file !== undefined) usageCheck(command, () => schemaFileFormat(file));
      }
      await withWorkspace(async (ws) => {
        if (options.set !== undefined) return setSchema(ws, ref, options.set, options);
        if (options.reset) return resetSchema(ws, ref, options);
        return showSchema(ws, ref, options);
      });
    });
}

async function showSchema(ws: Workspace, ref: DatasetRefArg, options: SchemaOptions): Promise<void> {
  const version = await loadDatasetVersion(ws, ref);
  let shown: { schema: DataSchema; basedOn: number | null; schemaVersion: number | null; source: string };
  let described: string;
  if (options.schemaVersion !== undefined) {
    const stored = await ws.metadata.getSchemaVersion(ref.dataset, options.schemaVersion);
    if (!stored) {
      throw notFound(`dataset ${ref.dataset} has no schema version ${options.schemaVersion}`, {
        field: '--schema-version',
      });
    }
    shown = { schema: stored.schema, basedOn: stored.basedOn, schemaVersion: stored.version, source: stored.source };
    described = `${ref.dataset}, schema version ${stored.version} (${stored.source})`;
  } else {
    const effective = await effectiveSchema(ws.metadata, version.dataset, version.version);
    shown = {
      schema: effective.schema,
      basedOn: version.version,
      schemaVersion: effective.schemaVersion,
      source: effective.source,
    };
    described = `${version.dataset}@${version.version} (${describeSchemaSource(effective)})`;
  }

  const file = {
    dataset: version.dataset,
    ...(shown.basedOn !== null ? { basedOn: shown.basedOn } : {}),
    schema: shown.schema,
  };
  const header = [
    `Schema of ${described}.`,
    'Edit it, then store it as the next schema version with:',
    `  keel data schema ${version.dataset} --set ${options.out ?? 'FILE.yaml'}`,
    'type: integer | float | boolean | categorical | string | datetime; domain: categorical only;',
    'min and max: integer and float only.',
  ].join('\n');
  const summary = {
    dataset: version.dataset,
    datasetVersion: version.version,
    source: shown.source,
    schemaVersion: shown.schemaVersion,
  };

  if (options.out !== undefined) {
    await writeSchemaFile(options.out, file, header);
    if (options.json) return printJson({ ...summary, file: options.out, columns: shown.schema.columns.length });
    process.stdout.write(
      `Wrote the schema of ${described} to ${options.out}: ${shown.schema.columns.length} columns\n`,
    );
    return;
  }
  if (options.json) return printJson({ ...summary, columns: shown.schema.columns });
  process.stdout.write(formatSchemaFile(file, 'yaml', header));
}

async function setSchema(ws: Workspace, ref: DatasetRefArg, path: string, options: SchemaOptions): Promise<void> {
  const file = await readSchemaFile(path);
  if (file.dataset !== undefined && file.dataset !== ref.dataset) {
    throw invalidArgument(`${path}: dataset: the file is for "${file.dataset}", not "${ref.dataset}"`, {
      field: 'dataset',
      file: path,
    });
  }
  // The dataset version the file was edited against: the command line's, else the file's, else the latest.
  const version = await loadDatasetVersion(ws, { dataset: ref.dataset, version: ref.version ?? file.basedOn });
  const before = await effectiveSchema(ws.metadata, version.dataset, version.version);
  const changes = diffSchemas(before.schema, file.schema);
  if (before.source === 'edited' && changes.length === 0) {
    return report(
      null,
      changes,
      `Schema unchanged: ${ref.dataset} schema version ${before.schemaVersion} already says this`,
    );
  }
  const stored = await ws.metadata.createSchemaVersion({
    dataset: version.dataset,
    schema: file.schema,
    source: 'edited',
    basedOn: version.version,
    note: options.note ?? '',
  });
  report(
    stored,
    changes,
    `Stored ${stored.dataset} schema version ${stored.version} (edited, based on ${stored.dataset}@${version.version}): ` +
      `${file.schema.columns.length} columns, ${plural(changes.length, 'change')} from the schema in force (${describeSchemaSource(before)})`,
  );

  function report(schemaVersion: SchemaVersion | null, list: readonly SchemaChange[], line: string): void {
    if (options.json) return printJson({ stored: schemaVersion !== null, schemaVersion, changes: list });
    process.stdout.write(`${line}\n`);
    if (list.length > 0) {
      process.stdout.write(
        '\n' +
          formatTable(
            ['COLUMN', 'CHANGE'],
            list.map((c) => [c.column, c.message]),
          ) +
          '\n',
      );
    }
  }
}

async function resetSchema(ws: Workspace, ref: DatasetRefArg, options: SchemaOptions): Promise<void> {
  const version = await loadDatasetVersion(ws, ref);
  const before = await effectiveSchema(ws.metadata, version.dataset, version.version);
  if (before.source !== 'edited') {
    const line = `Nothing to reset: no edited schema of ${ref.dataset} is in force; each version is validated against its inferred schema`;
    if (options.json) return printJson({ stored: false, schemaVersion: null });
    return void process.stdout.write(`${line}\n`);
  }
  const stored = await ws.metadata.createSchemaVersion({
    dataset: version.dataset,
    schema: version.schema,
    source: 'inferred',
    basedOn: version.version,
    note: options.note ?? '',
  });
  if (options.json) return printJson({ stored: true, schemaVersion: stored });
  process.stdout.write(
    `Stored ${stored.dataset} schema version ${stored.version} (inferred from ${versionRef(version)}): ` +
      `edits no longer apply; each version is validated against its own inferred schema\n`,
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
