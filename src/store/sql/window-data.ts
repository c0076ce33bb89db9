import { KeelError } from '../../core/index.js';
import type { MetricWindowData } from '../metadata-store.js';

/**
 * The store's view of window data: checked before it is written, and summed when compaction
 * rolls fine buckets into coarse ones. Counters add; histograms add bin by bin (a shorter one
 * counts as zeros beyond its end), which is what makes windows of any width mergeable.
 */

export function emptyWindowData(): MetricWindowData {
  return { counters: {}, histograms: {} };
}

export function addWindowData(a: MetricWindowData, b: MetricWindowData): MetricWindowData {
  const counters: Record<string, number> = { ...a.counters };
  for (const [name, value] of Object.entries(b.counters)) counters[name] = (counters[name] ?? 0) + value;
  const histograms: Record<string, number[]> = {};
  for (const [name, bins] of Object.entries(a.histograms)) histograms[name] = [...bins];
  for (const [name, bins] of Object.entries(b.histograms)) {
    const sum = histograms[name] ?? [];
    for (let i = 0; i < bins.length; i++) sum[i] = (sum[i] ?? 0) + bins[i];
    histograms[name] = sum;
  }
  return { counters, histograms };
}

/** Fails with invalid_argument naming `field.counters.NAME` (or the histogram) that is not a finite number. */
export function checkWindowData(data: MetricWindowData, field: string): MetricWindowData {
  if (data === null || typeof data !== 'object' || typeof data.counters !== 'object' || !data.histograms) {
    throw new KeelError('invalid_argument', `${field} must be {counters: {…}, histograms: {…}}.`, { field });
  }
  for (const [name, value] of Object.entries(data.counters)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new KeelError('invalid_argument', `${field}.counters.${name} must be a finite number.`, {
        field: `${field}.counters.${name}`,
      });
    }
  }
  for (const [name, bins] of Object.entries(data.histograms)) {
    if (!Array.isArray(bins) || bins.some((bin) => typeof bin !== 'number' || !Number.isFinite(bin))) {
      throw new KeelError('invalid_argument', `${field}.histograms.${name} must be an array of finite numbers.`, {
        field: `${field}.histograms.${name}`,
      });
    }
  }
  return data;
}
