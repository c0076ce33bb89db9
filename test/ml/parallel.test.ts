import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { growForestTrees, type ForestGrowthInput } from '../../src/ml/ensemble/forest-growth.js';
import { WorkerPool, closeSharedWorkerPool, resolveJobs, sharedWorkerPool, type TaskName } from '../../src/ml/index.js';
import { sharedArray } from '../../src/ml/parallel/shared-memory.js';
import { Rng } from '../../src/ml/random.js';
import { presortColumns } from '../../src/ml/tree/grow-tree.js';
import { expectKeelError } from './helpers.js';

// Vitest runs the TypeScript sources; the workers run the compiled dist/ copy (npm run build:lib).

const pools: WorkerPool[] = [];
const newPool = (maxWorkers: number): WorkerPool => {
  const pool = new WorkerPool({ maxWorkers });
  pools.push(pool);
  return pool;
};

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await closeSharedWorkerPool();
});

describe('WorkerPool', () => {
  it('starts workers lazily, runs tasks on them and keeps them for the next tasks', async () => {
    const pool = newPool(2);
    expect(pool.size).toBe(0);
    expect(await pool.run('pool.echo', { hello: 'worker', n: [1, 2] })).toEqual({ hello: 'worker', n: [1, 2] });
    expect(pool.size).toBe(1);
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.run('pool.echo', n)));
    expect(outputs).toEqual([1, 2, 3, 4, 5]);
    expect(pool.size).toBe(2);
  });

  it('warm() starts workers ahead of tasks, within maxWorkers', async () => {
    const pool = newPool(2).warm(5);
    expect(pool.size).toBe(2);
    expect(await Promise.all([pool.run('pool.echo', 'a'), pool.run('pool.echo', 'b')])).toEqual(['a', 'b']);
    expect(pool.size).toBe(2);
  });

  it('shares SharedArrayBuffer memory, copies other typed arrays, and moves them on request', async () => {
    const pool = newPool(1);
    const shared = sharedArray(Float64Array, 4);
    const echoed = (await pool.run('pool.echo', shared)) as Float64Array;
    shared[2] = 42;
    expect(echoed[2]).toBe(42); // the same memory
    const copied = new Float64Array([1, 2, 3]);
    expect(await pool.run('pool.echo', copied)).toEqual(copied);
    const moved = new Float64Array([4, 5]);
    expect(await pool.run('pool.echo', moved, { transfer: [moved.buffer] })).toEqual(new Float64Array([4, 5]));
    expect(moved.length).toBe(0); // detached: it now belongs to the worker
  });

  it('rejects with the worker’s error: message, and for a KeelError its code and details', async () => {
    const pool = newPool(1);
    const plain = await pool.run('pool.fail', { message: 'disk on fire' }).catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(Error);
    expect((plain as Error).message).toBe('disk on fire');
    expect((plain as Error).stack).toContain('<worker thread>');
    await expectKeelError(
      () => pool.run('pool.fail', { message: 'bad rows', code: 'invalid_data' }),
      'invalid_data',
      { task: 'pool.fail' },
      /^bad rows$/,
    );
    await expectKeelError(
      () => pool.run('no.such.task' as TaskName, undefined as never),
      'invalid_argument',
      { field: 'task' },
      /worker has no task "no.such.task"/,
    );
    // The worker survives its tasks' errors.
    expect(await pool.run('pool.echo', 'still here')).toBe('still here');
    expect(pool.size).toBe(1);
  });

  it('rejects an input that cannot cross threads without losing the worker', async () => {
    const pool = newPool(1);
    await expect(pool.run('pool.echo', { callback: () => 1 })).rejects.toThrow(/could not be cloned/);
    expect(await pool.run('pool.echo', 7)).toBe(7);
  });

  it('rejects the running task when its worker dies, and starts a new worker for the next', async () => {
    const missing = new WorkerPool({ maxWorkers: 1, script: new URL('./no-such-worker.js', import.meta.url) });
    pools.push(missing);
    await expect(missing.run('pool.echo', 1)).rejects.toThrow(/no-such-worker/);
    expect(missing.size).toBe(0);
    await expect(missing.run('pool.echo', 2)).rejects.toThrow(/no-such-worker/);
  });

  it('close() terminates the workers and refuses new tasks', async () => {
    const pool = newPool(2);
    await pool.run('pool.echo', 1);
    await pool.close();
    expect(pool.size).toBe(0);
    await expectKeelError(() => pool.run('pool.echo', 1), 'failed_precondition', {}, /closed/);
  });

  it('validates its size', async () => {
    await expectKeelError(() => new WorkerPool({ maxWorkers: 0 }), 'invalid_argument', { field: 'maxWorkers' });
  });
});

describe('sharedWorkerPool and resolveJobs', () => {
  it('is one process-wide pool that only grows', () => {
    const pool = sharedWorkerPool(1);
    expect(sharedWorkerPool(3)).toBe(pool);
    expect(pool.maxWorkers).toBe(3);
    expect(sharedWorkerPool(2).maxWorkers).toBe(3);
  });

  it('reads nJobs = -1 as one thread per core', () => {
    expect(resolveJobs(-1)).toBe(availableParallelism());
    expect(resolveJobs(3)).toBe(3);
  });
});

describe('the forest.grow task', () => {
  it('grows the same trees in a worker as on the calling thread, however the trees are batched', async () => {
    const rng = new Rng(5);
    const n = 300;
    const p = 5;
    const columns = new Float32Array(n * p).map(() => rng.nextNormal());
    const codes = sharedArray(Int32Array, n);
    for (let i = 0; i < n; i++) codes[i] = columns[i] + columns[n + i] > 0 ? 1 : 0;
    const presorted = presortColumns(columns, n, p, {
      order: sharedArray(Uint32Array, n * p),
      sorted: sharedArray(Float32Array, n * p),
    });
    const input = (seeds: number[]): ForestGrowthInput => ({
      columns: presorted,
      target: { criterion: 'gini', codes, nClasses: 2 },
      growth: { maxDepth: 6, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 2 },
      bootstrapDraws: n,
      seeds,
    });
    const inline = growForestTrees(input([11, 12, 13, 14]));
    const pool = newPool(2);
    const batches = await Promise.all([
      pool.run('forest.grow', input([11, 12])),
      pool.run('forest.grow', input([13, 14])),
    ]);
    expect(batches.flat()).toEqual(inline);
    expect(inline[0].feature).toBeInstanceOf(Int32Array);
  });
});
