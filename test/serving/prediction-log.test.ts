import { describe, expect, test } from 'vitest';
import type { PredictionRecord, RequestRecord } from '../../src/core/index.js';
import { PredictionLog, type PredictionLogStore } from '../../src/serving/index.js';

function record(i: number): PredictionRecord {
  return {
    id: `pred_${i}`,
    endpoint: 'churn',
    model: 'churn',
    version: 1,
    variant: 'primary',
    inputs: { tenure: i },
    output: { value: i },
    latencyMs: 1,
    at: '2026-01-01T00:00:00.000Z',
  };
}

/** A store whose writes finish when the test says so, recording each batch. */
function slowStore() {
  const batches: string[][] = [];
  const releases: (() => void)[] = [];
  const store: PredictionLogStore = {
    appendPredictions: (records: readonly PredictionRecord[]) => {
      batches.push(records.map((r) => r.id));
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    appendRequests: async (_records: readonly RequestRecord[]) => {},
  };
  return { store, batches, release: () => releases.shift()?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PredictionLog', () => {
  test('records added past maxBatch during a slow write all go in the one write queued behind it', async () => {
    const { store, batches, release } = slowStore();
    const log = new PredictionLog(store, { maxBatch: 2, flushIntervalMs: 60_000 });
    log.addPredictions([record(0), record(1)]); // reaches maxBatch: the first write starts
    await tick();
    const flushes: Promise<void>[] = [];
    for (let i = 2; i < 50; i++) {
      log.addPredictions([record(i)]);
      flushes.push(log.flush());
    }
    expect(new Set(flushes).size).toBe(1);
    release();
    await tick();
    expect(batches.map((b) => b.length)).toEqual([2, 48]);
    let done = false;
    void flushes[0].then(() => (done = true));
    await tick();
    expect(done).toBe(false); // not before its own write is committed
    release();
    await Promise.all(flushes);
    expect(log.pending).toBe(0);
    await log.close();
    expect(batches.flat()).toEqual(Array.from({ length: 50 }, (_, i) => `pred_${i}`));
  });

  test('a failed write keeps its records for the next one', async () => {
    let fail = true;
    const written: string[] = [];
    const errors: unknown[] = [];
    const log = new PredictionLog(
      {
        appendPredictions: async (records) => {
          if (fail) throw new Error('disk full');
          written.push(...records.map((r) => r.id));
        },
        appendRequests: async () => {},
      },
      { flushIntervalMs: 60_000, onError: (error) => errors.push(error) },
    );
    log.addPredictions([record(1), record(2)]);
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(log.pending).toBe(2);
    fail = false;
    log.addPredictions([record(3)]);
    await log.close();
    expect(written).toEqual(['pred_1', 'pred_2', 'pred_3']);
  });
});
