import type {
  ColumnProfile,
  ColumnSchema,
  ColumnType,
  DataProfile,
  DataSchema,
  DatasetVersion,
} from '../core/index.js';

/** A numeric column's range; null for an open end. */
export interface ValueRange {
  readonly min: number | null;
  readonly max: number | null;
}

/** One difference between two schemas, with a human `message` (which omits the column name). */
export type SchemaChange =
  | { readonly column: string; readonly kind: 'column_added'; readonly type: ColumnType; readonly message: string }
  | { readonly column: string; readonly kind: 'column_removed'; readonly type: ColumnType; readonly message: string }
  | {
      readonly column: string;
      readonly kind: 'type_changed';
      readonly from: ColumnType;
      readonly to: ColumnType;
      readonly message: string;
    }
  | {
      readonly column: string;
      readonly kind: 'nullability_changed';
      readonly from: boolean;
      readonly to: boolean;
      readonly message: string;
    }
  | {
      readonly column: string;
      readonly kind: 'domain_changed';
      /** Categories in the second schema only, and in the first only. */
      readonly added: readonly string[];
      readonly removed: readonly string[];
      readonly message: string;
    }
  | {
      readonly column: string;
      readonly kind: 'range_changed';
      readonly from: ValueRange;
      readonly to: ValueRange;
      readonly message: string;
    };

export type SchemaChangeKind = SchemaChange['kind'];

/** How one statistic moved. Absent statistics (a text column's mean) are null. */
export interface StatisticChange {
  /** `count`, `missing`, `distinct`, `mean`, `std`, `min`, `max` or a quantile `p5` … `p95`. */
  readonly statistic: string;
  readonly from: number | null;
  readonly to: number | null;
  /** `to - from`; null when either is absent. */
  readonly change: number | null;
  /** `change / |from|`; null when either is absent, or `from` is 0 and `to` is not. */
  readonly relative: number | null;
}

export interface ColumnStatisticsDiff {
  readonly column: string;
  readonly statistics: readonly StatisticChange[];
}

export interface DatasetRef {
  readonly dataset: string;
  readonly version: number;
  readonly contentHash: string;
}

export interface DatasetDiff {
  readonly from: DatasetRef;
  readonly to: DatasetRef;
  /** Same content hash: the data (and the options it was read with) are identical. */
  readonly sameContent: boolean;
  readonly rows: StatisticChange;
  /** Differences between the schemas inferred from each version, in column order. */
  readonly schemaChanges: readonly SchemaChange[];
  /** Statistics of the columns both versions have, in the second version's column order. */
  readonly columns: readonly ColumnStatisticsDiff[];
}

/** Compares two dataset versions (of one dataset or of two): schemas and per-column statistics. */
export function diffDatasetVersions(from: DatasetVersion, to: DatasetVersion): DatasetDiff {
  const ref = (v: DatasetVersion): DatasetRef => ({
    dataset: v.dataset,
    version: v.version,
    contentHash: v.contentHash,
  });
  return {
    from: ref(from),
    to: ref(to),
    sameContent: from.contentHash === to.contentHash,
    rows: statisticChange('rows', from.rows, to.rows),
    schemaChanges: diffSchemas(from.schema, to.schema),
    columns: diffProfiles(from.profile, to.profile),
  };
}

/**
 * What changed from schema `a` to schema `b`: columns added (in `b` only) and removed (in `a`
 * only), then for each shared column its type, nullability, domain and range. Columns of `b`
 * come in `b`'s order, followed by the removed ones in `a`'s.
 */
export function diffSchemas(a: DataSchema, b: DataSchema): SchemaChange[] {
  const before = new Map(a.columns.map((c) => [c.name, c]));
  const after = new Set(b.columns.map((c) => c.name));
  const changes: SchemaChange[] = [];
  for (const column of b.columns) {
    const old = before.get(column.name);
    if (old) changes.push(...columnChanges(old, column));
    else {
      changes.push({
        column: column.name,
        kind: 'column_added',
        type: column.type,
        message: `added (${column.type})`,
      });
    }
  }
  for (const column of a.columns) {
    if (!after.has(column.name)) {
      changes.push({
        column: column.name,
        kind: 'column_removed',
        type: column.type,
        message: `removed (was ${column.type})`,
      });
    }
  }
  return changes;
}

