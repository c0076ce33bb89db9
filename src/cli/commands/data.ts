import type { Command } from 'commander';
import { invalidArgument, notFound, type DatasetVersion } from '../../core/index.js';
import { importDataset } from '../../data/index.js';
import { openWorkspace, type Workspace } from '../../server/index.js';
import { fmtNumber, formatTable, printJson } from '../output.js';
import { importSourceOf, type ImportFlags } from './import-source.js';
import { registerDataDiffCommand } from './data-diff.js';
import { registerDataSchemaCommand } from './data-schema.js';
import { registerDataShowCommand } from './data-show.js';
import { registerDataValidateCommand } from './data-validate.js';

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Datasets: import, list, show, profile, schema, validate, diff');

  data
    .command('import')
    .description(
      'Import a file (csv, tsv, parquet, json, ndjson), an http(s) JSON endpoint or a PostgreSQL query as a new immutable dataset version (identical content returns the existing version)',
    )
    .argument('[source]', 'a file, or an http(s) URL answering a JSON array of records')
    .requiredOption('--name <dataset>', 'dataset name (lowercase letters, digits, - and _)')
    .option('--format <format>', 'csv | tsv | parquet | json | ndjson (default: from the file extension)')
    .option('--delimiter <char>', 'CSV field delimiter (default: "," for csv, a tab for tsv)')
    .option('--quote <char>', 'CSV quote character (default: ")')
    .option('--escape <char>', 'CSV escape character inside quotes (default: the quote, doubled)')
    .option('--no-header', 'the first CSV record is data; columns are named column0, column1, …')
    .option('--missing <markers>', 'comma-separated values read as missing in text columns (default: "",NA,?)')
    .option('--postgres <url>', 'import the result of --query from this PostgreSQL (postgres://user@host:5432/db)')
    .option('--query <sql>', 'the SELECT to import with --postgres')
    .option('--records-path <path>', 'for a URL answering an object: where its array of records is, e.g. data.items')
    .option('--http-header <header>', 'for a URL: a request header, "Name: value" (repeatable)', collect)
    .option('--timeout <seconds>', 'for a URL: how long the download may take (default: 30)')
    .option('--json', 'print JSON')
    .action(async (target: string | undefined, options: ImportFlags & { name: string; json?: boolean }) => {
      if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(options.name)) {
        throw invalidArgument(
          `--name "${options.name}" is not a dataset name: use lowercase letters, digits, - and _`,
          { field: '--name' },
        );
      }
      const source = importSourceOf(target, options);
      await withWorkspace(async (ws) => {
        const { version, created } = await importDataset(ws, { dataset: options.name, source });
        const summary = {
          dataset: version.dataset,
          version: version.version,
          rows: version.rows,
          columns: version.columns,
          created,
        };
        if (options.json) return printJson(summary);
        process.stdout.write(
          `${created ? 'Imported' : 'Already imported:'} ${version.dataset}@${version.version}: ${version.rows.toLocaleString('en-US')} rows, ${version.columns.length} columns\n`,
        );
      });
    });

  data
    .command('list')
    .description('List datasets with their latest version')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withWorkspace(async (ws) => {
        const datasets = await ws.metadata.listDatasets();
        if (options.json)
          return printJson({
            datasets: datasets.map((d) => ({ name: d.name, versions: d.versions, latest: brief(d.latest) })),
          });
        if (datasets.length === 0)
          return void process.stdout.write('No datasets yet. Try `keel data import FILE --name NAME`.\n');
        process.stdout.write(
          formatTable(
            ['DATASET', 'VERSIONS', 'LATEST', 'ROWS', 'COLUMNS', 'CREATED'],
            datasets.map((d) => [
              d.name,
              d.versions,
              `v${d.latest.version}`,
              d.latest.rows,
              d.latest.columns.length,
              d.latest.createdAt,
            ]),
          ) + '\n',
        );
      });
    });

  data
    .command('profile')
    .description('Per-column statistics of a dataset version')
    .argument('<dataset>', 'NAME or NAME@VERSION (default: latest)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withWorkspace(async (ws) => {
        const version = await resolveDataset(ws, ref);
        const { profile } = version;
        if (options.json)
          return printJson({
            dataset: version.dataset,
            version: version.version,
            rows: profile.rows,
            columns: profile.columns,
          });
        process.stdout.write(`${version.dataset}@${version.version}: ${profile.rows.toLocaleString('en-US')} rows\n\n`);
        process.stdout.write(
          formatTable(
            ['COLUMN', 'TYPE', 'MISSING', 'DISTINCT', 'MEAN', 'STD', 'MIN', 'MAX'],
            profile.columns.map((c) => [
              c.name,
              c.type,
              c.missing,
              c.distinct,
              fmtNumber(c.mean),
              fmtNumber(c.std),
              fmtNumber(c.min),
              fmtNumber(c.max),
            ]),
          ) + '\n',
        );
      });
    });

  registerDataShowCommand(data);
  registerDataSchemaCommand(data);
  registerDataValidateCommand(data);
  registerDataDiffCommand(data);
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function withWorkspace(fn: (ws: Workspace) => Promise<void>): Promise<void> {
  const ws = await openWorkspace();
  try {
    await fn(ws);
  } finally {
    await ws.close();
  }
}

export async function resolveDataset(ws: Workspace, ref: string): Promise<DatasetVersion> {
  const match = /^([a-z0-9][a-z0-9_-]*)(?:@(\d+))?$/.exec(ref);
  if (!match)
    throw invalidArgument(`"${ref}" is not a dataset reference: use NAME or NAME@VERSION`, { field: 'dataset' });
  const version = await ws.metadata.getDatasetVersion(match[1], match[2] ? Number(match[2]) : undefined);
  if (!version) throw notFound(`no dataset ${ref}${match[2] ? '' : ' (see `keel data list`)'}`, { field: 'dataset' });
  return version;
}

function brief(v: DatasetVersion) {
  return { version: v.version, rows: v.rows, columns: v.columns, contentHash: v.contentHash, createdAt: v.createdAt };
}
