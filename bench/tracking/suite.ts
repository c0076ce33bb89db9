import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Rng } from '../../src/ml/index.js';
import { openMetadataStore, type MetadataStore, type RecordedRun } from '../../src/store/index.js';
import { parseRunFilter, parseRunOrder, searchRuns, type RunSearchRequest } from '../../src/tracking/index.js';
import { formatTable, median, type Column } from '../report.js';
import { explainSearch, type SearchPlanSummary } from './explain.js';

/**
 * Run search at scale: 100k runs (5 params, 5 metrics — one a 5-step series — and 3 tags each)
 * written through the store's `createRuns` in batches, then typical searches (a filter, a sort,
 * a page of 100) timed through `searchRuns`, parsing and assembling the runs included. Each row
 * reports the median milliseconds per query and whether the database's plan for it reads only
 * indexes or scans a table — on SQLite, and on PostgreSQL when it is reachable
 * (`KEEL_BENCH_POSTGRES_URL`, default the test database; `off` skips it).
 */

export interface TrackingSuiteOptions {
  readonly quick: boolean;
  readonly scale: number;
  readonly repeats: number;
  readonly log: (line: string) => void;
}

export interface TrackingQueryResult {
  readonly id: string;
  readonly request: RunSearchRequest;
  /** Runs on the page (at most the limit). */
  readonly returned: number;
  readonly medianMs: number;
  readonly runsMs: number[];
  readonly plan: SearchPlanSummary;
}

export interface TrackingBackendResult {
  readonly backend: 'sqlite' | 'postgres';
  readonly location: string;
  readonly runs: number;
  readonly loadSeconds: number;
  readonly queries: TrackingQueryResult[];
}

export interface TrackingSuiteResult {
  readonly suite: 'tracking';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } };
  readonly backends: TrackingBackendResult[];
}

const BATCH = 1_000;
const EXPERIMENTS = 20;
const ALGORITHMS = ['random_forest', 'logistic_regression', 'decision_tree', 'hist_gradient_boosting', 'knn'];
const OWNERS = ['ana', 'bo', 'chen', 'dee'];
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 0, 1);
/** Runs start over 100 days, in creation order. */
const SPAN_DAYS = 100;

/** The searches timed, as a user would type them. Times refer to the generated 100-day span. */
function searches(): Array<{ id: string; request: RunSearchRequest }> {
  const day90 = new Date(START + 90 * DAY_MS).toISOString();
  return [
    { id: 'top_metric', request: { filter: 'metrics.roc_auc > 0.9', orderBy: 'metrics.roc_auc DESC' } },
    {
      id: 'param_and_metric',
      request: {
        filter: "params.algorithm = 'random_forest' and metrics.roc_auc > 0.8",
        orderBy: 'metrics.roc_auc DESC',
      },
    },
    {
      // About 0.1% of the runs: too few for the window, so the param's index finds them.
      id: 'selective_param',
      request: { filter: "params.learning_rate = '0.5'", orderBy: 'metrics.roc_auc DESC' },
    },
    { id: 'status_newest', request: { filter: "attributes.status = 'failed'" } },
    {
      id: 'tag_and_time',
      request: {
        filter: `tags.owner = 'ana' and attributes.start_time >= '${day90}'`,
        orderBy: 'attributes.start_time DESC',
      },
    },
    {
      id: 'experiment_metric',
      request: { experiment: 'exp-07', filter: 'metrics.f1 > 0.7', orderBy: 'metrics.f1 DESC' },
    },
    {
      id: 'or_in',
      request: {
        filter: "params.algorithm IN ('knn', 'decision_tree') or metrics.accuracy >= 0.94",
        orderBy: 'attributes.start_time DESC',
      },
    },
    { id: 'name_like', request: { filter: "attributes.name LIKE 'knn-12%'" } },
    { id: 'sort_only', request: { orderBy: 'metrics.log_loss' } },
    { id: 'newest', request: {} },
  ].map(({ id, request }) => ({ id, request: { ...request, limit: 100 } }));
}

/** Deterministic runs `from` … `from + count − 1`. */
function generateRuns(rng: Rng, from: number, count: number, total: number): RecordedRun[] {
  const runs: RecordedRun[] = [];
  for (let i = from; i < from + count; i++) {
    const algorithm = ALGORITHMS[rng.nextInt(ALGORITHMS.length)];
    const auc = 0.5 + 0.45 * rng.nextFloat();
    const startedAt = START + Math.floor((i / total) * SPAN_DAYS * DAY_MS);
    const fitSeconds = 0.1 + 30 * rng.nextFloat();
    const roll = rng.nextFloat();
    const status = roll < 0.9 ? 'finished' : roll < 0.98 ? 'failed' : 'running';
    runs.push({
      experiment: `exp-${String(i % EXPERIMENTS).padStart(2, '0')}`,
      name: `${algorithm}-${i}`,
      status,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: status === 'running' ? null : new Date(startedAt + fitSeconds * 1000).toISOString(),
      params: {
        algorithm,
        max_depth: 2 + rng.nextInt(19),
        learning_rate: Math.round(rng.nextFloat() * 1000) / 1000,
        n_estimators: [50, 100, 200, 500][rng.nextInt(4)],
        seed: i,
      },
      metrics: [
        { key: 'roc_auc', value: auc },
        { key: 'accuracy', value: 0.5 + 0.45 * rng.nextFloat() },
        { key: 'f1', value: rng.nextFloat() },
        { key: 'fit_seconds', value: fitSeconds },
        // A training curve: five steps of loss, the last one the run's log_loss.
        ...[0, 1, 2, 3, 4].map((step) => ({ key: 'log_loss', value: (1 - auc) * (1 + (4 - step) / 4), step })),
      ],
      tags: { owner: OWNERS[rng.nextInt(OWNERS.length)], 'keel.step': 'train', stage: roll < 0.5 ? 'dev' : 'prod' },
    });
  }
  return runs;
}

