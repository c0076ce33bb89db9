import { formatClock, formatDayTime } from './format.js';

const TICKS = 6;
const DAY_MS = 24 * 60 * 60_000;

/** The x axis every monitoring chart shares: the whole window, evenly ticked, in local time. */
export interface TimeAxis {
  readonly domain: [number, number];
  readonly ticks: number[];
  readonly formatTick: (time: number) => string;
  /** Tooltip titles: always with the day. */
  readonly formatLabel: (time: unknown) => string;
}

export function timeAxis(since: number, until: number): TimeAxis {
  const ticks = Array.from({ length: TICKS + 1 }, (_, i) => since + ((until - since) * i) / TICKS);
  // Past a day, a clock time alone is ambiguous.
  const formatTick = (time: number) =>
    until - since > DAY_MS ? formatDayTime(new Date(time).toISOString()) : formatClock(new Date(time).toISOString());
  return {
    domain: [since, until],
    ticks,
    formatTick,
    formatLabel: (time) => formatDayTime(new Date(Number(time)).toISOString()),
  };
}

/** Recharts props of an `XAxis` on `axis`. */
export function timeAxisProps(axis: TimeAxis) {
  return {
    dataKey: 'time',
    type: 'number',
    scale: 'time',
    domain: axis.domain,
    ticks: axis.ticks,
    tickFormatter: axis.formatTick,
    fontSize: 12,
  } as const;
}
