import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { invalidArgument } from '../../core/index.js';
import { batchPredict, resolveBatchModel } from '../../serving/index.js';
import type { Workspace } from '../../server/index.js';
import { printJson, rowProgress } from '../output.js';
import { datasetRefArg, fmtCount, loadDatasetVersion, usageCheck, versionRef, withWorkspace } from './data-refs.js';

interface PredictOptions {
  endpoint?: string;
  model?: string;
  input: string;
  output: string;
  format?: 'csv' | 'parquet';
  idColumn?: string;
  json?: boolean;
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description(
      'Batch scoring: predict every row of a file or dataset version with a model, streamed in chunks, to CSV or Parquet',
    )
    .option('--endpoint <name>', 'score with the model version taking most of this endpoint’s traffic')
    .option('--model <ref>', 'score with this model version: NAME, NAME@VERSION or NAME@ALIAS')
    .requiredOption('--input <file|dataset>', 'a .csv, .tsv or .parquet file, or a dataset NAME[@VERSION]')
    .requiredOption('--output <file>', 'where to write the predictions')
    .option('--format <format>', 'csv or parquet (default: parquet for a .parquet output, else csv)', formatArg)
    .option('--id-column <column>', 'the input column naming each row (default: the project’s task.idColumn)')
    .option('--json', 'print a JSON summary')
    .action(async (options: PredictOptions, command: Command) => {
      usageCheck(command, () => {
        if ((options.endpoint === undefined) === (options.model === undefined)) {
          throw invalidArgument('give exactly one of --endpoint and --model', { field: '--model' });
        }
      });
      await withWorkspace(async (ws) => {
        const version = await resolveBatchModel(ws, { endpoint: options.endpoint, model: options.model });
        const input = await resolveInput(ws, options.input);
        const progress = rowProgress('scoring');
        let result;
        try {
          result = await batchPredict(ws, version, {
            input: input.path,
            inputName: input.name,
            ...(input.dataset ? { inputFormat: 'parquet' as const } : {}),
            output: resolve(options.output),
            format: options.format,
            ...(options.idColumn !== undefined ? { idColumn: options.idColumn } : {}),
            onProgress: ({ rows, total }) => progress.update(rows, total),
          });
        } finally {
          progress.finish();
        }
        const summary = { ...result, output: options.output, input: input.name };
        if (options.json) return printJson(summary);
        const rate = result.seconds > 0 ? Math.round(result.rows / result.seconds) : result.rows;
        process.stdout.write(
          `Scored ${fmtCount(result.rows)} rows of ${input.name} with ${version.name}@${version.version} → ${options.output} ` +
            `(${result.format === 'csv' ? 'CSV' : 'Parquet'}; ${result.columns.join(', ')}) in ${result.seconds.toFixed(1)} s, ${fmtCount(rate)} rows/s\n`,
        );
      });
    });
}

function formatArg(value: string): 'csv' | 'parquet' {
  if (value !== 'csv' && value !== 'parquet') throw new InvalidArgumentError(`must be csv or parquet, got "${value}"`);
  return value;
}

/** A file when one exists at that path, else a dataset version (its Parquet file in the artifact store). */
async function resolveInput(ws: Workspace, input: string): Promise<{ path: string; name: string; dataset: boolean }> {
  const file = statSync(input, { throwIfNoEntry: false });
  if (file?.isFile()) return { path: resolve(input), name: basename(input), dataset: false };
  let ref;
  try {
    ref = datasetRefArg(input);
  } catch {
    throw invalidArgument(`--input "${input}" is neither a file nor a dataset reference (NAME or NAME@VERSION)`, {
      field: '--input',
    });
  }
  const version = await loadDatasetVersion(ws, ref);
  return { path: await ws.artifacts.localPath(version.artifact), name: versionRef(version), dataset: true };
}
