import type { MetricWindowData } from '../../store/index.js';

/**
 * A mutable sum of window data: counters add, histograms add bin by bin. Every merge in the
 * metrics module (buckets of several processes, minutes into hours, windows into one alert
 * window) goes through it, which is why any module's named counters and histograms can share
 * the windows of a series.
 */
export class WindowSum {
  readonly counters: Record<string, number> = {};
  readonly histograms: Record<string, number[]> = {};

  count(name: string, value: number): void {
    this.counters[name] = (this.counters[name] ?? 0) + value;
  }

  /** Adds `counts` bin by bin to the histogram `name` (created, or extended, as needed). */
  addBins(name: string, counts: ArrayLike<number>): void {
    const bins = (this.histograms[name] ??= []);
    for (let i = 0; i < counts.length; i++) bins[i] = (bins[i] ?? 0) + counts[i];
  }

  add(data: MetricWindowData): this {
    for (const name in data.counters) this.count(name, data.counters[name]);
    for (const name in data.histograms) this.addBins(name, data.histograms[name]);
    return this;
  }

  toData(): MetricWindowData {
    const histograms: Record<string, number[]> = {};
    for (const name in this.histograms) histograms[name] = [...this.histograms[name]];
    return { counters: { ...this.counters }, histograms };
  }
}

export function sumWindowData(items: Iterable<MetricWindowData>): MetricWindowData {
  const sum = new WindowSum();
  for (const item of items) sum.add(item);
  return sum.toData();
}
