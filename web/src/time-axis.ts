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

/** Tick spacings, in ms: the axis takes the smallest that gives at most TICKS intervals. */
const STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

export function timeAxis(since: number, until: number): TimeAxis {
  // Ticks on round times (every 10 minutes, every hour…): evenly spaced fractions of the window
  // fall between minutes and print the same clock time twice.
  const span = Math.max(until - since, 1);
  const step = STEPS.find((s) => span / s <= TICKS) ?? Math.ceil(span / TICKS / DAY_MS) * DAY_MS;
  // Local round times: a whole-hour step in a zone 30 minutes off UTC still ticks on the hour.
  const offset = new Date(since).getTimezoneOffset() * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((since - offset) / step) * step + offset; t <= until; t += step) ticks.push(t);
  // Past a day, a clock time alone is ambiguous; under a minute's spacing it needs its seconds.
  const formatTick = (time: number) => {
    const iso = new Date(time).toISOString();
    if (span > DAY_MS) return formatDayTime(iso);
    return formatClock(iso, { seconds: step < 60_000 });
  };
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
