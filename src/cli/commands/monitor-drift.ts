import { existsSync } from 'node:fs';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { isKeelError, KeelError, loadProject, type DatasetSource, type Table } from '../../core/index.js';
import { batchFormat, readBatch, readTable, type CsvOptions } from '../../data/index.js';
import {
  DRIFT_METHOD_NAMES,
  driftOfColumns,
  driftSettings,
  type DatasetDriftResult,
  type DriftConfig,
  type DriftMethodChoice,
  type DriftSettings,
} from '../../monitoring/index.js';
import type { Workspace } from '../../server/index.js';
import { fmtNumber, formatTable, printJson } from '../output.js';
import { datasetRefArg, fmtCount, loadDatasetVersion, shareArg, versionRef, withWorkspace } from './data-refs.js';

interface DriftOptions {
  reference: string;
  current: string;
  method?: DriftMethodChoice;
  threshold?: number;
  share?: number;
  correction?: 'bh' | 'none';
  project?: string;
  missing?: string;
  delimiter?: string;
  json?: boolean;
}

/** A side of the comparison once read. */
interface Side {
  readonly name: string;
  readonly kind: 'dataset' | 'file';
  readonly table: Table;
}

export function registerMonitorDriftCommand(monitor: Command): void {
  monitor
    .command('drift')
    .description(
      'Drift between two datasets or files, per column (KS, Wasserstein, Jensen-Shannon, chi-square or PSI) and overall; exits 0 whether or not it finds drift',
    )
    .requiredOption('--reference <data>', 'NAME, NAME@VERSION or a .csv, .tsv or .parquet file: the baseline')
    .requiredOption('--current <data>', 'NAME, NAME@VERSION or a .csv, .tsv or .parquet file: compared with it')
    .option(
      '--method <method>',
      `the test of every column: auto (default: by type and sample size) or one of ${DRIFT_METHOD_NAMES.join(', ')}`,
      methodArg,
    )
    .option('--threshold <number>', 'the threshold of --method (a p-value for ks and chisquare)', positiveNumberArg)
    .option('--share <share>', 'dataset drift when at least this share of the columns drifted (default 0.5)', shareArg)
    .option('--correction <kind>', 'multiple-testing correction of p-values: bh (default) or none', correctionArg)
    .option(
      '--project <dir>',
      'read monitoring.drift (methods, thresholds, per-feature overrides) from this project (default: ./keel.yaml when present)',
    )
    .option(
      '--missing <markers>',
      'comma-separated missing-value markers of CSV files (default: those of the dataset side)',
    )
    .option('--delimiter <char>', 'CSV field delimiter (default: , for .csv, tab for .tsv)')
    .option('--json', 'print JSON')
    .action(async (_own: DriftOptions, command: Command) => {
      // `monitor` has a --json of its own, which commander gives the parent: read both levels.
      const options = command.optsWithGlobals<DriftOptions>();
      await withWorkspace(async (ws) => {
        const { reference, current, settings } = await usage(async () => {
          const settings = settingsOf(options);
          const [refSource, curSource] = [await sourceOf(ws, options.reference), await sourceOf(ws, options.current)];
          // A file is typed as the dataset on the other side was imported (its missing markers).
          const csv = csvOptions(options, refSource.source ?? curSource.source);
          return {
            reference: await refSource.read(csv),
            current: await curSource.read(csv),
            settings,
          };
        });
        const result = await usage(async () => driftOfColumns(reference.table, current.table, settings));
        if (options.json) {
          printJson({
            reference: { name: reference.name, kind: reference.kind, rows: reference.table.rows },
            current: { name: current.name, kind: current.kind, rows: current.table.rows },
            ...result,
          });
          return;
        }
        process.stdout.write(report(reference, current, result));
      });
    });
}

/**
 * Runs the reading and checking of the command's inputs: a KeelError there (unknown dataset,
 * missing file, no common column, a bad project file) is a usage error: one line, exit code 2.
 */
async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isKeelError(error)) throw error;
    process.stderr.write(`keel: ${error.message}\n`);
    throw new CommanderError(2, 'keel.usage', error.message);
  }
}

function settingsOf(options: DriftOptions): DriftSettings {
  const dir = options.project ?? (existsSync('keel.yaml') ? '.' : undefined);
  const fromProject: DriftConfig = dir ? (loadProject(dir).config.monitoring?.drift ?? {}) : {};
  const config: DriftConfig = {
    ...fromProject,
    ...(options.method !== undefined ? { method: options.method, metric: undefined, threshold: undefined } : {}),
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    ...(options.share !== undefined ? { share: options.share } : {}),
    ...(options.correction !== undefined ? { correction: options.correction } : {}),
  };
  // Two whole tables: every row counts, whatever minRows a live window needs.
  return { ...driftSettings(config), minRows: 1 };
}