/** Writes `total` generated runs in batches of 1,000; returns the seconds it took. */
export async function writeRuns(store: MetadataStore, total: number, log: (line: string) => void): Promise<number> {
  const rng = new Rng(20261205);
  const started = performance.now();
  for (let from = 0; from < total; from += BATCH) {
    await store.createRuns(generateRuns(rng, from, Math.min(BATCH, total - from), total));
    if ((from / BATCH) % 20 === 19) log(`  ${from + BATCH} runs …`);
  }
  return (performance.now() - started) / 1000;
}

async function timeQueries(
  store: MetadataStore,
  explain: (request: RunSearchRequest) => Promise<SearchPlanSummary>,
  repeats: number,
): Promise<TrackingQueryResult[]> {
  const results: TrackingQueryResult[] = [];
  for (const { id, request } of searches()) {
    const warm = await searchRuns(store, request);
    const runsMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await searchRuns(store, request);
      runsMs.push(performance.now() - t0);
    }
    results.push({
      id,
      request,
      returned: warm.runs.length,
      medianMs: median(runsMs),
      runsMs,
      plan: await explain(request),
    });
  }
  return results;
}

async function benchBackend(
  backend: 'sqlite' | 'postgres',
  url: string,
  location: string,
  total: number,
  repeats: number,
  log: (line: string) => void,
  afterLoad: () => Promise<unknown> = async () => undefined,
): Promise<TrackingBackendResult> {
  const store = await openMetadataStore(url);
  try {
    log(`${backend}: writing ${total.toLocaleString('en-US')} runs …`);
    const loadSeconds = await writeRuns(store, total, log);
    await afterLoad();
    log(`${backend}: ${loadSeconds.toFixed(1)} s to write; timing searches …`);
    const queries = await timeQueries(
      store,
      (request) =>
        explainSearch(url, {
          ...(request.experiment ? { experiment: request.experiment } : {}),
          filter: request.filter ? parseRunFilter(request.filter) : undefined,
          orderBy: request.orderBy ? parseRunOrder(request.orderBy) : undefined,
          limit: request.limit,
        }),
      repeats,
    );
    return { backend, location, runs: total, loadSeconds, queries };
  } finally {
    await store.close();
  }
}

export async function runTrackingSuite(options: TrackingSuiteOptions): Promise<TrackingSuiteResult> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const total = Math.max(200, Math.round((options.quick ? 10_000 : 100_000) * options.scale));
  const repeats = Math.max(5, options.repeats * 5);
  const backends: TrackingBackendResult[] = [];

  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-tracking-'));
  try {
    const file = join(dir, 'keel.db');
    backends.push(await benchBackend('sqlite', `sqlite://${file}`, 'SQLite file', total, repeats, options.log));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const baseUrl = process.env.KEEL_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (baseUrl !== 'off' && baseUrl !== '' && (await reachable(baseUrl))) {
    const schema = `keel_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    const url = new URL(baseUrl);
    url.searchParams.set('schema', schema);
    try {
      backends.push(
        await benchBackend(
          'postgres',
          url.toString(),
          `PostgreSQL (${new URL(baseUrl).host})`,
          total,
          repeats,
          options.log,
          () =>
            // What autovacuum does after a bulk load, done now so the plans do not depend on its timing.
            withClient(baseUrl, (client) =>
              client.query(
                `analyze "${schema}".runs, "${schema}".run_params, "${schema}".run_latest_metrics, "${schema}".run_tags`,
              ),
            ),
        ),
      );
    } finally {
      await withClient(baseUrl, (client) => client.query(`drop schema if exists "${schema}" cascade`));
    }
  } else {
    options.log('postgres: not reachable (set KEEL_BENCH_POSTGRES_URL), skipped');
  }

  return {
    suite: 'tracking',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
    },
    backends,
  };
}

async function reachable(url: string): Promise<boolean> {
  try {
    await withClient(url, (client) => client.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function formatTrackingTable(result: TrackingSuiteResult): string {
  const { machine } = result;
  const lines = [
    `Tracking benchmark: run search, page of 100, median of ${result.backends[0]?.queries[0]?.runsMs.length ?? 0} runs per query`,
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end`,
  ];
  for (const backend of result.backends) {
    const columns: Column<TrackingQueryResult>[] = [
      { header: 'query', cell: (q) => describe(q.request) },
      { header: 'runs', cell: (q) => String(q.returned), align: 'right' },
      { header: 'median', cell: (q) => `${q.medianMs.toFixed(1)} ms`, align: 'right' },
      { header: 'plan', cell: (q) => q.plan.strategy },
      { header: 'index used', cell: (q) => accessText(q.plan) },
    ];
    lines.push(
      '',
      `${backend.location}: ${backend.runs.toLocaleString('en-US')} runs written in ${backend.loadSeconds.toFixed(1)} s`,
      formatTable(columns, backend.queries),
    );
  }
  return lines.join('\n');
}

function accessText(plan: SearchPlanSummary): string {
  if (plan.access === 'index') return 'yes';
  if (plan.access === 'ordered-scan') return 'yes (walks runs newest first, stops early)';
  return `no (scans ${[...new Set(plan.scans)].join(', ')})`;
}

function describe(request: RunSearchRequest): string {
  return (
    [
      request.experiment ? `experiment ${request.experiment}` : '',
      request.filter ?? '',
      request.orderBy ? `ORDER BY ${String(request.orderBy)}` : '',
    ]
      .filter(Boolean)
      .join(' · ') || '(all, newest first)'
  );
}
