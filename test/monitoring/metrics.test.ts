import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compactWindows,
  endpointTimeSeries,
  histogramQuantile,
  LATENCY_BOUNDS_MS,
  latencyBin,
  MetricsRecorder,
  PROCESS_COUNTERS,
  PROCESS_SERIES,
  queryWindows,
  sumWindows,
} from '../../src/monitoring/index.js';
import { openMetadataStore, type MetadataStore } from '../../src/store/index.js';

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const MIN = 60_000;

describe('latency histogram', () => {
  it('has log-spaced bounds from 0.1 ms to about a minute, ten per decade', () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(0.1);
    expect(LATENCY_BOUNDS_MS[10]).toBe(1);
    expect(LATENCY_BOUNDS_MS[40]).toBe(1000);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBeGreaterThanOrEqual(60_000);
  });

  it('puts a latency in the first bin whose bound is at least it, the slowest in the overflow bin', () => {
    expect(latencyBin(0)).toBe(0);
    expect(latencyBin(0.1)).toBe(0);
    expect(latencyBin(0.11)).toBe(1);
    expect(latencyBin(1)).toBe(10);
    expect(latencyBin(1e9)).toBe(LATENCY_BOUNDS_MS.length);
    expect(latencyBin(Number.NaN)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('interpolates quantiles inside a bin, as Prometheus does', () => {
    const bins = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    bins[10] = 100; // (0.794, 1] ms
    expect(histogramQuantile(bins, 0.5)).toBeCloseTo(0.794 + (1 - 0.794) * 0.5, 9);
    bins[40] = 100; // (794, 1000] ms
    expect(histogramQuantile(bins, 0.99)).toBeCloseTo(794 + (1000 - 794) * 0.98, 6);
    expect(histogramQuantile([], 0.5)).toBeNull();
  });

  it('estimates p50/p95/p99 of real latencies within one bin width', () => {
    const latencies = Array.from({ length: 10_000 }, (_, i) => 0.5 + ((i * 7919) % 10_000) / 100); // 0.5 … 100.5 ms
    const bins = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const ms of latencies) bins[latencyBin(ms)]++;
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      expect(Math.abs(histogramQuantile(bins, q)! - exact) / exact).toBeLessThan(0.26); // one bin is ×1.26
    }
  });
});

