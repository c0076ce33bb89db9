import type { Command } from 'commander';
import { KeelError, notFound, type DatasetVersion, type Run } from '../../core/index.js';
import { openWorkspace, type Workspace } from '../../server/index.js';
import type { RunFilter } from '../../store/index.js';
import { compareRuns, parseRunFilter, parseRunOrder, searchRuns } from '../../tracking/index.js';
import { fmtNumber, formatTable, positiveInt, printJson } from '../output.js';

const FILTER_HELP = `
Filters (MLflow's search syntax):
  metrics.NAME, params.NAME, tags.NAME, attributes.{status,name,experiment,start_time,end_time,run_id,…}
  compared with = != < <= > >= (metrics, times), LIKE / ILIKE 'pat%' and IN ('a', 'b') (text),
  joined with AND / OR and parentheses. Params and tags are text: params.C = '0.5'.

Examples:
  keel runs list --filter "metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'" --order-by "metrics.roc_auc DESC"
  keel runs list --filter "attributes.status = 'failed'" --limit 5
  keel runs list --filter "tags.\`keel.step\` = 'search'" --order-by "attributes.start_time"`;

/** Metrics shown as columns when the filter and sort name none, in this order of preference. */
const USUAL_METRICS = ['roc_auc', 'accuracy', 'f1', 'r2', 'rmse', 'mae', 'log_loss'];
const METRIC_COLUMNS = 4;

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('Tracked training runs: search, show and compare them');

  runs
    .command('list')
    .description('List runs, newest first, or the runs a filter selects in the order asked')
    .option('--experiment <name>', 'only runs of this experiment (project)')
    .option('--filter <expression>', `e.g. "metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'"`)
    .option('--order-by <keys>', 'e.g. "metrics.roc_auc DESC, attributes.start_time" (default: newest first)')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .option('--page-token <token>', 'the next page of an earlier list (printed after it)')
    .option('--json', 'print JSON: {runs, nextPageToken}')
    .addHelpText('after', FILTER_HELP)
    .action(
      async (options: {
        experiment?: string;
        filter?: string;
        orderBy?: string;
        limit: number;
        pageToken?: string;
        json?: boolean;
      }) => {
        await withWorkspace(async (workspace) => {
          const page = await searchRuns(workspace.metadata, {
            experiment: options.experiment,
            filter: options.filter,
            orderBy: options.orderBy,
            limit: options.limit,
            pageToken: options.pageToken,
          });
          if (options.json) return printJson(page);
          if (page.runs.length === 0) {
            const searched = options.filter || options.experiment || options.pageToken;
            process.stdout.write(searched ? 'No runs match.\n' : 'No runs yet. Try `keel run examples/churn`.\n');
            return;
          }
          const metrics = metricColumns(page.runs, options.filter, options.orderBy);
          process.stdout.write(
            formatTable(
              ['RUN', 'EXPERIMENT', 'NAME', 'STATUS', ...metrics.map((m) => m.toUpperCase()), 'DURATION', 'STARTED'],
              page.runs.map((r) => [
                r.id,
                r.experiment,
                r.name,
                r.status,
                ...metrics.map((m) => fmtNumber(r.metrics[m])),
                fmtDuration(r.durationMs),
                r.startedAt,
              ]),
            ) + '\n',
          );
          if (page.nextPageToken) process.stdout.write(`\nMore runs: add --page-token ${page.nextPageToken}\n`);
        });
      },
    );

  runs
    .command('show')
    .description('Everything about a run: params, metrics and their series, tags, note, inputs, lineage, source')
    .argument('<run-id>', 'the run, e.g. run_…')
    .option('--json', 'print JSON: {run, parent, children, datasets, environment}')
    .action(async (runId: string, options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const run = await requireRun(workspace, runId);
        const [parent, children, datasets] = await Promise.all([
          run.parentRunId ? workspace.metadata.getRun(run.parentRunId) : null,
          workspace.metadata.listRuns({ parentRunId: run.id }),
          Promise.all(run.datasetVersionIds.map((id) => workspace.metadata.getDatasetVersionById(id))),
        ]);
        const details = {
          run,
          parent: parent ? summary(parent) : null,
          children: children.map(summary),
          datasets: run.datasetVersionIds.map((id, i) => datasetRef(id, datasets[i])),
          environment: environmentOf(run),
        };
        if (options.json) return printJson(details);
        process.stdout.write(showText(details) + '\n');
      });
    });

  runs
    .command('compare')
    .description('Params and metrics of runs side by side; * marks what differs')
    .argument('<run-ids...>', 'two or more runs')
    .option('--json', 'print JSON: {runs, params, metrics, differing}')
    .action(async (runIds: string[], options: { json?: boolean }) => {
      if (runIds.length < 2) {
        throw new KeelError('invalid_argument', 'runs compare needs at least two run ids.', { field: 'run-ids' });
      }
      await withWorkspace(async (workspace) => {
        const found = await Promise.all(runIds.map((id) => requireRun(workspace, id)));
        const comparison = compareRuns(found);
        if (options.json) return printJson(comparison);
        const differing = new Set(comparison.differing);
        const headers = comparison.runs.map((r) => r.name || r.id);
        const section = (kind: 'params' | 'metrics', label: string) => {
          const rows = Object.entries(comparison[kind]).map(([key, values]) => [
            differing.has(`${kind}.${key}`) ? '*' : '',
            key,
            ...values.map((value) =>
              value === null ? '–' : typeof value === 'number' && kind === 'metrics' ? fmtNumber(value) : String(value),
            ),
          ]);
          return rows.length === 0 ? `${label}: none` : formatTable(['', label.toUpperCase(), ...headers], rows);
        };
        const listed = comparison.runs
          .map((r) => `  ${r.id}  ${r.name} (${r.experiment}, ${r.status}, ${fmtDuration(r.durationMs)})`)
          .join('\n');
        process.stdout.write(
          [
            `Comparing ${comparison.runs.length} runs (* marks a value that differs):`,
            listed,
            '',
            section('params', 'Param'),
            '',
            section('metrics', 'Metric'),
          ].join('\n') + '\n',
        );
      });
    });
}

