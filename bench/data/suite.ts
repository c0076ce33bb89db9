import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { packageRoot, type Table } from '../../src/core/index.js';
import { readCsvTable } from '../../src/data/index.js';
import { Rng } from '../../src/ml/index.js';
import { callPython, findPython } from '../python.js';
import { formatTable, median, seconds, type Column } from '../report.js';

/**
 * SPEC.md §5's ingest row: a CSV of 1M rows × 20 numeric columns read into the dense float64
 * matrix estimators train on, by Keel (`readCsvTable`: DuckDB parses and types the file, the
 * columns are interleaved row-major) and by pandas (`read_csv` then `to_numpy(float64)`), on the
 * same file, interleaved runs. Both matrices are compared cell by cell, so a fast wrong reader
 * cannot pass.
 */

const SCRIPT = join(packageRoot, 'bench', 'data', 'pandas_bench.py');
/** pandas' reader is single-threaded; DuckDB gets the same 2 threads as the ML suite. */
const THREADS = 2;

export interface DataSuiteOptions {
  readonly quick: boolean;
  readonly keelOnly: boolean;
  readonly scale: number;
  readonly repeats: number;
  readonly log: (line: string) => void;
}

export interface DataRowResult {
  readonly id: string;
  readonly title: string;
  readonly rows: number;
  readonly cols: number;
  readonly fileBytes: number;
  readonly keelSeconds: number;
  readonly pandasSeconds: number | null;
  /** Keel ÷ pandas; lower is better. */
  readonly ratio: number | null;
  /** Largest |Keel − pandas| over the cells, and whether missing cells (NaN) coincide. */
  readonly maxAbsDiff: number | null;
  readonly sameMissing: boolean | null;
  readonly target: number;
  readonly meetsTarget: boolean | null;
  readonly runs: { readonly keel: number[]; readonly pandas: number[] };
}

export interface DataSuiteResult {
  readonly suite: 'data';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } };
  readonly pandas: { python: string; pandas: string; numpy: string } | null;
  readonly rows: DataRowResult[];
}

const COLS = 20;
/** Every column gets about this share of blank fields, so missing values are part of the work. */
const MISSING_SHARE = 0.01;

/**
 * A CSV of `rows` × COLS: 16 float columns (normal values with six decimals, some blank) and
 * 4 integer columns, from a fixed seed.
 */
