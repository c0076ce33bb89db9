import type { EndpointMonitoring } from '../../../src/core/entities.js';
import { formatCount, formatNumber } from '../format.js';
import { Badge } from './badge.js';

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/**
 * Per-feature PSI against the training reference, worst first, each bar marked at the threshold,
 * with the serving skew: missing values and unknown categories in the logged rows.
 */
export function DriftTable({ drift }: { drift: EndpointMonitoring['drift'] }) {
  if (drift.features.length === 0) {
    return <p className="muted">No drift computed yet: it needs logged traffic and a training reference.</p>;
  }
  const features = [...drift.features].sort((a, b) => b.psi - a.psi);
  // The scale reaches past the threshold so the marker is always visible.
  const scale = Math.max(drift.threshold * 2, ...features.map((f) => f.psi));
  const drifted = features.filter((f) => f.drifted).length;
  return (
    <>
      <p className="meta-line">
        PSI over {formatCount(drift.rows)} logged rows · threshold {formatNumber(drift.threshold)} ·{' '}
        {drift.rows < drift.minRows
          ? `too few rows for a verdict (needs ${formatCount(drift.minRows)})`
          : drifted === 0
            ? 'no feature drifted'
            : `${drifted} of ${features.length} features drifted`}
      </p>
      <table className="table drift-table">
        <thead>
          <tr>
            <th>Feature</th>
            <th className="num">PSI</th>
            <th className="drift-bar-cell">Against threshold</th>
            <th>Status</th>
            <th className="num" title="Share of logged rows with no value (in training)">
              Missing (training)
            </th>
            <th className="num" title="Share of logged rows with a category training never saw">
              Unknown categories
            </th>
          </tr>
        </thead>
        <tbody>
          {features.map((feature) => (
            <tr key={feature.feature}>
              <td>{feature.feature}</td>
              <td className="num">{formatNumber(feature.psi)}</td>
              <td className="drift-bar-cell">
                <div className="drift-track">
                  <div
                    className={`drift-bar${feature.drifted ? ' drifted' : ''}`}
                    style={{ width: `${Math.min(feature.psi / scale, 1) * 100}%` }}
                  />
                  <div className="drift-threshold" style={{ left: `${(drift.threshold / scale) * 100}%` }} />
                </div>
              </td>
              <td>{feature.drifted ? <Badge tone="bad">drifted</Badge> : <Badge tone="good">ok</Badge>}</td>
              <td className="num">
                {percent(feature.missingRate)} ({percent(feature.trainingMissingRate)})
              </td>
              <td className="num">{percent(feature.outOfDomainRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
