import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/index.js';
import { Rng } from '../../src/ml/index.js';
import { ks2sampSorted, psiSorted, sortedPresent } from '../../src/monitoring/index.js';
import { callPython, findPython } from '../python.js';
import { formatTable, median, seconds, type Column } from '../report.js';

/**
 * SPEC.md §5's drift row: PSI + two-sample KS for 20 numeric columns, 1M reference rows
 * against 1M current rows (some columns shifted), by Keel (`sortedPresent` + `ks2sampSorted`
 * + `psiSorted`, one thread) and by NumPy/SciPy (`ks_2samp` + a NumPy PSI), on the same data:
 * written once to a binary file both sides read, reading not timed on either side. The
 * statistics of both are compared column by column, so a fast wrong answer cannot pass.
 */

const SCRIPT = join(packageRoot, 'bench', 'drift', 'scipy_bench.py');
/** NumPy's sort, searchsorted and bincount run on one thread; so does Keel here. */
const THREADS = 1;
const COLS = 20;

export interface DriftSuiteOptions {
  readonly quick: boolean;
  readonly keelOnly: boolean;
  readonly scale: number;
  readonly repeats: number;
  readonly log: (line: string) => void;
}

interface ColumnStatistics {
  readonly ks: number;
  readonly pValue: number;
  readonly psi: number;
}

export interface DriftRowResult {
  readonly id: string;
  readonly title: string;
  readonly rows: number;
  readonly cols: number;
  readonly keelSeconds: number;
  readonly scipySeconds: number | null;
  /** Keel ÷ SciPy; lower is better. */
  readonly ratio: number | null;
  /** Largest |Keel − SciPy| over the columns, per statistic. */
  readonly maxAbsDiff: { readonly ks: number; readonly pValue: number; readonly psi: number } | null;
  readonly shiftedColumns: number;
  /** Columns with KS p < 0.05 (Keel's answer). */
  readonly flaggedColumns: number;
  readonly target: number;
  readonly meetsTarget: boolean | null;
  readonly runs: { readonly keel: number[]; readonly scipy: number[] };
}

export interface DriftSuiteResult {
  readonly suite: 'drift';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } };
  readonly scipy: { python: string; numpy: string; scipy: string } | null;
  readonly rows: DriftRowResult[];
}

/** Column j's shift: every fourth column's mean moves by 0.02 sd, every fifth's sd by 2 %. */
function shiftOf(j: number): { mean: number; scale: number } {
  return { mean: j % 4 === 3 ? 0.02 : 0, scale: j % 5 === 4 ? 1.02 : 1 };
}

/**
 * The data, column-major: reference then current, COLS columns each of `rows` normal values
 * on different scales (some rounded to 2 decimals, so there are ties), from a fixed seed.
 */
function generate(rows: number): { reference: Float64Array[]; current: Float64Array[] } {
  const rng = new Rng(20260715);
  const sample = (j: number, shifted: boolean): Float64Array => {
    const { mean, scale } = shifted ? shiftOf(j) : { mean: 0, scale: 1 };
    const unit = 10 ** (j % 3);
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = (rng.nextNormal() * scale + mean) * unit;
      values[i] = j % 6 === 5 ? Math.round(v * 100) / 100 : v;
    }
    return values;
  };
  const reference = Array.from({ length: COLS }, (_, j) => sample(j, false));
  const current = Array.from({ length: COLS }, (_, j) => sample(j, true));
  return { reference, current };
}

function writeData(path: string, rows: number, reference: Float64Array[], current: Float64Array[]): void {
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.alloc(16);
    header.write('KEELDRFT', 0, 'latin1');
    header.writeUInt32LE(rows, 8);
    header.writeUInt32LE(COLS, 12);
    writeSync(fd, header);
    for (const column of [...reference, ...current]) writeSync(fd, new Uint8Array(column.buffer));
  } finally {
    closeSync(fd);
  }
}

/** Reads the file back as the Python side does, so both time the same numbers. */
function readData(path: string): { reference: Float64Array[]; current: Float64Array[] } {
  const file = readFileSync(path);
  if (file.toString('latin1', 0, 8) !== 'KEELDRFT') throw new Error(`${path} is not a drift benchmark file`);
  const rows = file.readUInt32LE(8);
  const cols = file.readUInt32LE(12);
  const column = (k: number) => {
    const values = new Float64Array(rows);
    new Uint8Array(values.buffer).set(file.subarray(16 + k * rows * 8, 16 + (k + 1) * rows * 8));
    return values;
  };
  return {
    reference: Array.from({ length: cols }, (_, j) => column(j)),
    current: Array.from({ length: cols }, (_, j) => column(cols + j)),
  };
}

/** Keel's side: per column, sort both samples once, then KS (merged walk) and PSI. */
function keelDrift(reference: Float64Array[], current: Float64Array[]): ColumnStatistics[] {
  return reference.map((ref, j) => {
    const a = sortedPresent(ref);
    const b = sortedPresent(current[j]);
    const ks = ks2sampSorted(a, b);
    return { ks: ks.statistic, pValue: ks.pValue, psi: psiSorted(a, b) };
  });
}

