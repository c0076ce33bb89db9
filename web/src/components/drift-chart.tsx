import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EndpointMonitoring } from '../../../src/core/entities.js';
import { driftScore, methodLabel } from '../drift.js';
import { formatDayTime, formatNumber } from '../format.js';
import { timeAxis, timeAxisProps } from '../time-axis.js';

type Drift = EndpointMonitoring['drift'];

/** Features shown by default beside the drifted ones: the closest to their thresholds. */
const TOP = 5;
const COLORS = [
  '#2563eb',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#4b5563',
  '#ea580c',
  '#0d9488',
  '#1e3a8a',
  '#a16207',
  '#9333ea',
  '#15803d',
  '#be185d',
];
const DRIFTED_COLOR = '#dc2626';
// A log axis cannot show 0: a statistic of exactly 0 (identical distributions) is drawn here.
const FLOOR = 1e-4;

interface DotProps {
  readonly cx?: number;
  readonly cy?: number;
  readonly payload?: Readonly<Record<string, unknown>>;
}

/**
 * Each drift bucket's statistic per feature (`of: 'input'`) or per model output, one line each:
 * a bucket is scored on its own, so this is where a shift shows as it happens. Features that
 * drifted (over the window or in a bucket) are drawn thick, with a red dot where they drifted. With many
 * features only the drifted ones and the few nearest their thresholds show, until "all".
 */
export function DriftChart({
  drift,
  of,
  since,
  until,
}: {
  drift: Drift;
  of: 'input' | 'output';
  since: string;
  until: string;
}) {
  const [showAll, setShowAll] = useState(false);
  const features = of === 'input' ? drift.features : drift.output;
  const buckets = drift.series.filter((bucket) => Object.keys(of === 'input' ? bucket.features : bucket.output).length);
  if (features.length === 0 || buckets.length === 0) {
    return <p className="muted">No drift buckets in this window yet.</p>;
  }
  const driftedInBucket = new Set(
    buckets.flatMap((bucket) =>
      Object.entries(of === 'input' ? bucket.features : bucket.output)
        .filter(([, score]) => score.drifted)
        .map(([name]) => name),
    ),
  );
  const ranked = [...features].sort((a, b) => driftScore(b) - driftScore(a));
  const isDrifted = (name: string) => driftedInBucket.has(name) || ranked.some((f) => f.feature === name && f.drifted);
  const drifted = ranked.filter((f) => isDrifted(f.feature));
  const rest = ranked.filter((f) => !isDrifted(f.feature));
  const shown = showAll ? [...drifted, ...rest] : [...drifted, ...rest.slice(0, TOP)];
  const hidden = features.length - shown.length;

  const points = buckets.map((bucket) => {
    const scores = of === 'input' ? bucket.features : bucket.output;
    const point: Record<string, number | boolean> = { time: Date.parse(bucket.at), rows: bucket.rows };
    for (const [name, score] of Object.entries(scores)) {
      point[name] = Math.max(score.statistic, FLOOR);
      point[`${name}:drifted`] = score.drifted;
    }
    return point;
  });
  // The window every monitoring chart on the page shares (a bucket may start before it).
  const axis = timeAxis(Math.min(Date.parse(since), Date.parse(buckets[0].at)), Date.parse(until));
  const methodOf = new Map(features.map((f) => [f.feature, methodLabel(f.method)]));
  const bucketMinutes = drift.bucketMs / 60_000;

  return (
    <>
      <div className="chart-toolbar">
        <span className="muted small">
          Per {bucketMinutes}-minute bucket, each scored on its own · statistic on a log scale (tests differ in scale)
        </span>
        {features.length > TOP + drifted.length && (
          <button type="button" className="button-quiet" onClick={() => setShowAll(!showAll)}>
            {showAll ? `Drifted and top ${TOP} only` : `Show all ${features.length} (${hidden} hidden)`}
          </button>
        )}
      </div>
      <div className="chart" data-testid={`${of}-drift-chart`}>
        <ResponsiveContainer width="100%" height={280}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e5e7eb" vertical={false} />
            <XAxis {...timeAxisProps(axis)} />
            <YAxis
              scale="log"
              // Room above and below the extreme points, so their dots are not cut by the frame.
              domain={[(min: number) => min / 2, (max: number) => max * 2]}
              fontSize={12}
              width={64}
              tickFormatter={(v: number) => formatNumber(v)}
            />
            <Tooltip
              labelFormatter={(time, payload) => {
                const rows = payload?.[0]?.payload?.rows as number | undefined;
                return `${formatDayTime(new Date(Number(time)).toISOString())} · ${rows ?? 0} rows`;
              }}
              formatter={(value, name, item) => {
                const key = String(item.dataKey);
                const verdict = item.payload?.[`${key}:drifted`] ? ' · drifted' : '';
                return [`${formatNumber(Number(value))} (${methodOf.get(key) ?? ''})${verdict}`, name];
              }}
              itemSorter={(item) => -Number(item.value)}
            />
            <Legend
              formatter={(name: string) =>
                isDrifted(name) ? <span className="legend-drifted">{name} · drifted</span> : name
              }
            />
            {shown.map((feature, i) => {
              const hot = isDrifted(feature.feature);
              const color = COLORS[i % COLORS.length];
              return (
                <Line
                  key={feature.feature}
                  dataKey={feature.feature}
                  name={feature.feature}
                  stroke={color}
                  strokeWidth={hot ? 3 : 1.5}
                  strokeOpacity={hot ? 1 : 0.7}
                  dot={(props: DotProps) => (
                    <DriftDot
                      key={`${feature.feature}-${String(props.cx)}`}
                      {...props}
                      feature={feature.feature}
                      color={color}
                    />
                  )}
                  isAnimationActive={false}
                />
              );
            })}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </>
  );
}

/** A bucket's point: a filled red dot where the feature drifted in it, else a small one in the line's colour. */
function DriftDot({ cx, cy, payload, feature, color }: DotProps & { feature: string; color: string }) {
  if (cx === undefined || cy === undefined || payload?.[feature] === undefined) return null;
  return payload[`${feature}:drifted`] ? (
    <circle cx={cx} cy={cy} r={5} fill={DRIFTED_COLOR} stroke="#fff" strokeWidth={1.5} />
  ) : (
    <circle cx={cx} cy={cy} r={2.5} fill={color} />
  );
}
