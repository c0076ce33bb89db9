import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, packageRoot, rowAt, workspaceConfig } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { openWorkspace } from '../../src/server/index.js';
import { formatTable, median, type Column } from '../report.js';
import { measureTreePredict, type TreePredictResult } from './tree-predict.js';
import { findWrk, runWrk, wrkVersion, type WrkRun } from './wrk.js';

/**
 * SPEC.md §5's serving rows, measured side by side on this machine:
 * (a) single-row predict throughput over HTTP: `keel server` on the churn endpoint (the churn
 *     lifecycle run into a temp KEEL_HOME) against a bare `node:http` server answering a real
 *     Keel response body, each one process on 127.0.0.1, both loaded by wrk with the same
 *     settings (1 thread, the same connections and duration, no pipelining), in alternating runs;
 * (b) Keel's latency p50/p99 under a rate-limited load of half its measured maximum (medians of
 *     runs alternating with the bare server under the same load);
 * (c) µs per row of Keel's tree-ensemble predictor against onnxruntime-node on Keel's own ONNX
 *     export of the same model, at batch 1 and 1024 (see tree-predict.ts for what each side
 *     includes).
 */

export interface ServingSuiteOptions {
  readonly quick: boolean;
  readonly scale: number;
  readonly repeats: number;
  readonly log: (line: string) => void;
}

export interface ThroughputResult {
  readonly keelRps: number;
  readonly bareRps: number;
  /** Keel ÷ bare node:http; higher is better. */
  readonly ratio: number;
  readonly target: number;
  readonly meetsTarget: boolean;
  readonly runs: { readonly keel: WrkRun[]; readonly bare: WrkRun[] };
  readonly responseBytes: number;
}

export interface LatencyResult {
  readonly targetRps: number;
  readonly achievedRps: number;
  readonly connections: number;
  readonly delayMs: number;
  readonly p50Ms: number;
  /** Median of the runs' p99s; the lowest and highest beside it. */
  readonly p99Ms: number;
  readonly p99RangeMs: readonly [number, number];
  /** Failed requests over all the runs. */
  readonly errors: number;
  readonly targetP99Ms: number;
  readonly meetsTarget: boolean;
  /** The bare server under the same load: what the machine and the load generator add by themselves. */
  readonly bare: { readonly achievedRps: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly runs: { readonly keel: WrkRun[]; readonly bare: WrkRun[] };
}

/**
 * What monitoring (windowed software metrics, drift counts of every served row) costs serving:
 * the same rate-limited load on `keel server` and on `keel server --no-monitoring`, in
 * alternating runs, p50 against p50.
 */
export interface MonitoringOverheadResult {
  readonly connections: number;
  readonly delayMs: number;
  readonly onP50Ms: number;
  readonly offP50Ms: number;
  /** on ÷ off − 1: the share monitoring adds to the median latency. */
  readonly overhead: number;
  readonly target: number;
  readonly meetsTarget: boolean;
  readonly runs: { readonly on: WrkRun[]; readonly off: WrkRun[] };
}

export interface ServingSuiteResult {
  readonly suite: 'serving';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } };
  readonly loadGenerator: {
    readonly tool: 'wrk';
    readonly version: string;
    readonly threads: 1;
    readonly connections: number;
    readonly seconds: number;
    readonly pipelining: false;
  };
  readonly throughput: ThroughputResult;
  readonly latency: LatencyResult;
  readonly monitoring: MonitoringOverheadResult;
  readonly trees: TreePredictResult[];
}

/** Runs per side of the HTTP sections (throughput, monitoring overhead) outside --quick. */
const MIN_HTTP_REPEATS = 5;
/** Connections of the throughput runs: enough to keep a one-process server busy. */
const CONNECTIONS = 32;
/**
 * In the rate-limited runs, each connection waits this long after an answer. Short: wrk's timers
 * add their own jitter, and with 10 ms pauses over ~70 connections the bare server alone showed
 * a p99 of 4–5 ms; with 2 ms over ~20 connections its p99 is about 1.3 ms, so the row measures
 * the server rather than the load generator.
 */
const LATENCY_DELAY_MS = 2;

