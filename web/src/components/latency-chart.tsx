import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EndpointMonitoring } from '../../../src/core/entities.js';
import { formatMs } from '../format.js';
import { timeAxis, timeAxisProps } from '../time-axis.js';

const LINES = [
  { key: 'p50', color: '#2563eb' },
  { key: 'p95', color: '#d97706' },
  { key: 'p99', color: '#dc2626' },
] as const;

/** p50/p95/p99 latency per minute, on a time axis spanning the whole monitoring window. */
export function LatencyChart({ monitoring }: { monitoring: EndpointMonitoring }) {
  const points = monitoring.series.map((bucket) => ({
    time: Date.parse(bucket.at),
    requests: bucket.requests,
    ...bucket.latencyMs,
  }));
  if (points.length === 0) return <p className="muted">No requests in this window.</p>;
  const axis = timeAxis(Date.parse(monitoring.since), Date.parse(monitoring.until));
  return (
    <div className="chart" data-testid="latency-chart">
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" vertical={false} />
          <XAxis {...timeAxisProps(axis)} />
          <YAxis unit=" ms" fontSize={12} width={64} />
          <Tooltip labelFormatter={axis.formatLabel} formatter={(value) => formatMs(Number(value))} />
          <Legend />
          {LINES.map((line) => (
            <Line
              key={line.key}
              dataKey={line.key}
              name={line.key}
              stroke={line.color}
              strokeWidth={2}
              dot={points.length < 40}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