async function withWorkspace(work: (workspace: Workspace) => Promise<void>): Promise<void> {
  const workspace = await openWorkspace();
  try {
    await work(workspace);
  } finally {
    await workspace.close();
  }
}

async function requireRun(workspace: Workspace, runId: string): Promise<Run> {
  const run = await workspace.metadata.getRun(runId);
  if (!run) throw notFound(`no run with id "${runId}" (see \`keel runs list\`)`, { field: 'run-id' });
  return run;
}

/**
 * The metric columns of a run list: those the filter and sort name, then the usual headline
 * metrics the runs have, then the commonest others.
 */
function metricColumns(runs: readonly Run[], filter: string | undefined, orderBy: string | undefined): string[] {
  const named = [
    ...parseRunOrder(orderBy ?? []).flatMap((order) => (order.field.kind === 'metric' ? [order.field.key] : [])),
    ...metricKeys(filter ? parseRunFilter(filter) : undefined),
  ];
  const counts = new Map<string, number>();
  for (const run of runs) for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const usual = USUAL_METRICS.filter((key) => counts.has(key));
  const others = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([key]) => key);
  return [...new Set([...named, ...usual, ...others])].slice(0, METRIC_COLUMNS);
}

function metricKeys(filter: RunFilter | undefined): string[] {
  if (filter === undefined) return [];
  if (filter.kind === 'and' || filter.kind === 'or') return filter.clauses.flatMap(metricKeys);
  return filter.field.kind === 'metric' ? [filter.field.key] : [];
}

interface RunDetails {
  readonly run: Run;
  readonly parent: RunSummary | null;
  readonly children: RunSummary[];
  readonly datasets: Array<{ id: string; dataset: string | null; version: number | null }>;
  readonly environment: Record<string, string>;
}