function columnChanges(a: ColumnSchema, b: ColumnSchema): SchemaChange[] {
  const column = b.name;
  const changes: SchemaChange[] = [];
  if (a.type !== b.type) {
    changes.push({ column, kind: 'type_changed', from: a.type, to: b.type, message: `type ${a.type} → ${b.type}` });
  }
  if (a.nullable !== b.nullable) {
    changes.push({
      column,
      kind: 'nullability_changed',
      from: a.nullable,
      to: b.nullable,
      message: b.nullable ? 'now nullable' : 'no longer nullable',
    });
  }
  if (a.domain || b.domain) {
    const domainChange = diffDomains(column, a.domain, b.domain);
    if (domainChange) changes.push(domainChange);
  }
  const from = rangeOf(a);
  const to = rangeOf(b);
  if (isNumeric(a.type) && isNumeric(b.type) && (from.min !== to.min || from.max !== to.max)) {
    changes.push({
      column,
      kind: 'range_changed',
      from,
      to,
      message: `range ${formatRange(from)} → ${formatRange(to)}`,
    });
  }
  return changes;
}

function diffDomains(
  column: string,
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): SchemaChange | null {
  // A domain that appears with a new type (string → categorical) is part of the type change.
  if (!a || !b) {
    if (!a && b)
      return {
        column,
        kind: 'domain_changed',
        added: [...b],
        removed: [],
        message: `now restricted to ${b.length} categories`,
      };
    if (a && !b)
      return {
        column,
        kind: 'domain_changed',
        added: [],
        removed: [...a],
        message: 'no longer restricted to a domain',
      };
    return null;
  }
  const before = new Set(a);
  const after = new Set(b);
  const added = b.filter((v) => !before.has(v));
  const removed = a.filter((v) => !after.has(v));
  if (added.length === 0 && removed.length === 0) return null;
  const parts = [
    ...(added.length > 0 ? [`+ ${listValues(added)}`] : []),
    ...(removed.length > 0 ? [`− ${listValues(removed)}`] : []),
  ];
  return { column, kind: 'domain_changed', added, removed, message: `categories ${parts.join('; ')}` };
}

/**
 * Per-column statistic changes for the columns both profiles have: count, missing, distinct,
 * mean, std, min, max and the quantiles, each with its absolute and relative change. A
 * statistic one side lacks (a column that became text has no mean) is listed with null there.
 */
export function diffProfiles(a: DataProfile, b: DataProfile): ColumnStatisticsDiff[] {
  const before = new Map(a.columns.map((c) => [c.name, c]));
  const diffs: ColumnStatisticsDiff[] = [];
  for (const column of b.columns) {
    const old = before.get(column.name);
    if (!old) continue;
    diffs.push({ column: column.name, statistics: columnStatistics(old, column) });
  }
  return diffs;
}

const SCALAR_STATISTICS = ['count', 'missing', 'distinct', 'mean', 'std', 'min', 'max'] as const;

function columnStatistics(a: ColumnProfile, b: ColumnProfile): StatisticChange[] {
  const changes: StatisticChange[] = [];
  for (const statistic of SCALAR_STATISTICS) {
    const from = a[statistic];
    const to = b[statistic];
    if (from !== undefined || to !== undefined) changes.push(statisticChange(statistic, from, to));
  }
  const probabilities = [...new Set([...Object.keys(a.quantiles ?? {}), ...Object.keys(b.quantiles ?? {})])].sort(
    (p, q) => Number(p) - Number(q),
  );
  for (const p of probabilities) {
    changes.push(statisticChange(quantileName(p), a.quantiles?.[p], b.quantiles?.[p]));
  }
  return changes;
}

export function statisticChange(statistic: string, from: number | undefined, to: number | undefined): StatisticChange {
  const a = finiteOrNull(from);
  const b = finiteOrNull(to);
  if (a === null || b === null) return { statistic, from: a, to: b, change: null, relative: null };
  const change = b - a;
  const relative = change === 0 ? 0 : a === 0 ? null : change / Math.abs(a);
  return { statistic, from: a, to: b, change, relative };
}

/** Whether the statistic moved (or appeared, or disappeared). */
export function hasChanged(change: StatisticChange): boolean {
  return change.change === null ? change.from !== change.to : change.change !== 0;
}

/** `0.05` → `p5`, `0.5` → `p50`. */
function quantileName(probability: string): string {
  return `p${Math.round(Number(probability) * 1000) / 10}`;
}

function finiteOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

function isNumeric(type: ColumnType): boolean {
  return type === 'integer' || type === 'float';
}

function rangeOf(column: ColumnSchema): ValueRange {
  return { min: column.min ?? null, max: column.max ?? null };
}

function formatRange(range: ValueRange): string {
  return `[${range.min ?? '-∞'}, ${range.max ?? '∞'}]`;
}

const LISTED_VALUES = 5;

function listValues(values: readonly string[]): string {
  const shown = values.slice(0, LISTED_VALUES).map((v) => JSON.stringify(v));
  const more = values.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}
