import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnProfile, ColumnType, DataProfile, HistogramBin, TopValue } from '../core/index.js';
import { quotedIdentifier, sqlDouble, type RelationColumn } from './duckdb.js';
import { withParquet } from './read-table.js';

/** Probabilities of the profile's quantiles. */
export const PROFILE_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
export const HISTOGRAM_BINS = 20;
export const TOP_VALUES = 20;
/** A text column with at most this many distinct values can be categorical (see `isCategorical`). */
export const MAX_CATEGORIES = 50;

/**
 * Whether a text column is categorical rather than free text or an identifier: at most
 * MAX_CATEGORIES distinct values, and values repeat — at most half as many distinct values as
 * present ones. A ratio (rather than, say, 5% of rows) keeps small tables' categories
 * categorical, while an id or free-text column, nearly all unique, stays string.
 */
export function isCategorical(distinct: number, present: number): boolean {
  return distinct <= MAX_CATEGORIES && distinct * 2 <= present;
}

/** Profiles a Parquet file with DuckDB SQL; see `profileRelation`. */
export async function profileParquet(path: string): Promise<DataProfile> {
  return withParquet(path, (connection, relation, columns) => profileRelation(connection, relation, columns));
}

/**
 * Per-column statistics, computed to agree with pandas on the same data: `count` is present
 * (non-missing) values as in `Series.count()`; `std` is the sample standard deviation (ddof=1);
 * quantiles interpolate linearly (numpy's default); histograms are numpy's 20 equal-width bins,
 * computed the way `numpy.histogram` assigns values on bin edges. Datetime min/max are epoch
 * milliseconds. Text and boolean columns get top values by count (ties by value); categorical
 * columns list all their values there, which is where the schema's domain comes from.
 */
export async function profileRelation(
  connection: DuckDBConnection,
  relation: string,
  columns: readonly RelationColumn[],
): Promise<DataProfile> {
  const aggregates = columns.map((c) => columnAggregates(c));
  const reader = await connection.runAndReadAll(
    `SELECT count(*)::DOUBLE${aggregates.map((a) => `, ${a.join(', ')}`).join('')} FROM ${relation}`,
  );
  const values = reader.getRowsJS()[0];
  const rows = Number(values[0]);

  let at = 1;
  const profiles: ColumnProfile[] = [];
  for (let j = 0; j < columns.length; j++) {
    const column = columns[j];
    const stats = values.slice(at, at + aggregates[j].length);
    at += aggregates[j].length;
    const count = Number(stats[0]);
    const distinct = Number(stats[1]);
    const base = { name: column.name, count, missing: rows - count, distinct };

    if (column.type === 'integer' || column.type === 'float') {
      const [min, max, mean, std] = stats.slice(2, 6).map(optionalNumber);
      const quantileValues = Array.isArray(stats[6]) ? stats[6].map(Number) : [];
      profiles.push({
        ...base,
        type: column.type,
        min,
        max,
        mean,
        std,
        quantiles:
          quantileValues.length === PROFILE_QUANTILES.length
            ? Object.fromEntries(PROFILE_QUANTILES.map((p, k) => [String(p), quantileValues[k]]))
            : undefined,
        // Infinite values (possible in Parquet written elsewhere) leave no finite bins to draw.
        histogram:
          Number.isFinite(min) && Number.isFinite(max)
            ? await histogram(connection, relation, column.name, min as number, max as number, count)
            : undefined,
      });
    } else if (column.type === 'datetime') {
      const [min, max] = stats.slice(2, 4).map(optionalNumber);
      profiles.push({ ...base, type: 'datetime', min, max });
    } else {
      const type: ColumnType =
        column.type === 'boolean' ? 'boolean' : isCategorical(distinct, count) ? 'categorical' : 'string';
      const limit = type === 'categorical' ? MAX_CATEGORIES : TOP_VALUES;
      profiles.push({ ...base, type, topValues: await topValues(connection, relation, column.name, limit) });
    }
  }
  return { rows, columns: profiles.map(withoutUndefined) };
}

function columnAggregates(column: RelationColumn): string[] {
  const c = quotedIdentifier(column.name);
  const common = [`count(${c})::DOUBLE`, `count(DISTINCT ${c})::DOUBLE`];
  if (column.type === 'integer' || column.type === 'float') {
    const x = `CAST(${c} AS DOUBLE)`;
    return [
      ...common,
      `min(${x})`,
      `max(${x})`,
      `avg(${x})`,
      `stddev_samp(${x})`,
      `quantile_cont(${x}, [${PROFILE_QUANTILES.join(', ')}])`,
    ];
  }
  if (column.type === 'datetime') {
    return [...common, `epoch_ms(min(${c})::TIMESTAMP)::DOUBLE`, `epoch_ms(max(${c})::TIMESTAMP)::DOUBLE`];
  }
  return common;
}

/**
 * numpy.histogram(values, bins=20): edges are linspace(min, max, 21); a value's bin is
 * trunc((x - min) / (max - min) * 20), moved down or up one when float rounding put it on the
 * wrong side of an edge. A constant column gets one bin holding every value.
 */
async function histogram(
  connection: DuckDBConnection,
  relation: string,
  name: string,
  min: number,
  max: number,
  count: number,
): Promise<HistogramBin[]> {
  if (min === max) return [{ lower: min, upper: max, count }];
  const step = (max - min) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => (i === HISTOGRAM_BINS ? max : i * step + min));
  const x = `CAST(${quotedIdentifier(name)} AS DOUBLE)`;
  const last = HISTOGRAM_BINS - 1;
  // DuckDB lists are 1-based: edge i is edges[i + 1].
  const reader = await connection.runAndReadAll(
    `WITH edges AS (SELECT [${edges.map(sqlDouble).join(', ')}] AS e),
     guessed AS (
       SELECT x, LEAST(CAST(trunc((x - ${sqlDouble(min)}) / ${sqlDouble(max - min)} * ${HISTOGRAM_BINS}) AS BIGINT), ${last}) AS f
       FROM (SELECT ${x} AS x FROM ${relation} WHERE ${x} IS NOT NULL)
     )
     SELECT CASE WHEN x < e[f + 1] THEN f - 1 WHEN x >= e[f + 2] AND f <> ${last} THEN f + 1 ELSE f END AS bin,
            count(*)::DOUBLE
     FROM guessed, edges GROUP BY bin`,
  );
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const [bin, n] of reader.getRowsJS()) counts[Number(bin)] = Number(n);
  return counts.map((n, i) => ({ lower: edges[i], upper: edges[i + 1], count: n }));
}

async function topValues(
  connection: DuckDBConnection,
  relation: string,
  name: string,
  limit: number,
): Promise<TopValue[]> {
  const c = quotedIdentifier(name);
  const reader = await connection.runAndReadAll(
    `SELECT CAST(${c} AS VARCHAR) AS value, count(*)::DOUBLE AS n FROM ${relation}
     WHERE ${c} IS NOT NULL GROUP BY ALL ORDER BY n DESC, value LIMIT ${limit}`,
  );
  return reader.getRowsJS().map(([value, n]) => ({ value: String(value), count: Number(n) }));
}

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** Profiles are stored as JSON; leaving unknown statistics out keeps them free of `null`s. */
function withoutUndefined(profile: ColumnProfile): ColumnProfile {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined)) as unknown as ColumnProfile;
}
