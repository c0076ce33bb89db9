import { KeelError } from '../../core/index.js';
import { show } from '../labels.js';
import { fromMask, testRowCount, type SplitIndices } from './splits.js';

export interface TimeTrainTestSplitOptions {
  /** The share of rows to hold out, in (0, 1), or a row count. Default 0.2. */
  readonly testSize?: number;
}

/** A row's time: a number (epoch, year, step…) or ISO 8601 text, as a datetime column reads. */
export type TimeValue = number | string | null;

/**
 * A train/test split in time: rows are ordered by `times` (ties keep their row order) and the
 * latest `testSize` share is the test set, so every test row is at or after every training
 * row — the model is scored on a future it did not see. Times are numbers or ISO 8601 dates and
 * timestamps (`2011-01-31`, `2011-01-31 05:00:00`, `…T05:00:00Z`, `…+01:00`; without a zone, UTC).
 * Every row needs a time.
 */
export function timeTrainTestSplit(times: ArrayLike<TimeValue>, options: TimeTrainTestSplitOptions = {}): SplitIndices {
  if (!Array.isArray(times) && !ArrayBuffer.isView(times)) {
    throw new KeelError('invalid_argument', 'times must be an array or typed array', { field: 'times' });
  }
  const n = times.length;
  const nTest = testRowCount(options.testSize ?? 0.2, n);
  const keys = timeKeys(times);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  const inTest = new Uint8Array(n);
  for (let k = n - nTest; k < n; k++) inTest[order[k]] = 1;
  return fromMask(inTest, nTest);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Each row's time as a number: numbers as they are, ISO text as epoch milliseconds. */
function timeKeys(times: ArrayLike<TimeValue>): Float64Array {
  const keys = new Float64Array(times.length);
  const kind = typeof times[0];
  for (let i = 0; i < times.length; i++) {
    const value = times[i];
    if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new KeelError(
        'invalid_argument',
        `times has no value at row ${i}; a time split needs every row's time (drop or repair those rows first)`,
        { field: 'times', row: i },
      );
    }
    if (typeof value !== kind) {
      throw new KeelError(
        'invalid_argument',
        `times mixes numbers and text (row 0 is a ${kind}, row ${i} a ${typeof value}); use one kind`,
        { field: 'times', row: i },
      );
    }
    keys[i] = typeof value === 'number' ? value : isoMilliseconds(value, i);
  }
  return keys;
}

function isoMilliseconds(text: string, row: number): number {
  const m = ISO.exec(text.trim());
  const [year, month, day, hour, minute, second] = (m ?? []).slice(1, 7).map((part) => Number(part ?? 0));
  if (!m || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new KeelError(
      'invalid_argument',
      `times has ${show(text)} at row ${row}, which is not an ISO date or time such as 2011-01-31 (cast the column to datetime first, with a format if it is written another way)`,
      { field: 'times', row },
    );
  }
  const fraction = m[7] ? Number(m[7]) * 1000 : 0;
  const zone = m[8] && m[8] !== 'Z' ? m[8].replace(':', '') : '+0000';
  const offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  return Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offset * 60_000;
}
