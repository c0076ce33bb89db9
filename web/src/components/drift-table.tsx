import type { EndpointMonitoring, FeatureDrift } from '../../../src/core/entities.js';
import { driftScore, methodLabel, verdictPValue } from '../drift.js';
import { formatCount, formatNumber, formatPercent } from '../format.js';
import { Badge } from './badge.js';

type Drift = EndpointMonitoring['drift'];

/** The threshold the way the verdict reads it: `p < 0.05` for a test, `> 0.1` for a distance. */
function thresholdText(feature: FeatureDrift): string {
  return feature.pValue === null ? `> ${formatNumber(feature.threshold)}` : `p < ${formatNumber(feature.threshold)}`;
}

function verdictTitle(feature: FeatureDrift): string {
  const p = verdictPValue(feature);
  const method = methodLabel(feature.method);
  return p === null
    ? `${method} ${formatNumber(feature.statistic)}, drifted above ${formatNumber(feature.threshold)}`
    : `${method} p = ${formatNumber(p)}, drifted below ${formatNumber(feature.threshold)}`;
}

function Verdict({ feature, minRows }: { feature: FeatureDrift; minRows: number }) {
  if (feature.drifted) return <Badge tone="bad">drifted</Badge>;
  if (feature.rows < minRows) return <Badge tone="muted">too few rows</Badge>;
  return <Badge tone="good">ok</Badge>;
}

/** The sentence above a drift table: rows, the correction and the dataset-level verdict. */
function summary(drift: Drift, features: readonly FeatureDrift[], noun: string): string {
  const drifted = features.filter((f) => f.drifted).length;
  const parts = [`${formatCount(drift.rows)} served rows against the training reference`];
  if (features.some((f) => f.pValue !== null) && drift.correction === 'bh') {
    parts.push('p-values corrected for multiple tests (Benjamini-Hochberg)');
  }
  if (drift.rows < drift.minRows) parts.push(`too few rows for a verdict (needs ${formatCount(drift.minRows)})`);
  else if (drifted === 0) parts.push(`no ${noun} drifted`);
  else parts.push(`${drifted} of ${features.length} ${noun}s drifted`);
  return parts.join(' · ');
}

/**
 * Per-feature drift against the training reference, worst first: each feature's test, its
 * statistic and p-value, and a bar against its own threshold (see `driftScore`); for inputs,
 * the serving skew too: missing values and categories training never saw.
 */
export function DriftTable({ drift, of }: { drift: Drift; of: 'input' | 'output' }) {
  const features = of === 'input' ? drift.features : drift.output;
  if (features.length === 0) {
    return of === 'input' ? (
      <p className="muted">No drift computed yet: it needs served traffic and a training reference.</p>
    ) : (
      <p className="muted">No output drift: it needs served traffic and a model package with an output reference.</p>
    );
  }
  const noun = of === 'input' ? 'feature' : 'output';
  const scored = features.map((feature) => ({ feature, score: driftScore(feature) })).sort((a, b) => b.score - a.score);
  // One scale for every row (1 = the threshold), reaching past it so the marker always shows.
  const scale = Math.min(Math.max(2, ...scored.map((s) => s.score)), 10);
  const drifted = scored.filter((s) => s.feature.drifted).length;
  return (
    <>
      <p className="meta-line">
        {summary(drift, features, noun)}
        {of === 'input' && drift.rows >= drift.minRows && (
          <>
            {' '}
            ·{' '}
            <span className={drift.drifted ? 'warn' : undefined}>
              {formatPercent(drifted / features.length, 0)} drifted; the dataset drifts at{' '}
              {formatPercent(drift.shareThreshold, 0)}
            </span>
          </>
        )}
      </p>
      <div className="table-scroll">
        <table className="table drift-table" data-testid={`${of}-drift-table`}>
          <thead>
            <tr>
              <th>{of === 'input' ? 'Feature' : 'Output'}</th>
              <th>Test</th>
              <th className="num">Statistic</th>
              <th className="num" title="The p-value, and after the multiple-testing correction (the one judged)">
                p-value (adjusted)
              </th>
              <th className="num">Drifted when</th>
              <th className="drift-bar-cell">Against threshold</th>
              <th>Status</th>
              {of === 'input' && (
                <>
                  <th className="num" title="Share of served rows with no value (in training)">
                    Missing (training)
                  </th>
                  <th className="num" title="Share of served rows with a category training never saw">
                    Unknown categories
                  </th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {scored.map(({ feature, score }) => (
              <tr key={feature.feature} className={feature.drifted ? 'drifted-row' : undefined}>
                <td>{feature.feature}</td>
                <td>
                  {methodLabel(feature.method)} <span className="muted small">{feature.kind}</span>
                </td>
                <td className="num">{formatNumber(feature.statistic)}</td>
                <td className="num">
                  {feature.pValue === null ? (
                    <span className="muted">distance</span>
                  ) : (
                    <>
                      {formatNumber(feature.pValue)}{' '}
                      <span className="muted">({formatNumber(feature.adjustedPValue ?? feature.pValue)})</span>
                    </>
                  )}
                </td>
                <td className="num">{thresholdText(feature)}</td>
                <td className="drift-bar-cell" title={verdictTitle(feature)}>
                  <div className="drift-track">
                    <div
                      className={`drift-bar${feature.drifted ? ' drifted' : score >= 1 ? ' over' : ''}`}
                      style={{ width: `${Math.min(score / scale, 1) * 100}%` }}
                    />
                    <div className="drift-threshold" style={{ left: `${(1 / scale) * 100}%` }} />
                  </div>
                </td>
                <td>
                  <Verdict feature={feature} minRows={drift.minRows} />
                </td>
                {of === 'input' && (
                  <>
                    <td className="num">
                      {formatPercent(feature.missingRate)} ({formatPercent(feature.trainingMissingRate)})
                    </td>
                    <td className="num">{formatPercent(feature.outOfDomainRate)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Bars share one scale: the mark is each {noun}&apos;s own threshold. A test with a p-value (KS, χ²) is drawn as
        the evidence −log10 p against −log10 of its threshold; a distance (PSI, Wasserstein, Jensen-Shannon) as its
        statistic against its threshold.
      </p>
    </>
  );
}
