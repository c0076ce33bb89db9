import type { EndpointAlert } from '../../../src/core/entities.js';
import { formatDateTime, formatNumber, timeAgo } from '../format.js';
import { Badge, type BadgeTone } from './badge.js';

const STATUS_TONES: Record<EndpointAlert['status'], BadgeTone> = {
  ok: 'good',
  pending: 'busy',
  firing: 'bad',
  resolved: 'accent',
};
const SEVERITY_TONES: Record<string, BadgeTone> = { critical: 'bad', warning: 'busy', info: 'neutral' };
// Firing first: the table is read top down when something is wrong.
const ORDER: Record<EndpointAlert['status'], number> = { firing: 0, pending: 1, resolved: 2, ok: 3 };

/** How the alerts stand, in a few words: "all 2 rules ok", "1 firing · 1 pending". */
export function alertsSummary(alerts: readonly EndpointAlert[]): { text: string; tone: BadgeTone } {
  if (alerts.length === 0) return { text: 'no alert rules', tone: 'muted' };
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const pending = alerts.filter((a) => a.status === 'pending').length;
  if (firing + pending === 0) {
    return { text: alerts.length === 1 ? 'the rule is ok' : `all ${alerts.length} rules ok`, tone: 'good' };
  }
  const parts = [firing && `${firing} firing`, pending && `${pending} pending`].filter(Boolean);
  return { text: parts.join(' · '), tone: firing ? 'bad' : 'busy' };
}

/** The endpoint's alert rules and their states (ok → pending → firing → resolved), firing first. */
export function AlertsTable({ alerts }: { alerts: readonly EndpointAlert[] }) {
  if (alerts.length === 0) {
    return (
      <p className="muted" data-testid="alerts-empty">
        No alert rules: add them under <code>monitoring.alerts</code> in the project file (see
        docs/metrics-and-alerts.md).
      </p>
    );
  }
  const sorted = [...alerts].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.rule.localeCompare(b.rule));
  return (
    <table className="table" data-testid="alerts-table">
      <thead>
        <tr>
          <th>Rule</th>
          <th>Status</th>
          <th className="num" title="The metric's value at the last evaluation">
            Value
          </th>
          <th>Severity</th>
          <th>Since</th>
          <th>Evaluated</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((alert) => (
          <tr key={alert.rule}>
            <td className="mono">{alert.rule}</td>
            <td>
              <Badge tone={STATUS_TONES[alert.status]}>{alert.status}</Badge>
            </td>
            <td className="num">{formatNumber(alert.value)}</td>
            <td>
              <Badge tone={SEVERITY_TONES[alert.severity] ?? 'neutral'}>{alert.severity}</Badge>
            </td>
            <td className="when" title={formatDateTime(alert.since)}>
              {timeAgo(alert.since)}
            </td>
            <td className="when" title={formatDateTime(alert.evaluatedAt)}>
              {timeAgo(alert.evaluatedAt)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
