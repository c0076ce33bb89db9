import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EndpointMonitoring, LiveQuality, QualitySeries } from '../../../src/core/entities.js';
import { formatCount, formatNumber } from '../format.js';
import { timeAxis, timeAxisProps } from '../time-axis.js';

type Measure = 'accuracy' | 'precision' | 'recall' | 'f1' | 'rocAuc' | 'mae' | 'rmse';

const LABELS: Record<Measure, string> = {
  accuracy: 'Accuracy',
  precision: 'Precision',
  recall: 'Recall',
  f1: 'F1',
  rocAuc: 'ROC AUC',
  mae: 'MAE',
  rmse: 'RMSE',
};
const CLASSIFICATION: readonly Measure[] = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'];
const REGRESSION: readonly Measure[] = ['mae', 'rmse'];
/** What the chart draws: the headline measures, so the lines stay few with several variants. */
const CHARTED: Record<'classification' | 'regression', readonly Measure[]> = {
  classification: ['accuracy', 'rocAuc'],
  regression: ['mae', 'rmse'],
};
const COLORS = ['#2563eb', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

const labelOf = (q: LiveQuality) => `${q.variant} (${q.model}@v${q.version})`;
const taskOf = (q: LiveQuality) => (q.accuracy !== undefined ? 'classification' : 'regression');

/**
 * Live quality from feedback (ground truth joined by prediction id): the current values per
 * model version and variant, and per bucket of prediction time, where concept drift shows.
 */
export function QualitySection({ monitoring, endpoint }: { monitoring: EndpointMonitoring; endpoint: string }) {
  const quality = monitoring.quality.filter((q) => q.labeled > 0);
  if (quality.length === 0) {
    return (
      <p className="muted" data-testid="quality-empty">
        No feedback yet: send ground truth for predictions by their ids to{' '}
        <code>POST /v1/endpoints/{endpoint}/feedback</code> and accuracy (or MAE/RMSE) shows here.
      </p>
    );
  }
  const measures = (quality.some((q) => taskOf(q) === 'classification') ? CLASSIFICATION : []).concat(
    quality.some((q) => taskOf(q) === 'regression') ? REGRESSION : [],
  );
  return (
    <>
      <div className="table-scroll">
        <table className="table" data-testid="quality-table">
          <thead>
            <tr>
              <th>Variant</th>
              <th className="num">Labeled</th>
              {measures.map((m) => (
                <th key={m} className="num">
                  {LABELS[m]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {quality.map((q) => (
              <tr key={labelOf(q)}>
                <td className="mono">{labelOf(q)}</td>
                <td className="num">{formatCount(q.labeled)}</td>
                {measures.map((m) => (
                  <td key={m} className="num" data-measure={m}>
                    {formatNumber(q[m])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {quality.some((q) => q.positiveClass !== undefined) && (
        <p className="muted small">
          Precision and recall of the class <code>{quality.find((q) => q.positiveClass)?.positiveClass}</code>. ROC AUC
          needs both classes among the labels.
        </p>
      )}
      <h3>Per minute of prediction</h3>
      <QualityChart quality={quality} monitoring={monitoring} />
    </>
  );
}

function QualityChart({ quality, monitoring }: { quality: readonly QualitySeries[]; monitoring: EndpointMonitoring }) {
  const lines = quality.flatMap((q) =>
    CHARTED[taskOf(q)].map((measure) => ({ key: `${labelOf(q)} ${measure}`, q, measure })),
  );
  const byTime = new Map<number, Record<string, number>>();
  for (const { key, q, measure } of lines) {
    for (const bucket of q.series) {
      const value = bucket[measure];
      if (value === undefined) continue;
      const time = Date.parse(bucket.at);
      let point = byTime.get(time);
      if (!point) byTime.set(time, (point = { time }));
      point[key] = value;
    }
  }
  const points = [...byTime.values()].sort((a, b) => a.time - b.time);
  const axis = timeAxis(Date.parse(monitoring.since), Date.parse(monitoring.until));
  const bounded = lines.every((line) => taskOf(line.q) === 'classification');
  const single = quality.length === 1;
  return (
    <div className="chart" data-testid="quality-chart">
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" vertical={false} />
          <XAxis {...timeAxisProps(axis)} />
          <YAxis
            fontSize={12}
            width={64}
            {...(bounded ? { domain: [0, 1] } : {})}
            tickFormatter={(v: number) => formatNumber(v)}
          />
          <Tooltip labelFormatter={axis.formatLabel} formatter={(value) => formatNumber(Number(value))} />
          <Legend />
          {lines.map((line, i) => (
            <Line
              key={line.key}
              dataKey={line.key}
              name={single ? LABELS[line.measure] : `${line.q.variant} ${LABELS[line.measure]}`}
              stroke={COLORS[i % COLORS.length]}
              strokeWidth={2}
              dot={points.length < 40}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