async function writeCsv(path: string, rows: number): Promise<number> {
  const rng = new Rng(20261201);
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string): Promise<void> => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${Array.from({ length: COLS }, (_, j) => `x${j}`).join(',')}\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const fields: string[] = [];
    for (let j = 0; j < COLS; j++) {
      if (j < 16) fields.push(rng.nextFloat() < MISSING_SHARE ? '' : (rng.nextNormal() * 10 ** (j % 4)).toFixed(6));
      else fields.push(String(rng.nextInt(1000) - 500));
    }
    chunk += `${fields.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** The numeric columns of a Table as one row-major float64 matrix (missing = NaN). */
function toMatrix(table: Table): Float64Array {
  const cols = table.columns.length;
  const data = new Float64Array(table.rows * cols);
  table.columns.forEach((column, j) => {
    if (column.kind !== 'number') throw new Error(`column ${column.name} was read as text`);
    const values = column.values;
    for (let i = 0; i < table.rows; i++) data[i * cols + j] = values[i];
  });
  return data;
}

function readMatrix(path: string): { rows: number; cols: number; data: Float64Array } {
  const file = readFileSync(path);
  if (file.toString('latin1', 0, 8) !== 'KEELMATX') throw new Error(`${path} is not a matrix file`);
  const rows = file.readUInt32LE(8);
  const cols = file.readUInt32LE(12);
  const data = new Float64Array(rows * cols);
  new Uint8Array(data.buffer).set(file.subarray(16));
  return { rows, cols, data };
}

function compare(keel: Float64Array, pandas: Float64Array): { maxAbsDiff: number; sameMissing: boolean } {
  if (keel.length !== pandas.length) return { maxAbsDiff: Infinity, sameMissing: false };
  let maxAbsDiff = 0;
  let sameMissing = true;
  for (let i = 0; i < keel.length; i++) {
    const a = keel[i];
    const b = pandas[i];
    if (Number.isNaN(a) || Number.isNaN(b)) sameMissing &&= Number.isNaN(a) && Number.isNaN(b);
    else maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - b));
  }
  return { maxAbsDiff, sameMissing };
}

export async function runDataSuite(options: DataSuiteOptions): Promise<DataSuiteResult> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const python = options.keelOnly ? null : findPython(['pandas', 'numpy'], options.log);
  const versions = python
    ? await callPython<{ python: string; pandas: string; numpy: string }>(python, SCRIPT, ['versions'], THREADS)
    : null;
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-data-'));
  const rows = Math.max(100, Math.round((options.quick ? 100_000 : 1_000_000) * options.scale));
  const results: DataRowResult[] = [];
  try {
    const csv = join(dir, 'table.csv');
    const matrixFile = join(dir, 'pandas.bin');
    const title = `CSV ${rows >= 1e6 ? `${rows / 1e6}M` : `${rows / 1e3}k`}×${COLS} → training matrix`;
    options.log(`${title}: writing the CSV …`);
    const fileBytes = await writeCsv(csv, rows);
    options.log(`${title} …`);
    const keelRuns: number[] = [];
    const pandasRuns: number[] = [];
    let keelMatrix: Float64Array | null = null;
    for (let r = 0; r < options.repeats; r++) {
      const sides = r % 2 === 0 ? (['keel', 'pandas'] as const) : (['pandas', 'keel'] as const);
      for (const side of sides) {
        if (side === 'keel') {
          keelMatrix = null; // let the previous run's arrays go before timing the next
          const started = performance.now();
          keelMatrix = toMatrix(await readCsvTable(csv));
          keelRuns.push((performance.now() - started) / 1000);
        } else if (python) {
          const run = await callPython<{ seconds: number }>(python, SCRIPT, ['read', csv, matrixFile], THREADS);
          pandasRuns.push(run.seconds);
        }
      }
    }
    const keelSeconds = median(keelRuns);
    const pandasSeconds = python ? median(pandasRuns) : null;
    const ratio = pandasSeconds === null ? null : keelSeconds / pandasSeconds;
    const agreement = python && keelMatrix ? compare(keelMatrix, readMatrix(matrixFile).data) : null;
    const target = 1;
    results.push({
      id: 'csv_to_matrix',
      title,
      rows,
      cols: COLS,
      fileBytes,
      keelSeconds,
      pandasSeconds,
      ratio,
      maxAbsDiff: agreement?.maxAbsDiff ?? null,
      sameMissing: agreement?.sameMissing ?? null,
      target,
      meetsTarget: ratio === null ? null : ratio <= target && agreement !== null && agreement.sameMissing,
      runs: { keel: keelRuns, pandas: pandasRuns },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    suite: 'data',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
    },
    pandas: versions,
    rows: results,
  };
}

export function formatDataTable(result: DataSuiteResult): string {
  const columns: Column<DataRowResult>[] = [
    { header: 'row', cell: (r) => r.title },
    { header: 'file', cell: (r) => `${(r.fileBytes / 2 ** 20).toFixed(0)} MiB`, align: 'right' },
    { header: 'Keel', cell: (r) => seconds(r.keelSeconds), align: 'right' },
    { header: 'pandas', cell: (r) => seconds(r.pandasSeconds), align: 'right' },
    { header: '×', cell: (r) => (r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`), align: 'right' },
    {
      header: 'same numbers',
      cell: (r) =>
        r.maxAbsDiff === null ? '—' : `max |Δ| ${r.maxAbsDiff.toExponential(1)}, missing ${r.sameMissing ? '=' : '≠'}`,
    },
    {
      header: 'target',
      cell: (r) => `≤ ${r.target.toFixed(1)}×${r.meetsTarget === null ? '' : r.meetsTarget ? ' ✓' : ' ✗'}`,
    },
  ];
  const reference = result.pandas
    ? `Keel vs pandas ${result.pandas.pandas} (numpy ${result.pandas.numpy}, Python ${result.pandas.python})`
    : 'Keel only (--keel-only)';
  const { machine } = result;
  return [
    `Data benchmark: ${reference}; median of ${result.rows[0]?.runs.keel.length ?? 0} interleaved runs`,
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end`,
    '',
    formatTable(columns, result.rows),
  ].join('\n');
}
