import { basename } from 'node:path';
import type { Command } from 'commander';
import type { DatasetSource } from '../../core/index.js';
import { batchFormat, effectiveSchema, readBatch, validateTable, type CsvOptions } from '../../data/index.js';
import { formatTable, printJson } from '../output.js';
import {
  datasetRefArg,
  describeSchemaSource,
  fmtCount,
  shareArg,
  versionRef,
  usageCheck,
  withWorkspace,
  type DatasetRefArg,
} from './data-refs.js';

interface ValidateOptions {
  against: DatasetRefArg;
  idColumn?: string;
  maxMissing?: number;
  delimiter?: string;
  missing?: string;
  json?: boolean;
}

export function registerDataValidateCommand(data: Command): void {
  data
    .command('validate')
    .description(
      'Check a batch (CSV, TSV or Parquet) against the schema of a dataset; exits 1 when an anomaly is an error',
    )
    .argument('<file>', 'the batch: a .csv, .tsv or .parquet file')
    .requiredOption(
      '--against <dataset>',
      'NAME or NAME@VERSION: the dataset whose schema applies (its edited schema, else the version’s inferred one)',
      datasetRefArg,
    )
    .option('--id-column <column>', 'a column whose values must be unique (default: none)')
    .option(
      '--max-missing <share>',
      'largest share of missing values allowed in any column, 0–1; above it is an error (default: no limit)',
      shareArg,
    )
    .option('--delimiter <char>', 'CSV field delimiter (default: , for .csv, tab for .tsv)')
    .option(
      '--missing <markers>',
      'comma-separated markers of missing values in CSV (default: those the dataset was imported with)',
    )
    .option('--json', 'print JSON')
    .action(async (file: string, options: ValidateOptions, command: Command) => {
      usageCheck(command, () => batchFormat(file));
      await withWorkspace(async (ws) => {
        const effective = await effectiveSchema(ws.metadata, options.against.dataset, options.against.version);
        const version = effective.datasetVersion;
        const table = await readBatch(file, csvOptions(options, version.source));
        const report = validateTable(table, effective.schema, {
          idColumn: options.idColumn,
          maxMissingShare: options.maxMissing,
        });
        const anomalies = report.anomalies.map(({ column, kind, severity, message }) => ({
          column,
          kind,
          severity,
          message,
        }));
        const errors = anomalies.filter((a) => a.severity === 'error').length;
        const warnings = anomalies.length - errors;
        if (!report.ok) process.exitCode = 1;

        if (options.json) {
          printJson({
            ok: report.ok,
            batch: { file, rows: table.rows, columns: table.columns.length },
            against: {
              dataset: version.dataset,
              version: version.version,
              source: effective.source,
              schemaVersion: effective.schemaVersion,
            },
            anomalies,
          });
        } else {
          process.stdout.write(
            `Validated ${file} (${fmtCount(table.rows)} rows, ${table.columns.length} columns) against ` +
              `the schema of ${versionRef(version)} (${describeSchemaSource(effective)})\n`,
          );
          if (anomalies.length === 0) process.stdout.write('✓ no anomalies\n');
          else {
            process.stdout.write(
              `${report.ok ? '✓' : '✗'} ${count(errors, 'error')}, ${count(warnings, 'warning')}\n\n`,
            );
            process.stdout.write(
              formatTable(
                ['COLUMN', 'KIND', 'SEVERITY', 'MESSAGE'],
                anomalies.map((a) => [a.column, a.kind, a.severity, a.message]),
              ) + '\n',
            );
          }
        }
        if (!report.ok) {
          process.stderr.write(
            `keel: ${basename(file)} fails validation against ${versionRef(version)}: ${count(errors, 'error')}\n`,
          );
        }
      });
    });
}

/**
 * Parsing options for a CSV batch: the command line's, else the missing markers the dataset was
 * imported with (so the batch is typed as the data the schema came from was), else the defaults.
 */
function csvOptions(options: ValidateOptions, source: DatasetSource): CsvOptions {
  const imported = source.options?.missing;
  const importedMissing =
    Array.isArray(imported) && imported.every((m): m is string => typeof m === 'string') ? imported : undefined;
  const missing =
    options.missing !== undefined ? options.missing.split(',').map((m) => (m === '""' ? '' : m)) : importedMissing;
  return {
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(missing !== undefined ? { missing } : {}),
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
