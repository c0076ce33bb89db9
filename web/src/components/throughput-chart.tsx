import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EndpointMonitoring } from '../../../src/core/entities.js';
import { formatCount, formatNumber } from '../format.js';
import { timeAxis, timeAxisProps } from '../time-axis.js';

interface Point {
  readonly time: number;
  readonly rps: number;
  readonly errors: number;
}

/**
 * The series holds only buckets with requests: a zero is added on each side of a gap so the
 * lines drop to zero there instead of bridging it (a few points, not one per empty minute).
 */
function withGapsClosed(points: readonly Point[], bucketMs: number): Point[] {
  const closed: Point[] = [];
  points.forEach((point, i) => {
    const previous = points[i - 1];
    if (previous && point.time - previous.time > bucketMs) {
      closed.push({ time: previous.time + bucketMs, rps: 0, errors: 0 });
      if (point.time - previous.time > 2 * bucketMs) closed.push({ time: point.time - bucketMs, rps: 0, errors: 0 });
    }
    closed.push(point);
  });
  return closed;
}

/** Requests per second (left axis) and failed requests (right axis) per bucket of the window. */
export function ThroughputChart({ monitoring }: { monitoring: EndpointMonitoring }) {
  const seconds = monitoring.bucketMs / 1000;
  const points = withGapsClosed(
    monitoring.series.map((bucket) => ({
      time: Date.parse(bucket.at),
      rps: bucket.requests / seconds,
      errors: bucket.errors,
    })),
    monitoring.bucketMs,
  );
  if (points.length === 0) return <p className="muted">No requests in this window.</p>;
  const axis = timeAxis(Date.parse(monitoring.since), Date.parse(monitoring.until));
  return (
    <div className="chart" data-testid="throughput-chart">
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={points} margin={{ top: 8, right: 0, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" vertical={false} />
          <XAxis {...timeAxisProps(axis)} />
          <YAxis yAxisId="rps" unit="/s" fontSize={12} width={64} tickFormatter={(v: number) => formatNumber(v)} />
          <YAxis yAxisId="errors" orientation="right" allowDecimals={false} fontSize={12} width={40} />
          <Tooltip
            labelFormatter={axis.formatLabel}
            formatter={(value, name) =>
              name === 'errors' ? formatCount(Number(value)) : `${formatNumber(Number(value))} req/s`
            }
          />
          <Legend />
          <Line
            yAxisId="rps"
            dataKey="rps"
            name="requests/s"
            stroke="#2563eb"
            strokeWidth={2}
            dot={points.length < 40}
            isAnimationActive={false}
          />
          <Line
            yAxisId="errors"
            dataKey="errors"
            name="errors"
            stroke="#dc2626"
            strokeWidth={2}
            dot={points.length < 40}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
