import type { CSSProperties } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type {
  ClassificationDetails,
  EvaluationReport,
  LargestErrors,
  RegressionDetails,
  SliceAnalysis,
} from '../../../src/core/reports.js';
import { formatCount, formatNumber, formatPercent } from '../format.js';
import { Badge } from './badge.js';
import { Stat, StatGrid } from './stat.js';

/**
 * A run's evaluation report (`evaluation/report.json`): the metrics, the curves and confusion
 * matrix of a classifier or the residuals of a regressor, the sliced metrics with the worst
 * slices marked, and the rows with the largest errors. Loaded with the charting library.
 */
export function EvaluationReportView({ report }: { report: EvaluationReport }) {
  const { split } = report;
  return (
    <div data-testid="evaluation-report">
      <section className="card">
        <h2>Evaluation</h2>
        <p className="meta-line">
          {formatCount(report.rows)} test rows · {split.method} split
          {split.column ? ` by ${split.column}` : ''} · {formatCount(split.trainRows)} training rows
          {split.seed !== null ? ` · seed ${split.seed}` : ''} · selection metric {report.selectionMetric}
        </p>
        <StatGrid>
          {Object.entries(report.metrics).map(([name, value]) => (
            <Stat key={name} label={name} value={formatNumber(value)} />
          ))}
        </StatGrid>
      </section>
      {report.classification && <ClassificationSection details={report.classification} />}
      {report.regression && <RegressionSection details={report.regression} />}
      <SlicesSection slices={report.slices} metrics={report.metrics} selection={report.selectionMetric} />
      <LargestErrorsSection errors={report.largestErrors} classification={report.classification !== undefined} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Classification

function ClassificationSection({ details }: { details: ClassificationDetails }) {
  const { curves } = details;
  return (
    <>
      {curves && (
        <section className="card">
          <h2>Curves</h2>
          <div className="chart-grid">
            <CurveChart
              testId="roc-curve"
              title="ROC curve"
              xLabel="False positive rate"
              yLabel="True positive rate"
              points={curves.roc.map((p) => ({ x: p.fpr, y: p.tpr }))}
              diagonal={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
            />
            <CurveChart
              testId="pr-curve"
              title="Precision–recall"
              xLabel="Recall"
              yLabel="Precision"
              points={curves.pr.map((p) => ({ x: p.recall, y: p.precision }))}
            />
            <CurveChart
              testId="calibration-curve"
              title="Calibration"
              xLabel="Mean predicted probability"
              yLabel="Observed share"
              points={curves.calibration.map((p) => ({ x: p.predicted, y: p.observed }))}
              dots
              diagonal={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
            />
          </div>
        </section>
      )}
      <div className="columns">
        <section className="card">
          <h2>Confusion matrix</h2>
          <ConfusionMatrix matrix={details.confusionMatrix} />
        </section>
        <section className="card">
          <h2>Per class</h2>
          <table className="table per-class-table">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Precision</th>
                <th className="num">Recall</th>
                <th className="num">F1</th>
                <th className="num">Rows</th>
              </tr>
            </thead>
            <tbody>
              {details.perClass.map((c) => (
                <tr key={c.label}>
                  <td>
                    {c.label} {c.label === details.positiveClass && <Badge tone="accent">positive</Badge>}
                  </td>
                  <td className="num">{formatNumber(c.precision)}</td>
                  <td className="num">{formatNumber(c.recall)}</td>
                  <td className="num">{formatNumber(c.f1)}</td>
                  <td className="num">
                    {formatCount(c.support)}{' '}
                    <span className="muted">
                      ({formatPercent(details.classBalance.find((b) => b.label === c.label)?.share)})
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}

function ConfusionMatrix({ matrix }: { matrix: ClassificationDetails['confusionMatrix'] }) {
  const max = Math.max(1, ...matrix.matrix.flat());
  return (
    <table className="table confusion-matrix">
      <thead>
        <tr>
          <th>Actual ↓ · predicted →</th>
          {matrix.labels.map((label) => (
            <th key={label} className="num">
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.matrix.map((row, i) => (
          <tr key={matrix.labels[i]}>
            <th scope="row">{matrix.labels[i]}</th>
            {row.map((count, j) => (
              <td
                key={matrix.labels[j]}
                className={`num ${i === j ? 'hit' : 'miss'}`}
                style={{ '--share': String(count / max) } as CSSProperties}
                title={`${formatCount(count)} rows of ${matrix.labels[i]} predicted as ${matrix.labels[j]}`}
              >
                {formatCount(count)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Point {
  readonly x: number;
  readonly y: number;
}

function CurveChart(props: {
  testId: string;
  title: string;
  xLabel: string;
  yLabel: string;
  points: readonly Point[];
  diagonal?: readonly [Point, Point];
  dots?: boolean;
}) {
  return (
    <figure className="curve" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart margin={{ top: 8, right: 12, bottom: 18, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, 1]}
            ticks={[0, 0.25, 0.5, 0.75, 1]}
            fontSize={11}
            label={{ value: props.xLabel, position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis
            dataKey="y"
            type="number"
            domain={[0, 1]}
            ticks={[0, 0.25, 0.5, 0.75, 1]}
            fontSize={11}
            width={40}
            label={{ value: props.yLabel, angle: -90, position: 'insideLeft', offset: 12, fontSize: 11 }}
          />
          <Tooltip
            formatter={(value) => formatNumber(Number(value))}
            labelFormatter={(x) => `${props.xLabel} ${formatNumber(Number(x))}`}
          />
          {props.diagonal && (
            <ReferenceLine segment={[props.diagonal[0], props.diagonal[1]]} stroke="#9ca3af" strokeDasharray="4 4" />
          )}
          <Line
            data={[...props.points]}
            dataKey="y"
            name={props.yLabel}
            stroke="#2563eb"
            strokeWidth={2}
            dot={props.dots ?? false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

// ---------------------------------------------------------------------------------------------
// Regression

function RegressionSection({ details }: { details: RegressionDetails }) {
  const values = details.predictedVsActual.flatMap((p) => [p.actual, p.predicted]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return (
    <section className="card">
      <h2>Predictions</h2>
      <div className="chart-grid">
        <figure className="curve" data-testid="predicted-vs-actual">
          <figcaption>Predicted against actual</figcaption>
          <ResponsiveContainer width="100%" height={260}>
            <ScatterChart margin={{ top: 8, right: 12, bottom: 18, left: 0 }}>
              <CartesianGrid stroke="#e5e7eb" />
              <XAxis dataKey="actual" type="number" name="actual" domain={[lo, hi]} fontSize={11} />
              <YAxis dataKey="predicted" type="number" name="predicted" domain={[lo, hi]} fontSize={11} width={48} />
              <Tooltip formatter={(value) => formatNumber(Number(value))} />
              <ReferenceLine
                segment={[
                  { x: lo, y: lo },
                  { x: hi, y: hi },
                ]}
                stroke="#9ca3af"
                strokeDasharray="4 4"
              />
              <Scatter data={[...details.predictedVsActual]} fill="#2563eb" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </figure>
        <figure className="curve" data-testid="residuals">
          <figcaption>Residuals (actual − predicted)</figcaption>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart
              data={details.residuals.map((bin) => ({ ...bin, label: formatNumber((bin.lower + bin.upper) / 2) }))}
              margin={{ top: 8, right: 12, bottom: 18, left: 0 }}
            >
              <CartesianGrid stroke="#e5e7eb" vertical={false} />
              <XAxis dataKey="label" fontSize={11} />
              <YAxis fontSize={11} width={48} />
              <Tooltip />
              <Bar dataKey="count" name="rows" fill="#2563eb" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      </div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Slices and errors

function SlicesSection({
  slices,
  metrics,
  selection,
}: {
  slices: SliceAnalysis;
  metrics: EvaluationReport['metrics'];
  selection: string;
}) {
  const names = Object.keys(metrics);
  const worstRank = new Map(slices.worst.map((w, i) => [`${w.column}\u0000${w.label}`, i + 1]));
  return (
    <section className="card">
      <h2>Slices</h2>
      {slices.columns.length === 0 ? (
        <p className="muted">
          No slice columns are set. List columns under <code>evaluation.slices</code> in keel.yaml to see the metrics
          per value.
        </p>
      ) : (
        <>
          <p className="meta-line">
            Numeric columns in up to {slices.bins} quantile bins · slices under {formatCount(slices.minRows)} rows are
            not ranked
          </p>
          {slices.worst.length > 0 && (
            <ol className="worst-slices">
              {slices.worst.map((w) => (
                <li key={`${w.column}:${w.label}`}>
                  <strong>
                    {w.column} = {w.label}
                  </strong>
                  : {w.metric} {formatNumber(w.value)} against {formatNumber(w.overall)} overall ({formatCount(w.rows)}{' '}
                  rows)
                </li>
              ))}
            </ol>
          )}
          <div className="table-scroll">
            <table className="table slice-table">
              <thead>
                <tr>
                  <th>Column</th>
                  <th>Slice</th>
                  <th className="num">Rows</th>
                  {names.map((name) => (
                    <th key={name} className={`num${name === selection ? ' selected' : ''}`}>
                      {name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr className="overall">
                  <td colSpan={2}>All test rows</td>
                  <td className="num" />
                  {names.map((name) => (
                    <td key={name} className="num">
                      {formatNumber(metrics[name])}
                    </td>
                  ))}
                </tr>
                {slices.columns.flatMap((column) =>
                  column.slices.map((slice) => {
                    const rank = worstRank.get(`${column.column}\u0000${slice.label}`);
                    return (
                      <tr key={`${column.column}:${slice.label}`} className={slice.small ? 'small-slice' : undefined}>
                        <td>{column.column}</td>
                        <td>
                          {slice.label} {rank !== undefined && <Badge tone="bad">worst #{rank}</Badge>}
                          {slice.small && <span className="muted small"> few rows</span>}
                        </td>
                        <td className="num">{formatCount(slice.rows)}</td>
                        {names.map((name) => (
                          <td key={name} className="num">
                            {formatNumber(slice.metrics[name])}
                          </td>
                        ))}
                      </tr>
                    );
                  }),
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function LargestErrorsSection({ errors, classification }: { errors: LargestErrors; classification: boolean }) {
  return (
    <section className="card">
      <h2>Largest errors</h2>
      {errors.rows.length === 0 ? (
        <p className="muted">No rows.</p>
      ) : (
        <div className="table-scroll">
          <table className="table largest-errors">
            <thead>
              <tr>
                <th>{errors.idColumn ?? 'Row'}</th>
                <th>Actual</th>
                <th>Predicted</th>
                {classification && <th className="num">P(actual)</th>}
                <th className="num">{errors.loss === 'log_loss' ? 'Log loss' : 'Absolute error'}</th>
                <th>Row values</th>
              </tr>
            </thead>
            <tbody>
              {errors.rows.map((row) => (
                <tr key={row.row}>
                  <td className="mono">{row.id ?? `#${row.row}`}</td>
                  <td>{String(row.actual)}</td>
                  <td>{typeof row.predicted === 'number' ? formatNumber(row.predicted) : row.predicted}</td>
                  {classification && <td className="num">{formatNumber(row.probability)}</td>}
                  <td className="num">{formatNumber(row.loss)}</td>
                  <td>
                    <details>
                      <summary className="muted small">{Object.keys(row.values).length} columns</summary>
                      <code className="row-values">
                        {Object.entries(row.values)
                          .map(([k, v]) => `${k}=${v === null ? '∅' : String(v)}`)
                          .join(' · ')}
                      </code>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
