import type { Column, Table } from '../core/index.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  columnOf,
  jsonColumns,
  jsonString,
  notFitted,
  type FeatureRecord,
  type FeatureValue,
  type Transform,
  type TransformJSON,
} from './transform.js';

export type DatePart = 'year' | 'month' | 'day' | 'weekday' | 'hour' | 'minute' | 'dayofyear';
export type CyclicalPart = 'month' | 'weekday' | 'hour';

const PARTS: readonly DatePart[] = ['year', 'month', 'day', 'weekday', 'hour', 'minute', 'dayofyear'];
const CYCLICAL: readonly CyclicalPart[] = ['month', 'weekday', 'hour'];

export interface DatePartsParams {
  /** The parts to output, in this order; default year, month, day, weekday, hour. */
  readonly parts?: readonly DatePart[];
  /** Parts also encoded on a circle as `NAME.PART_sin` and `NAME.PART_cos` (December is next to January). */
  readonly cyclical?: readonly CyclicalPart[];
  /** What an epoch number counts: seconds (default) or milliseconds since 1970-01-01T00:00:00Z. */
  readonly unit?: 's' | 'ms';
}

const specs: TransformParamSpecs<DatePartsParams> = {
  parts: tparam.listOf(['year', 'month', 'day', 'weekday', 'hour'], PARTS, 1),
  cyclical: tparam.listOf([], CYCLICAL, 0),
  unit: tparam.oneOf('s', ['s', 'ms']),
};

/** Position of each part in the scratch array `fillParts` writes. */
const SLOT: Readonly<Record<DatePart, number>> = {
  year: 0,
  month: 1,
  day: 2,
  weekday: 3,
  hour: 4,
  minute: 5,
  dayofyear: 6,
};
/** Period of each cyclical part, and the offset that makes its first value angle 0 (months count from 1). */
const PERIOD: Readonly<Record<CyclicalPart, readonly [number, number]>> = {
  month: [12, 1],
  weekday: [7, 0],
  hour: [24, 0],
};

const MS_PER_DAY = 86_400_000;

/**
 * Calendar parts of datetime columns, in UTC: `year`, `month` (1–12), `day` (1–31), `weekday`
 * (Monday = 0 … Sunday = 6, as pandas' `dayofweek`), `hour`, `minute`, `dayofyear` (1–366), and
 * optionally `sin`/`cos` of month, weekday and hour on their circle. Inputs are ISO 8601 text
 * (`2011-01-01`, `2011-01-01 05:00:00`, `2011-01-01T05:00:00Z`, `…+02:00`; no zone means UTC)
 * or epoch numbers (`unit`). Text that is not such a date, and missing values, give missing
 * (NaN) parts. No time-zone database or locale is involved, so the result is deterministic.
 */
export class DateParts implements Transform {
  readonly type = 'DateParts';
  readonly input = 'datetime';
  readonly params: Resolved<DatePartsParams>;
  private names: readonly string[] | null = null;

  constructor(params: DatePartsParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.names = table.columns.map((c) => c.name);
    return this;
  }

  transform(table: Table): Table {
    const out: Column[] = [];
    const width = this.width();
    const scratch = new Float64Array(width);
    for (const name of this.inputNames()) {
      const column = columnOf(table, name, this.type);
      const outputs = Array.from({ length: width }, () => new Float64Array(table.rows));
      for (let i = 0; i < table.rows; i++) {
        this.encode(this.epochMs(column.values[i]), scratch);
        for (let k = 0; k < width; k++) outputs[k][i] = scratch[k];
      }
      this.namesOf(name).forEach((output, k) => out.push({ name: output, kind: 'number', values: outputs[k] }));
    }
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    const scratch = new Float64Array(this.width());
    for (const name of this.inputNames()) {
      this.encode(this.epochMs(record[name]), scratch);
      this.namesOf(name).forEach((output, k) => {
        out[output] = scratch[k];
      });
    }
    return out;
  }

  inputNames(): string[] {
    if (!this.names) throw notFitted(this.type);
    return [...this.names];
  }

  outputNames(): string[] {
    return this.inputNames().flatMap((name) => this.namesOf(name));
  }

  toJSON(): TransformJSON {
    return {
      type: this.type,
      params: this.params,
      state: this.names && { columns: this.names.map((name) => ({ name })) },
    };
  }

  static fromJSON(json: TransformJSON, path = 'DateParts'): DateParts {
    // The constructor checks every param.
    const parts = withJSONParams(path, () => new DateParts(json.params as DatePartsParams));
    if (json.state !== null) parts.names = jsonColumns(json.state, path, (c, at) => jsonString(c.name, `${at}.name`));
    return parts;
  }

  private width(): number {
    return this.params.parts.length + 2 * this.params.cyclical.length;
  }

  private namesOf(name: string): string[] {
    return [
      ...this.params.parts.map((part) => `${name}.${part}`),
      ...this.params.cyclical.flatMap((part) => [`${name}.${part}_sin`, `${name}.${part}_cos`]),
    ];
  }