interface SourceRef {
  readonly source?: DatasetSource;
  read(csv: CsvOptions): Promise<Side>;
}

/** A dataset reference (NAME, NAME@VERSION) unless a file of that name exists or it names a file. */
async function sourceOf(ws: Workspace, arg: string): Promise<SourceRef> {
  const looksLikeDataset = /^[a-z0-9][a-z0-9_-]{0,62}(@[1-9]\d{0,8})?$/.test(arg);
  if (looksLikeDataset && !existsSync(arg)) {
    const version = await loadDatasetVersion(ws, datasetRefArg(arg));
    return {
      source: version.source,
      read: async () => ({
        name: versionRef(version),
        kind: 'dataset',
        table: await readTable(await ws.artifacts.localPath(version.artifact)),
      }),
    };
  }
  batchFormat(arg); // an unknown extension is named before the file is looked for
  if (!existsSync(arg)) {
    throw new KeelError('not_found', `no file ${arg} (and it is not a dataset reference NAME or NAME@VERSION)`, {
      file: arg,
    });
  }
  return { read: async (csv) => ({ name: arg, kind: 'file', table: await readBatch(arg, csv) }) };
}

function csvOptions(options: DriftOptions, source: DatasetSource | undefined): CsvOptions {
  const imported = source?.options?.missing;
  const importedMissing =
    Array.isArray(imported) && imported.every((m): m is string => typeof m === 'string') ? imported : undefined;
  const missing =
    options.missing !== undefined ? options.missing.split(',').map((m) => (m === '""' ? '' : m)) : importedMissing;
  return {
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(missing !== undefined ? { missing } : {}),
  };
}

/** The human report: a table per feature, skipped columns, the dataset verdict. */
function report(reference: Side, current: Side, result: DatasetDriftResult): string {
  const lines = [
    `Drift of ${current.name} (${fmtCount(current.table.rows)} rows) against ${reference.name} (${fmtCount(reference.table.rows)} rows)`,
    '',
  ];
  if (result.features.length > 0) {
    lines.push(
      formatTable(
        [
          'FEATURE',
          'KIND',
          'METHOD',
          'STATISTIC',
          'P-VALUE',
          result.correction === 'bh' ? 'BH P-VALUE' : 'ADJ. P',
          'THRESHOLD',
          'VERDICT',
        ],
        result.features.map((f) => [
          f.feature,
          f.kind,
          f.method,
          fmtStatistic(f.statistic),
          f.pValue === null ? '–' : fmtP(f.pValue),
          f.adjustedPValue === null ? '–' : fmtP(f.adjustedPValue),
          `${f.pValue === null ? '>' : 'p <'} ${f.threshold}`,
          f.drifted ? 'DRIFTED' : 'ok',
        ]),
      ),
    );
  }
  if (result.skipped.length > 0) {
    lines.push('', 'Not tested:', ...result.skipped.map((s) => `  ${s.feature}: ${s.reason}`));
  }
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  lines.push(
    '',
    `Dataset drift: ${result.drifted ? 'DRIFTED' : 'no'} — ${result.driftedCount} of ${result.features.length} features drifted (${percent(result.share)}; drift at ≥ ${percent(result.shareThreshold)})` +
      (result.correction === 'bh' ? '; p-values corrected by Benjamini-Hochberg' : ''),
  );
  return lines.join('\n') + '\n';
}

function fmtStatistic(value: number): string {
  if (value === Infinity) return '∞';
  return Math.abs(value) >= 1e4 ? value.toExponential(3) : fmtNumber(value, 4);
}

function fmtP(value: number): string {
  return value !== 0 && value < 1e-4 ? value.toExponential(2) : value.toFixed(4);
}

function methodArg(value: string): DriftMethodChoice {
  const allowed = ['auto', ...DRIFT_METHOD_NAMES];
  if (!allowed.includes(value)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as DriftMethodChoice;
}

function correctionArg(value: string): 'bh' | 'none' {
  if (value !== 'bh' && value !== 'none') throw new InvalidArgumentError(`must be bh or none, got "${value}"`);
  return value;
}

function positiveNumberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`must be a number > 0, got "${value}"`);
  return n;
}