function maxAbsDiff(keel: readonly ColumnStatistics[], scipy: readonly ColumnStatistics[]) {
  const diff = (key: keyof ColumnStatistics) => Math.max(...keel.map((k, j) => Math.abs(k[key] - scipy[j][key])));
  return { ks: diff('ks'), pValue: diff('pValue'), psi: diff('psi') };
}

export async function runDriftSuite(options: DriftSuiteOptions): Promise<DriftSuiteResult> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const python = options.keelOnly ? null : findPython(['scipy', 'numpy'], options.log);
  const versions = python
    ? await callPython<{ python: string; numpy: string; scipy: string }>(python, SCRIPT, ['versions'], THREADS)
    : null;
  const rows = Math.max(100, Math.round((options.quick ? 100_000 : 1_000_000) * options.scale));
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-drift-'));
  const label = rows >= 1e6 ? `${rows / 1e6}M` : `${rows / 1e3}k`;
  const title = `PSI + KS, ${COLS} columns, ${label} vs ${label} rows`;
  try {
    const file = join(dir, 'drift.bin');
    options.log(`${title}: generating the data …`);
    const generated = generate(rows);
    writeData(file, rows, generated.reference, generated.current);
    const { reference, current } = readData(file);
    options.log(`${title} …`);
    const keelRuns: number[] = [];
    const scipyRuns: number[] = [];
    let keel: ColumnStatistics[] = [];
    let scipy: ColumnStatistics[] | null = null;
    for (let r = 0; r < options.repeats; r++) {
      const sides = r % 2 === 0 ? (['keel', 'scipy'] as const) : (['scipy', 'keel'] as const);
      for (const side of sides) {
        if (side === 'keel') {
          const started = performance.now();
          keel = keelDrift(reference, current);
          keelRuns.push((performance.now() - started) / 1000);
        } else if (python) {
          const run = await callPython<{ seconds: number; columns: ColumnStatistics[] }>(
            python,
            SCRIPT,
            ['drift', file],
            THREADS,
          );
          scipyRuns.push(run.seconds);
          scipy = run.columns;
        }
      }
    }
    const keelSeconds = median(keelRuns);
    const scipySeconds = python ? median(scipyRuns) : null;
    const ratio = scipySeconds === null ? null : keelSeconds / scipySeconds;
    const diff = scipy ? maxAbsDiff(keel, scipy) : null;
    const agrees = diff !== null && diff.ks <= 1e-9 && diff.pValue <= 1e-9 && diff.psi <= 1e-9;
    const target = 1;
    const row: DriftRowResult = {
      id: 'psi_ks_20_columns',
      title,
      rows,
      cols: COLS,
      keelSeconds,
      scipySeconds,
      ratio,
      maxAbsDiff: diff,
      shiftedColumns: Array.from({ length: COLS }, (_, j) => shiftOf(j)).filter((s) => s.mean !== 0 || s.scale !== 1)
        .length,
      flaggedColumns: keel.filter((k) => k.pValue < 0.05).length,
      target,
      meetsTarget: ratio === null ? null : ratio <= target && agrees,
      runs: { keel: keelRuns, scipy: scipyRuns },
    };
    return {
      suite: 'drift',
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverage: { start: loadAtStart, end: loadavg()[0] },
      },
      scipy: versions,
      rows: [row],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatDriftTable(result: DriftSuiteResult): string {
  const columns: Column<DriftRowResult>[] = [
    { header: 'row', cell: (r) => r.title },
    { header: 'Keel', cell: (r) => seconds(r.keelSeconds), align: 'right' },
    { header: 'SciPy', cell: (r) => seconds(r.scipySeconds), align: 'right' },
    { header: '×', cell: (r) => (r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`), align: 'right' },
    {
      header: 'same numbers (max |Δ| D, p, PSI)',
      cell: (r) =>
        r.maxAbsDiff === null
          ? '—'
          : [r.maxAbsDiff.ks, r.maxAbsDiff.pValue, r.maxAbsDiff.psi].map((d) => d.toExponential(1)).join(', '),
    },
    { header: 'KS p<0.05', cell: (r) => `${r.flaggedColumns} of ${r.cols} (${r.shiftedColumns} shifted)` },
    {
      header: 'target',
      cell: (r) => `≤ ${r.target.toFixed(1)}×${r.meetsTarget === null ? '' : r.meetsTarget ? ' ✓' : ' ✗'}`,
    },
  ];
  const reference = result.scipy
    ? `Keel vs SciPy ${result.scipy.scipy} (NumPy ${result.scipy.numpy}, Python ${result.scipy.python}), both one thread`
    : 'Keel only (--keel-only)';
  const { machine } = result;
  return [
    `Drift benchmark: ${reference}; computation only (reading the data not timed); median of ${result.rows[0]?.runs.keel.length ?? 0} interleaved runs`,
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end`,
    '',
    formatTable(columns, result.rows),
  ].join('\n');
}