export async function runServingSuite(options: ServingSuiteOptions): Promise<ServingSuiteResult> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const wrk = findWrk(log);
  const seconds = options.quick ? 1 : 10;
  // One 10 s HTTP run varies by ±15% on a shared 2-core machine: the medians take at least five.
  const httpRepeats = options.quick ? options.repeats : Math.max(options.repeats, MIN_HTTP_REPEATS);
  const home = mkdtempSync(join(tmpdir(), 'keel-bench-serving-'));
  const children: ChildProcess[] = [];
  try {
    log('serving: running the churn lifecycle into a temp workspace …');
    const body = await churnWorkspace(home);
    const keel = await startProcess(
      children,
      [join(packageRoot, 'dist', 'src', 'cli', 'main.js'), 'server', '--port', '0'],
      home,
    );
    const keelUrl = `${keel}/v1/endpoints/churn/predict`;
    const answer = await fetch(keelUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!answer.ok) throw new Error(`Keel answered the sample request with ${answer.status}: ${await answer.text()}`);
    const responseBody = await answer.text();
    const bodyFile = join(home, 'response.json');
    writeFileSync(bodyFile, responseBody);
    const bare = await startProcess(
      children,
      [join(packageRoot, 'dist', 'bench', 'serving', 'bare-server.js'), bodyFile],
      home,
    );

    // (a) Alternating runs, each after a short warm-up of the same server.
    const load = { body, connections: CONNECTIONS, seconds };
    const runs = await alternating(httpRepeats, ['keel', 'bare'], async (side) => {
      const url = side === 'keel' ? keelUrl : bare;
      await runWrk(wrk, home, { ...load, url, seconds: 1 });
      const run = await runWrk(wrk, home, { ...load, url });
      if (run.errors > 0) throw new Error(`${side}: ${run.errors} failed requests in a throughput run`);
      log(`serving: ${side} ${run.requestsPerSecond.toFixed(0)} req/s (p50 ${run.p50Ms.toFixed(2)} ms)`);
      return run;
    });
    const keelRps = median(runs.keel.map((r) => r.requestsPerSecond));
    const bareRps = median(runs.bare.map((r) => r.requestsPerSecond));
    const throughput: ThroughputResult = {
      keelRps,
      bareRps,
      ratio: keelRps / bareRps,
      target: 0.5,
      meetsTarget: keelRps / bareRps >= 0.5,
      runs,
      responseBytes: Buffer.byteLength(responseBody),
    };

    // (b) Half of Keel's maximum, as connections that each pause between requests.
    const targetRps = keelRps / 2;
    const connections = await calibrateConnections(targetRps, (c) =>
      runWrk(wrk, home, { url: keelUrl, body, connections: c, seconds: 2, delayMs: LATENCY_DELAY_MS }),
    );
    log(`serving: ${connections} connections pausing ${LATENCY_DELAY_MS} ms give about ${targetRps.toFixed(0)} req/s`);
    // Alternating runs with the bare server under the same load, medians: one 10 s run's p99 moves
    // by milliseconds when the host is busy for part of it.
    const latencyRuns = await alternating(httpRepeats, ['keel', 'bare'], async (side) => {
      const url = side === 'keel' ? keelUrl : bare;
      const run = await runWrk(wrk, home, { url, body, connections, seconds, delayMs: LATENCY_DELAY_MS });
      log(`serving: ${side} at ${run.requestsPerSecond.toFixed(0)} req/s: p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`);
      return run;
    });
    const p99Ms = median(latencyRuns.keel.map((r) => r.p99Ms));
    const errors = latencyRuns.keel.reduce((sum, r) => sum + r.errors, 0);
    const latency: LatencyResult = {
      targetRps,
      achievedRps: median(latencyRuns.keel.map((r) => r.requestsPerSecond)),
      connections,
      delayMs: LATENCY_DELAY_MS,
      p50Ms: median(latencyRuns.keel.map((r) => r.p50Ms)),
      p99Ms,
      p99RangeMs: range(latencyRuns.keel.map((r) => r.p99Ms)),
      errors,
      targetP99Ms: 5,
      meetsTarget: errors === 0 && p99Ms <= 5,
      bare: {
        achievedRps: median(latencyRuns.bare.map((r) => r.requestsPerSecond)),
        p50Ms: median(latencyRuns.bare.map((r) => r.p50Ms)),
        p99Ms: median(latencyRuns.bare.map((r) => r.p99Ms)),
      },
      runs: latencyRuns,
    };
    // (d) Monitoring's cost: the same load on a second server without it, alternating.
    const unmonitored = await startProcess(
      children,
      [join(packageRoot, 'dist', 'src', 'cli', 'main.js'), 'server', '--port', '0', '--no-monitoring'],
      home,
    );
    const overheadRuns = await alternating(httpRepeats, ['on', 'off'], async (side) => {
      const url = side === 'on' ? keelUrl : `${unmonitored}/v1/endpoints/churn/predict`;
      await runWrk(wrk, home, { url, body, connections, seconds: 1, delayMs: LATENCY_DELAY_MS });
      const run = await runWrk(wrk, home, { url, body, connections, seconds, delayMs: LATENCY_DELAY_MS });
      log(`serving: monitoring ${side}: p50 ${run.p50Ms} ms at ${run.requestsPerSecond.toFixed(0)} req/s`);
      return run;
    });
    const onP50Ms = median(overheadRuns.on.map((r) => r.p50Ms));
    const offP50Ms = median(overheadRuns.off.map((r) => r.p50Ms));
    const monitoring: MonitoringOverheadResult = {
      connections,
      delayMs: LATENCY_DELAY_MS,
      onP50Ms,
      offP50Ms,
      overhead: onP50Ms / offP50Ms - 1,
      target: 0.1,
      meetsTarget: onP50Ms / offP50Ms - 1 <= 0.1,
      runs: overheadRuns,
    };
    await stopAll(children);

    // (c) The tree-ensemble predictors against ONNX Runtime, with no server running.
    const trees = await measureTreePredict({
      trainRows: Math.max(500, Math.round((options.quick ? 5_000 : 20_000) * options.scale)),
      batches: [1, 1024],
      minTimeMs: options.quick ? 20 : 1_000,
      repeats: options.repeats,
      log,
    });

    return {
      suite: 'serving',
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverage: { start: loadAtStart, end: loadavg()[0] },
      },
      loadGenerator: {
        tool: 'wrk',
        version: wrkVersion(wrk),
        threads: 1,
        connections: CONNECTIONS,
        seconds,
        pipelining: false,
      },
      throughput,
      latency,
      monitoring,
      trees,
    };
  } finally {
    await stopAll(children);
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * `repeats` runs of each of two sides, in alternating order (a b, b a, …), so that a stretch of
 * host noise falls on both: each side's runs, in order.
 */
async function alternating<Side extends string>(
  repeats: number,
  sides: readonly [Side, Side],
  run: (side: Side) => Promise<WrkRun>,
): Promise<Record<Side, WrkRun[]>> {
  const runs = { [sides[0]]: [], [sides[1]]: [] } as unknown as Record<Side, WrkRun[]>;
  for (let r = 0; r < repeats; r++) {
    for (const side of r % 2 === 0 ? sides : [sides[1], sides[0]]) runs[side].push(await run(side));
  }
  return runs;
}

/**
 * The connections that, each pausing between requests, load the server at about `targetRps`:
 * the rate of a closed loop depends on the latency it meets, so it is probed and corrected
 * (a few 2 s runs) rather than computed.
 */
async function calibrateConnections(
  targetRps: number,
  probe: (connections: number) => Promise<WrkRun>,
): Promise<number> {
  let connections = Math.max(1, Math.round((targetRps * (LATENCY_DELAY_MS + 1)) / 1000));
  for (let attempt = 0; attempt < 4; attempt++) {
    const run = await probe(connections);
    const ratio = targetRps / run.requestsPerSecond;
    if (Math.abs(ratio - 1) < 0.08) break;
    connections = Math.max(1, Math.round(connections * ratio));
  }
  return connections;
}

/** Runs the churn example into `home` and returns a one-row request body of its first customer. */
async function churnWorkspace(home: string): Promise<string> {
  const ws = await openWorkspace(workspaceConfig({ KEEL_HOME: home }));
  try {
    const result = await runProject(loadProject(join(packageRoot, 'examples', 'churn')), ws, { actor: 'bench' });
    const version = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
    if (!version) throw new Error('the churn dataset version is missing');
    const table = await readTable(await ws.artifacts.localPath(version.artifact));
    return JSON.stringify({ instances: [rowAt(table, 0, ['Churn'])] });
  } finally {
    await ws.close();
  }
}

/** Starts `node args…` and resolves with the URL it prints once listening. */
function startProcess(children: ChildProcess[], args: string[], home: string): Promise<string> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, KEEL_HOME: home, KEEL_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /listening on (http:\/\/[\d.:]+)/.exec(stdout);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${stderr.trim()}`)));
  });
}

/** SIGTERM to every child still running (Keel drains and flushes its prediction log), then waits. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

const range = (values: readonly number[]): [number, number] => [Math.min(...values), Math.max(...values)];

interface TableRow {
  readonly row: string;
  readonly keel: string;
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
}

export function formatServingTable(result: ServingSuiteResult): string {
  const { throughput: t, latency: l, machine, loadGenerator: g } = result;
  const mark = (ok: boolean): string => (ok ? ' ✓' : ' ✗');
  const rows: TableRow[] = [
    {
      row: 'single-row predict over HTTP (churn), req/s',
      keel: count(t.keelRps),
      reference: `${count(t.bareRps)} (bare node:http)`,
      ratio: `${t.ratio.toFixed(2)}×`,
      target: `≥ ${t.target}×${mark(t.meetsTarget)}`,
    },
    {
      row: `latency at half of max (${count(l.achievedRps)} req/s)`,
      keel: `p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms (${l.p99RangeMs[0].toFixed(1)}–${l.p99RangeMs[1].toFixed(1)})`,
      reference: `p50 ${l.bare.p50Ms.toFixed(2)} ms, p99 ${l.bare.p99Ms.toFixed(2)} ms (bare, same load)`,
      ratio: '',
      target: `p99 ≤ ${l.targetP99Ms} ms${mark(l.meetsTarget)}`,
    },
    {
      row: `monitoring overhead on p50 (same load, --no-monitoring)`,
      keel: `p50 ${result.monitoring.onP50Ms.toFixed(3)} ms`,
      reference: `p50 ${result.monitoring.offP50Ms.toFixed(3)} ms (no monitoring)`,
      ratio: `${result.monitoring.overhead >= 0 ? '+' : ''}${(result.monitoring.overhead * 100).toFixed(1)}%`,
      target: `≤ +${result.monitoring.target * 100}%${mark(result.monitoring.meetsTarget)}`,
    },
    ...result.trees.map((r): TableRow => ({
      row: `${r.title}, batch ${r.batch}, µs/row`,
      keel: r.keelUsPerRow.toFixed(2),
      reference: `${r.onnxUsPerRow.toFixed(2)} (onnxruntime-node)`,
      ratio: `${r.ratio.toFixed(2)}×`,
      target: `≤ ${r.target.toFixed(1)}×${mark(r.meetsTarget)}`,
    })),
  ];
  const columns: Column<TableRow>[] = [
    { header: 'row (SPEC.md §5)', cell: (r) => r.row },
    { header: 'Keel', cell: (r) => r.keel, align: 'right' },
    { header: 'reference', cell: (r) => r.reference, align: 'right' },
    { header: '×', cell: (r) => r.ratio, align: 'right' },
    { header: 'target', cell: (r) => r.target },
  ];
  const maxDiff = Math.max(...result.trees.map((r) => r.maxAbsDiff));
  return [
    `Serving benchmark: wrk ${g.version}, ${g.threads} thread, ${g.connections} connections, ${g.seconds} s per run, no pipelining; ` +
      `median of ${t.runs.keel.length} alternating runs; response ${t.responseBytes} bytes on both servers`,
    `Latency runs: ${l.connections} connections, each pausing ${l.delayMs} ms between requests (target ${count(l.targetRps)} req/s); ` +
      `medians of ${l.runs.keel.length} runs alternating with the bare server, Keel's p99 range in brackets`,
    `Trees: Keel's predictProba on the feature matrix vs one session.run of the whole exported graph; max |Δ| ${maxDiff.toExponential(1)}`,
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end`,
    '',
    formatTable(columns, rows),
  ].join('\n');
}
