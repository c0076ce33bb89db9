import type { Command } from 'commander';
import type { ColumnSchema } from '../../core/index.js';
import { effectiveSchema } from '../../data/index.js';
import { formatTable, printJson } from '../output.js';
import {
  datasetRefArg,
  describeSchemaSource,
  fmtCount,
  loadDatasetVersion,
  versionRef,
  withWorkspace,
  type DatasetRefArg,
} from './data-refs.js';

export function registerDataShowCommand(data: Command): void {
  data
    .command('show')
    .description('Show a dataset version: source, rows, columns, content hash and the schema versions of the dataset')
    .argument('<dataset>', 'NAME or NAME@VERSION (default: latest)', datasetRefArg)
    .option('--json', 'print JSON')
    .action(async (ref: DatasetRefArg, options: { json?: boolean }) => {
      await withWorkspace(async (ws) => {
        const version = await loadDatasetVersion(ws, ref);
        const [latest, schemaVersions, effective] = await Promise.all([
          ws.metadata.getDatasetVersion(version.dataset),
          ws.metadata.listSchemaVersions(version.dataset),
          effectiveSchema(ws.metadata, version.dataset, version.version),
        ]);
        const versions = latest?.version ?? version.version;

        if (options.json) {
          return printJson({
            dataset: version.dataset,
            version: version.version,
            versions,
            id: version.id,
            source: version.source,
            rows: version.rows,
            contentHash: version.contentHash,
            artifact: version.artifact,
            createdAt: version.createdAt,
            columns: version.schema.columns,
            schema: { source: effective.source, schemaVersion: effective.schemaVersion },
            schemaVersions: schemaVersions.map((s) => ({
              version: s.version,
              source: s.source,
              basedOn: s.basedOn,
              note: s.note,
              createdAt: s.createdAt,
              columns: s.schema.columns.length,
            })),
          });
        }

        const out: string[] = [];
        out.push(
          `${versionRef(version)}: version ${version.version} of ${versions}${version.version === versions ? ' (the latest)' : ''}`,
          '',
          formatFields([
            ['Source', `${version.source.kind} ${version.source.uri}`],
            ['Rows', fmtCount(version.rows)],
            ['Columns', String(version.columns.length)],
            ['Content hash', version.contentHash],
            ['Created', version.createdAt],
            ['Schema in force', describeSchemaSource(effective)],
          ]),
          '',
          formatTable(
            ['COLUMN', 'TYPE', 'NULLABLE', 'DOMAIN / RANGE'],
            version.schema.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', constraint(c)]),
          ),
          '',
        );
        if (schemaVersions.length === 0) {
          out.push(
            `No stored schema versions (edit one with \`keel data schema ${version.dataset} --out schema.yaml\`).`,
          );
        } else {
          out.push(
            'Schema versions',
            formatTable(
              ['VERSION', 'SOURCE', 'BASED ON', 'COLUMNS', 'CREATED', 'NOTE'],
              schemaVersions.map((s) => [
                s.version,
                s.source,
                s.basedOn === null ? '–' : `${s.dataset}@${s.basedOn}`,
                s.schema.columns.length,
                s.createdAt,
                s.note,
              ]),
            ),
          );
        }
        process.stdout.write(out.join('\n') + '\n');
      });
    });
}

function formatFields(fields: ReadonlyArray<[string, string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** `3 categories: Month-to-month, One year, Two year`, `[0, 72]` or ''. */
function constraint(column: ColumnSchema): string {
  if (column.domain) {
    const shown = column.domain.slice(0, 3).join(', ');
    const more = column.domain.length > 3 ? ', …' : '';
    return `${column.domain.length} categories: ${shown}${more}`;
  }
  if (column.min !== undefined || column.max !== undefined) return `[${column.min ?? '-∞'}, ${column.max ?? '∞'}]`;
  return '';
}
