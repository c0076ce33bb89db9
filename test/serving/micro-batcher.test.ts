import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadProject, rowAt, type Row } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { MicroBatcher, ServingRuntime } from '../../src/serving/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** A model that doubles numbers, records the batches it was given, and fails on a negative one. */
function doubler(options: { delayMs?: number } = {}) {
  const batches: number[][] = [];
  const run = async (items: readonly number[]): Promise<number[]> => {
    batches.push([...items]);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (items.some((x) => x < 0)) throw new Error(`negative input in a batch of ${items.length}`);
    return items.map((x) => 2 * x);
  };
  return { batches, run };
}

describe('MicroBatcher', () => {
  it('coalesces requests that arrive together into one model call and splits the outputs back', async () => {
    const model = doubler();
    const batcher = new MicroBatcher(model.run, { maxBatchRows: 64, maxWaitMs: 1 });
    const results = await Promise.all([batcher.submit([1]), batcher.submit([2, 3]), batcher.submit([4])]);
    expect(results).toEqual([[2], [4, 6], [8]]);
    expect(model.batches).toEqual([[1, 2, 3, 4]]);
  });

  it('adds no wait to a request that is alone: it runs at the end of the event-loop turn, not after a timer', async () => {
    const model = doubler();
    // A long maxWait shows that a lone request never waits for it.
    const batcher = new MicroBatcher(model.run, { maxBatchRows: 64, maxWaitMs: 5_000 });
    const started = performance.now();
    let timerFired = false;
    const timer = setTimeout(() => (timerFired = true), 0);
    expect(await batcher.submit([21])).toEqual([42]);
    clearTimeout(timer);
    expect(timerFired).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
    expect(model.batches).toEqual([[21]]);
  });

  it('gives every request its own outcome when one request makes the batch fail', async () => {
    const model = doubler();
    const batcher = new MicroBatcher(model.run);
    const outcomes = await Promise.allSettled([batcher.submit([1]), batcher.submit([-1, 5]), batcher.submit([3])]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: [2] });
    expect(outcomes[1].status).toBe('rejected');
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/negative input in a batch of 2/);
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: [6] });
    // The failed batch of all three, then each request alone.
    expect(model.batches).toEqual([[1, -1, 5, 3], [1], [-1, 5], [3]]);
  });

  it('never puts more than maxBatchRows rows in one call and never splits a request', async () => {
    const model = doubler();
    const batcher = new MicroBatcher(model.run, { maxBatchRows: 8, maxWaitMs: 1 });
    const sizes = [3, 3, 3, 1, 5, 2, 12, 1, 1, 4];
    const inputs = sizes.map((n, r) => Array.from({ length: n }, (_, i) => r * 100 + i));
    const results = await Promise.all(inputs.map((items) => batcher.submit(items)));
    results.forEach((out, r) => expect(out).toEqual(inputs[r].map((x) => 2 * x)));
    for (const batch of model.batches) {
      // Only a request larger than the limit gets a call of its own that exceeds it.
      if (batch.length > 8) expect(batch).toEqual(inputs[6]);
    }
    expect(model.batches.flat().sort((a, b) => a - b)).toEqual(inputs.flat().sort((a, b) => a - b));
    expect(model.batches.length).toBeGreaterThan(1);
    expect(model.batches.length).toBeLessThan(sizes.length);
  });

  it('queues requests behind a running batch and sends them together once it finishes', async () => {
    const model = doubler({ delayMs: 20 });
    const batcher = new MicroBatcher(model.run, { maxBatchRows: 64, maxWaitMs: 1_000 });
    const first = batcher.submit([1]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The model is busy with [1]: these wait for it, then go as one batch.
    const later = [batcher.submit([2]), batcher.submit([3]), batcher.submit([4])];
    expect(batcher.waiting).toBe(3);
    expect(await first).toEqual([2]);
    expect(await Promise.all(later)).toEqual([[4], [6], [8]]);
    expect(model.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('waits at most maxWaitMs behind a running batch', async () => {
    const model = doubler({ delayMs: 200 });
    const batcher = new MicroBatcher(model.run, { maxBatchRows: 64, maxWaitMs: 5 });
    const first = batcher.submit([1]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const started = performance.now();
    const second = batcher.submit([2]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The second request started its own batch after 5 ms instead of waiting for the first one.
    expect(model.batches).toEqual([[1], [2]]);
    expect(await second).toEqual([4]);
    expect(performance.now() - started).toBeLessThan(200 + 100);
    await first;
  });

  it('refuses settings that cannot work', () => {
    const run = (items: readonly number[]) => items;
    expect(() => new MicroBatcher(run, { maxBatchRows: 0 })).toThrow(/maxBatchRows/);
    expect(() => new MicroBatcher(run, { maxWaitMs: -1 })).toThrow(/maxWaitMs/);
  });
});

describe('ServingRuntime with micro-batching', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let rows: Row[];
  beforeAll(async () => {
    ws = await tempWorkspace();
    const result = await runProject(loadProject(churnProjectDir), ws, { actor: 'test' });
    const dataset = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
    const table = await readTable(await ws.artifacts.localPath(dataset!.artifact));
    rows = Array.from({ length: 12 }, (_, i) => rowAt(table, i, ['Churn']));
  }, 60_000);
  afterAll(() => ws.dispose());

  it('predicts concurrent requests in one model call, each answer the same as alone; a bad request fails alone', async () => {
    const alone = new ServingRuntime(ws.metadata, ws.registry, { microBatch: false });
    const expected: Awaited<ReturnType<ServingRuntime['predict']>>['predictions'][number][] = [];
    for (const row of rows) expected.push((await alone.predict('churn', [row])).predictions[0]);
    await alone.close();

    const runtime = new ServingRuntime(ws.metadata, ws.registry);
    const model = await ws.registry.loadServable((await ws.metadata.getModelVersion('churn', 1))!);
    const predict = vi.spyOn(model, 'predict');
    const bad = { ...rows[0], tenure: 'long' };
    const outcomes = await Promise.allSettled([
      ...rows.map((row) => runtime.predict('churn', [row])),
      runtime.predict('churn', [bad]),
    ]);
    expect(predict).toHaveBeenCalledTimes(1);
    expect(predict.mock.calls[0][0]).toHaveLength(rows.length);
    outcomes.slice(0, rows.length).forEach((outcome, i) => {
      expect(outcome.status).toBe('fulfilled');
      const { id, ...prediction } = (outcome as PromiseFulfilledResult<Awaited<ReturnType<ServingRuntime['predict']>>>)
        .value.predictions[0];
      const { id: aloneId, ...same } = expected[i];
      expect(id).not.toBe(aloneId);
      expect(prediction).toEqual(same);
    });
    const refused = outcomes[rows.length] as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect(refused.reason).toMatchObject({ code: 'invalid_argument', details: { row: 0, field: 'tenure' } });
    predict.mockRestore();
    await runtime.close();
  });
});