describe('MetricsRecorder and windows on a real store', () => {
  let dir: string;
  let store: MetadataStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-metrics-'));
    store = await openMetadataStore(`sqlite://${join(dir, 'keel.db')}`);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const route = { model: 'churn', version: 1, variant: 'primary' };

  it('aggregates requests per series and minute and writes them in one flush', async () => {
    let now = T0 + 5_000;
    const recorder = new MetricsRecorder({ store, processId: 'test-1', now: () => now });
    for (let i = 0; i < 10; i++) {
      recorder.observeRequest({
        endpoint: 'churn',
        ...route,
        status: 200,
        rows: 2,
        latencyMs: 1 + i,
        errorCode: null,
        requestBytes: 100,
        responseBytes: 50,
      });
    }
    recorder.observeRequest({
      endpoint: 'churn',
      ...route,
      status: 400,
      rows: 1,
      latencyMs: 0.5,
      errorCode: 'invalid_argument',
    });
    recorder.observeRequest({ endpoint: 'churn', status: 404, rows: 0, latencyMs: 0.2, errorCode: null });
    now = T0 + MIN + 1_000; // the next minute
    recorder.observeRequest({
      endpoint: 'churn',
      ...route,
      status: 500,
      rows: 1,
      latencyMs: 30,
      errorCode: 'internal',
    });
    await recorder.flush();

    const rows = await store.listMetricWindows({
      endpoint: 'churn',
      since: new Date(T0).toISOString(),
      until: new Date(T0 + 2 * MIN).toISOString(),
    });
    expect(rows.map((r) => [r.bucketStart, r.variant, r.data.counters.requests])).toEqual([
      [new Date(T0).toISOString(), '', 1],
      [new Date(T0).toISOString(), 'primary', 11],
      [new Date(T0 + MIN).toISOString(), 'primary', 1],
    ]);
    const first = rows[1].data;
    expect(first.counters).toMatchObject({
      requests: 11,
      rows: 21,
      errors: 1,
      request_bytes: 1000,
      response_bytes: 500,
      'status:2xx': 10,
      'status:4xx': 1,
      'error:invalid_argument': 1,
    });
    expect(first.histograms.latency_ms.reduce((a, b) => a + b, 0)).toBe(11);
    expect(rows[0].data.counters['error:404']).toBe(1);

    // A flush with nothing new writes nothing new; a retried flush of the same bucket replaces it.
    recorder.observeRequest({ endpoint: 'churn', ...route, status: 200, rows: 1, latencyMs: 3, errorCode: null });
    await recorder.flush();
    await recorder.flush();
    const again = await store.listMetricWindows({
      endpoint: 'churn',
      variant: 'primary',
      since: new Date(T0 + MIN).toISOString(),
      until: new Date(T0 + 2 * MIN).toISOString(),
    });
    expect(again.map((r) => r.data.counters.requests)).toEqual([2]);
    const totals = await store.listMetricTotals({ endpoint: 'churn' });
    expect(totals.find((t) => t.variant === 'primary')?.data.counters.requests).toBe(13);
  });

  it('lets another module add named counters and histograms to a series, merged by addition', async () => {
    const now = T0 + 10 * MIN;
    const a = new MetricsRecorder({ store, processId: 'drift-a', now: () => now });
    const b = new MetricsRecorder({ store, processId: 'drift-b', now: () => now });
    const key = { endpoint: 'drifty', ...route };
    a.series(key).addBins('feature:MonthlyCharges', [1, 2, 3]);
    a.series(key).count('rows_checked', 6);
    b.series(key).addBins('feature:MonthlyCharges', [10, 0, 0, 4]);
    b.series(key).addToBin('output:probability', 2);
    await Promise.all([a.flush(), b.flush()]);
    const [bucket] = await queryWindows(store, { endpoint: 'drifty', since: now, until: now + MIN });
    expect(bucket.series).toEqual([
      {
        ...key,
        data: {
          counters: { rows_checked: 6 },
          histograms: { 'feature:MonthlyCharges': [11, 2, 3, 4], 'output:probability': [0, 0, 1] },
        },
      },
    ]);
  });

  it('merges minute buckets of several processes into wider buckets (downsampling)', async () => {
    const start = T0 + 60 * MIN; // 11:00
    let now = start;
    const p1 = new MetricsRecorder({ store, processId: 'w1', now: () => now });
    const p2 = new MetricsRecorder({ store, processId: 'w2', now: () => now });
    for (let minute = 0; minute < 10; minute++) {
      now = start + minute * MIN + 1;
      p1.observeRequest({ endpoint: 'ds', ...route, status: 200, rows: 1, latencyMs: 2, errorCode: null });
      p2.observeRequest({
        endpoint: 'ds',
        ...route,
        status: minute % 2 ? 503 : 200,
        rows: 1,
        latencyMs: 20,
        errorCode: null,
      });
      p2.observeRequest({
        endpoint: 'ds',
        ...route,
        variant: 'canary',
        version: 2,
        status: 200,
        rows: 1,
        latencyMs: 5,
        errorCode: null,
      });
    }
    await p1.flush();
    await p2.flush();
    const buckets = await queryWindows(store, {
      endpoint: 'ds',
      since: start,
      until: start + 10 * MIN,
      bucketMs: 5 * MIN,
    });
    expect(buckets.map((b) => b.start)).toEqual([
      new Date(start).toISOString(),
      new Date(start + 5 * MIN).toISOString(),
    ]);
    expect(buckets[0].series.map((s) => [s.variant, s.data.counters.requests])).toEqual([
      ['canary', 5],
      ['primary', 10],
    ]);
    const series = await endpointTimeSeries(store, {
      endpoint: 'ds',
      since: start,
      until: start + 10 * MIN,
      bucketMs: 5 * MIN,
    });
    expect(series.buckets[0]).toMatchObject({
      requests: 15,
      errors: 2,
      rps: 15 / 300,
      statusClasses: { '2xx': 13, '5xx': 2 },
    });
    expect(series.buckets[0].errorRate).toBeCloseTo(2 / 15, 12);
    expect(series.buckets[0].variants.canary).toMatchObject({ requests: 5, errors: 0 });
    expect(series.buckets[0].variants.primary.latencyMs.p50).toBeGreaterThan(1.5);
    expect(series.buckets[0].variants.primary.latencyMs.p99).toBeGreaterThan(15);
    // A long range picks a wider bucket by itself.
    const day = await queryWindows(store, { endpoint: 'ds', since: start - 24 * 60 * MIN, until: start + 10 * MIN });
    expect(day.length).toBeLessThanOrEqual(360);
    const sum = await sumWindows(store, 'ds', start, start + 10 * MIN);
    expect(sum.counters.requests).toBe(30);
  });

  it('refuses bad ranges and buckets, naming the parameter', async () => {
    await expect(queryWindows(store, { endpoint: 'ds', since: T0, until: T0 - 1 })).rejects.toMatchObject({
      details: { field: 'until' },
    });
    await expect(queryWindows(store, { endpoint: 'ds', since: 'soon', until: T0 })).rejects.toMatchObject({
      details: { field: 'since' },
    });
    await expect(
      queryWindows(store, { endpoint: 'ds', since: T0, until: T0 + MIN, bucketMs: 1500 }),
    ).rejects.toMatchObject({ details: { field: 'bucket' } });
  });

  it('compacts minute buckets older than the retention into hourly ones, keeping the sums', async () => {
    const old = Date.UTC(2026, 0, 1, 8, 0, 0);
    let now = old;
    const recorder = new MetricsRecorder({ store, processId: 'old', now: () => now });
    for (let minute = 0; minute < 90; minute += 3) {
      now = old + minute * MIN;
      recorder.observeRequest({ endpoint: 'compact', ...route, status: 200, rows: 1, latencyMs: 1, errorCode: null });
    }
    await recorder.flush();
    const range = { endpoint: 'compact', since: old, until: old + 2 * 60 * MIN, bucketMs: 60 * MIN };
    const before = await queryWindows(store, range);
    const removed = await compactWindows(store, {
      now: old + 7 * 24 * 60 * MIN + 125 * MIN,
      retentionMs: 7 * 24 * 60 * MIN,
    });
    expect(removed).toBeGreaterThanOrEqual(30);
    const rows = await store.listMetricWindows({
      endpoint: 'compact',
      since: new Date(old).toISOString(),
      until: new Date(old + 3 * 60 * MIN).toISOString(),
    });
    expect(rows.map((r) => [r.bucketStart, r.bucketMs, r.data.counters.requests])).toEqual([
      [new Date(old).toISOString(), 3_600_000, 20],
      [new Date(old + 60 * MIN).toISOString(), 3_600_000, 10],
    ]);
    expect(await queryWindows(store, range)).toEqual(before);
  });

  it('samples memory, CPU and event-loop delay into the process series while started', async () => {
    const recorder = new MetricsRecorder({ store, processId: 'proc', flushIntervalMs: 60_000 }).start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await recorder.stop();
    const rows = await store.listMetricWindows({
      endpoint: PROCESS_SERIES.endpoint,
      since: new Date(Date.now() - 2 * MIN).toISOString(),
      until: new Date(Date.now() + MIN).toISOString(),
    });
    const mine = rows.filter((r) => r.processId === 'proc');
    expect(mine.length).toBeGreaterThan(0);
    const counters = mine.at(-1)!.data.counters;
    expect(counters[PROCESS_COUNTERS.samples]).toBeGreaterThanOrEqual(1);
    expect(counters[PROCESS_COUNTERS.rssBytesSum]).toBeGreaterThan(1_000_000);
    expect(counters[PROCESS_COUNTERS.cpuUserUs]).toBeGreaterThanOrEqual(0);
  });

  it('keeps buffered windows after a failed write and writes them on the next flush', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const flaky = {
      putMetricWindows: (w: Parameters<MetadataStore['putMetricWindows']>[0]) =>
        fail ? Promise.reject(new Error('store down')) : store.putMetricWindows(w),
      putMetricTotals: (t: Parameters<MetadataStore['putMetricTotals']>[0]) => store.putMetricTotals(t),
      compactMetricWindows: (c: Parameters<MetadataStore['compactMetricWindows']>[0]) => store.compactMetricWindows(c),
    };
    const now = T0 + 200 * MIN;
    const recorder = new MetricsRecorder({
      store: flaky,
      processId: 'flaky',
      retentionMs: false,
      now: () => now,
      onError: (e) => errors.push(e),
    });
    recorder.observeRequest({ endpoint: 'flaky', ...route, status: 200, rows: 1, latencyMs: 1, errorCode: null });
    await expect(recorder.flush()).rejects.toThrow('store down');
    expect(errors).toHaveLength(1);
    fail = false;
    await recorder.flush();
    const sum = await sumWindows(store, 'flaky', now - MIN, now + MIN);
    expect(sum.counters.requests).toBe(1);
  });
});