  private epochMs(value: FeatureValue | undefined): number {
    if (value === null || value === undefined) return NaN;
    if (typeof value === 'string') return parseDatetime(value);
    return this.params.unit === 's' ? value * 1000 : value;
  }

  /** The per-value function both paths share: writes the requested outputs, in order, into `out`. */
  private encode(ms: number, out: Float64Array): void {
    const { parts, cyclical } = this.params;
    const all = this.partsScratch;
    fillParts(ms, all);
    let k = 0;
    for (const part of parts) out[k++] = all[SLOT[part]];
    for (const part of cyclical) {
      const [period, first] = PERIOD[part];
      const angle = (2 * Math.PI * (all[SLOT[part]] - first)) / period;
      out[k++] = Math.sin(angle);
      out[k++] = Math.cos(angle);
    }
  }

  /** Every part of the current value; reused so the batch path allocates nothing per row. */
  private readonly partsScratch = new Float64Array(PARTS.length);
}

/** Writes year, month, day, weekday, hour, minute and day of year of epoch milliseconds `ms` (UTC) into `out`; NaN if not finite. */
export function fillParts(ms: number, out: Float64Array): void {
  if (!Number.isFinite(ms)) {
    out.fill(NaN);
    return;
  }
  const whole = Math.floor(ms);
  const days = Math.floor(whole / MS_PER_DAY);
  const inDay = whole - days * MS_PER_DAY;
  // Howard Hinnant's civil_from_days: exact integer arithmetic on the proleptic Gregorian calendar.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  out[0] = year;
  out[1] = month;
  out[2] = day;
  out[3] = (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (3)
  out[4] = Math.floor(inDay / 3_600_000);
  out[5] = Math.floor((inDay % 3_600_000) / 60_000);
  out[6] = days - daysFromCivil(year, 1, 1) + 1;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Epoch milliseconds of ISO 8601 text: `YYYY-MM-DD`, then optionally `T` or a space and
 * `HH:MM[:SS[.fraction]]`, then optionally `Z` or an offset `±HH[[:]MM]`; no offset means UTC.
 * Fractions below a millisecond are dropped. NaN for anything else, including impossible dates
 * (2011-02-30). Reads character codes, so the batch path allocates nothing per value.
 */
export function parseDatetime(text: string): number {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === SPACE) start++;
  while (end > start && text.charCodeAt(end - 1) === SPACE) end--;
  const year = digitsAt(text, start, 4, end);
  const month = digitsAt(text, start + 5, 2, end);
  const day = digitsAt(text, start + 8, 2, end);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (text.charCodeAt(start + 4) !== DASH || text.charCodeAt(start + 7) !== DASH) return NaN;
  let at = start + 10;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  const separator = text.charCodeAt(at);
  if (at < end && (separator === UPPER_T || separator === LOWER_T || separator === SPACE)) {
    const hour = digitsAt(text, at + 1, 2, end);
    const minute = digitsAt(text, at + 4, 2, end);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || text.charCodeAt(at + 3) !== COLON) return NaN;
    ms += hour * 3_600_000 + minute * 60_000;
    at += 6;
    if (at < end && text.charCodeAt(at) === COLON) {
      const second = digitsAt(text, at + 1, 2, end);
      if (second < 0 || second > 59) return NaN;
      ms += second * 1000;
      at += 3;
      const mark = text.charCodeAt(at);
      if (at < end && (mark === DOT || mark === COMMA)) {
        at++;
        const first = at;
        let fraction = 0;
        for (; at < end && isDigit(text.charCodeAt(at)); at++) {
          if (at - first < 3) fraction = fraction * 10 + (text.charCodeAt(at) - ZERO);
        }
        if (at === first) return NaN;
        for (let k = at - first; k < 3; k++) fraction *= 10;
        ms += fraction;
      }
    }
  }
  const zone = text.charCodeAt(at);
  if (at < end && (zone === UPPER_Z || zone === LOWER_Z)) at++;
  else if (at < end && (zone === PLUS || zone === DASH)) {
    const hours = digitsAt(text, at + 1, 2, end);
    if (hours < 0 || hours > 23) return NaN;
    at += 3;
    let minutes = 0;
    if (at < end) {
      if (text.charCodeAt(at) === COLON) at++;
      minutes = digitsAt(text, at, 2, end);
      if (minutes < 0 || minutes > 59) return NaN;
      at += 2;
    }
    ms -= (zone === PLUS ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  }
  return at === end ? ms : NaN;
}

const ZERO = 48;
const SPACE = 32;
const DASH = 45;
const PLUS = 43;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const UPPER_T = 84;
const LOWER_T = 116;
const UPPER_Z = 90;
const LOWER_Z = 122;

const isDigit = (code: number): boolean => code >= ZERO && code <= ZERO + 9;

/** The decimal number of `count` digits at `at`, or -1 if they are not all digits before `end`. */
function digitsAt(text: string, at: number, count: number, end: number): number {
  if (at + count > end) return -1;
  let value = 0;
  for (let k = 0; k < count; k++) {
    const code = text.charCodeAt(at + k);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - ZERO);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