interface RunSummary {
  readonly id: string;
  readonly name: string;
  readonly status: Run['status'];
  readonly metrics: Run['metrics'];
}

function summary(run: Run): RunSummary {
  return { id: run.id, name: run.name, status: run.status, metrics: run.metrics };
}

function datasetRef(id: string, version: DatasetVersion | null): RunDetails['datasets'][number] {
  return { id, dataset: version?.dataset ?? null, version: version?.version ?? null };
}

/** The environment tags the tracker records on every run, by short name. */
const ENVIRONMENT_TAGS: Record<string, string> = {
  'keel.version': 'keel',
  'env.node': 'node',
  'env.os': 'os',
  'env.host': 'host',
};

function environmentOf(run: Run): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [tag, name] of Object.entries(ENVIRONMENT_TAGS)) if (run.tags[tag]) environment[name] = run.tags[tag];
  return environment;
}

function showText({ run, parent, children, datasets, environment }: RunDetails): string {
  const lines: string[][] = [
    ['run', run.id],
    ['name', run.name],
    ['experiment', run.experiment],
    ['status', run.status],
    ['started', run.startedAt],
    ['ended', run.endedAt ?? '– (running)'],
    ['duration', fmtDuration(run.durationMs)],
    ['note', run.note || '–'],
    ['source', sourceText(run)],
    ['pipeline', run.pipelineRunId ?? '–'],
    ['parent', parent ? `${parent.id} (${parent.name})` : '–'],
    ['children', children.length === 0 ? '–' : `${children.length}: ${childrenText(children)}`],
    [
      'datasets',
      datasets.length === 0
        ? '–'
        : datasets.map((d) => (d.dataset ? `${d.dataset}@${d.version} (${d.id})` : d.id)).join(', '),
    ],
    [
      'environment',
      Object.entries(environment)
        .map(([name, value]) => `${name} ${value}`)
        .join(' · ') || '–',
    ],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  const out = [lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')];

  const params = Object.entries(run.params);
  out.push(
    '',
    params.length === 0
      ? 'Params: none'
      : formatTable(
          ['PARAM', 'VALUE'],
          params.map(([k, v]) => [k, String(v)]),
        ),
  );
  const metrics = Object.entries(run.metrics);
  out.push(
    '',
    metrics.length === 0
      ? 'Metrics: none'
      : formatTable(
          ['METRIC', 'VALUE', 'POINTS'],
          metrics.map(([key, value]) => [key, fmtNumber(value), String(run.metricPoints[key] ?? 1)]),
        ),
  );
  const tags = Object.entries(run.tags).filter(([key]) => !Object.hasOwn(ENVIRONMENT_TAGS, key));
  out.push('', tags.length === 0 ? 'Tags: none' : formatTable(['TAG', 'VALUE'], tags));
  out.push(
    '',
    run.artifacts.length === 0
      ? 'Artifacts: none'
      : formatTable(
          ['ARTIFACT', 'SIZE', 'DIGEST'],
          run.artifacts.map((a) => [a.path, `${fmtNumber(a.size)} B`, a.digest]),
        ),
  );
  return out.join('\n');
}

function sourceText(run: Run): string {
  const parts = [
    run.source.configHash ? `config sha256 ${run.source.configHash}` : '',
    run.source.gitCommit ? `git ${run.source.gitCommit}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : '– (no config hash or git commit recorded)';
}

function childrenText(children: readonly RunSummary[]): string {
  const shown = children.slice(0, 5).map((c) => `${c.id} (${c.name}, ${c.status})`);
  return children.length > shown.length ? `${shown.join(', ')}, … (--json lists all)` : shown.join(', ');
}

/** 850 ms, 12.3 s, 4m 05s, 2h 03m; – while running. */
function fmtDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${String(Math.floor((ms % 60_000) / 1_000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
