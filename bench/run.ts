import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/core/index.js';
import { closeSharedWorkerPool } from '../src/ml/index.js';
import { formatDataTable, runDataSuite } from './data/suite.js';
import { formatDriftTable, runDriftSuite } from './drift/suite.js';
import { formatMlTable, runMlSuite } from './ml/suite.js';
import { formatServingTable, runServingSuite } from './serving/suite.js';
import { formatTrackingTable, runTrackingSuite } from './tracking/suite.js';
import { writeResults } from './report.js';

/**
 * `npm run bench [-- <suite>…] [options]`: runs benchmark suites by name (all by default),
 * prints each one's table on stdout (progress goes to stderr) and writes its results to
 * bench/results/<suite>-<timestamp>.json.
 */

const USAGE = `usage: npm run bench -- [suite…] [options]

suites: ml, data, tracking, serving, drift (default: all)

options:
  --quick          smaller sizes and a single run, for a smoke test
  --keel-only      time Keel alone, without Python (scikit-learn, pandas, SciPy)
  --scale <f>      multiply every row count by f (after --quick)
  --repeats <n>    runs per side, interleaved (default 3, or 1 with --quick; serving's HTTP rows at least 5)
  --only <names>   ml: only the rows of these estimators, comma-separated (e.g. decision_tree,logistic_regression)
  --out <dir>      where to write the JSON results (default bench/results)
  --help`;

export interface BenchOptions {
  readonly suites: string[];
  readonly quick: boolean;
  readonly keelOnly: boolean;
  readonly scale: number;
  readonly repeats: number;
  readonly only: string[];
  readonly out: string;
}

interface Suite {
  run(options: BenchOptions, log: (line: string) => void): Promise<{ table: string; results: unknown }>;
}

const suites: Record<string, Suite> = {
  ml: {
    async run(options, log) {
      const results = await runMlSuite({ ...options, log });
      return { table: formatMlTable(results), results };
    },
  },
  data: {
    async run(options, log) {
      const results = await runDataSuite({ ...options, log });
      return { table: formatDataTable(results), results };
    },
  },
  tracking: {
    async run(options, log) {
      const results = await runTrackingSuite({ ...options, log });
      return { table: formatTrackingTable(results), results };
    },
  },
  serving: {
    async run(options, log) {
      const results = await runServingSuite({ ...options, log });
      return { table: formatServingTable(results), results };
    },
  },
  drift: {
    async run(options, log) {
      const results = await runDriftSuite({ ...options, log });
      return { table: formatDriftTable(results), results };
    },
  },
};

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  const named: string[] = [];
  let quick = false;
  let keelOnly = false;
  let scale = 1;
  let repeats: number | null = null;
  let only: string[] = [];
  let out = join(packageRoot, 'bench', 'results');
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--quick') quick = true;
    else if (arg === '--keel-only') keelOnly = true;
    else if (arg === '--scale') scale = Number(value(i++, arg));
    else if (arg === '--repeats') repeats = Number(value(i++, arg));
    else if (arg === '--only') only = value(i++, arg).split(',').filter(Boolean);
    else if (arg === '--out') out = resolve(value(i++, arg));
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else named.push(arg);
  }
  const unknown = named.filter((name) => !Object.hasOwn(suites, name));
  if (unknown.length > 0)
    throw new UsageError(`unknown suite ${unknown.join(', ')}; suites are ${Object.keys(suites).join(', ')}`);
  if (!(scale > 0)) throw new UsageError('--scale must be a number > 0');
  const runs = repeats ?? (quick ? 1 : 3);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new UsageError('--repeats must be an integer ≥ 1');
  return { suites: named.length > 0 ? named : Object.keys(suites), quick, keelOnly, scale, repeats: runs, only, out };
}

/** Runs the benchmark; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  try {
    for (const name of options.suites) {
      const { table, results } = await suites[name].run(options, log);
      console.log(`${table}\n`);
      console.log(`results: ${writeResults(options.out, name, results)}`);
    }
    return 0;
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await closeSharedWorkerPool();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
