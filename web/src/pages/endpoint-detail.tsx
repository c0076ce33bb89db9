import { useState } from 'react';
import type { EndpointEvent, EndpointMonitoring, TrafficPolicy, TrafficRoute } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AlertsTable, alertsSummary } from '../components/alerts-table.js';
import { AsyncView } from '../components/async-view.js';
import { Badge } from '../components/badge.js';
import { CodeBlock } from '../components/code-block.js';
import { DriftChart } from '../components/drift-chart.js';
import { DriftTable } from '../components/drift-table.js';
import { LatencyChart } from '../components/latency-chart.js';
import { PageHeader } from '../components/page-header.js';
import { QualitySection } from '../components/quality-section.js';
import { Stat, StatGrid } from '../components/stat.js';
import { ThroughputChart } from '../components/throughput-chart.js';
import { formatClock, formatCount, formatDateTime, formatMs, formatPercent } from '../format.js';
import { Link } from '../router.js';
import { curlCommand, sampleInstance } from '../sample-instance.js';
import { useApi } from '../use-api.js';

const REFRESH_MS = 5000;

const WINDOWS = [
  { label: 'Last 15 minutes', ms: 15 * 60_000 },
  { label: 'Last hour', ms: 60 * 60_000 },
  { label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  { label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
];

export function EndpointDetailPage({ name }: { name: string }) {
  const [windowMs, setWindowMs] = useState(WINDOWS[1].ms);
  const state = useApi(
    async (signal) => {
      const since = new Date(Date.now() - windowMs);
      const [detail, monitoring] = await Promise.all([api.endpoint(name, signal), api.monitoring(name, since, signal)]);
      return { ...detail, monitoring, fetchedAt: new Date().toISOString() };
    },
    [name, windowMs],
    { refreshMs: REFRESH_MS },
  );

  return (
    <>
      <PageHeader title={name} crumbs={[{ label: 'Endpoints', to: '/endpoints' }]}>
        {state.data && <Badge>{state.data.endpoint.policy.strategy}</Badge>}
      </PageHeader>
      <AsyncView state={state}>
        {(data) => (
          <>
            <section className="card">
              <h2>Traffic policy</h2>
              <PolicyTable policy={data.endpoint.policy} />
            </section>

            <section className="card">
              <div className="card-title-row">
                <h2>Monitoring</h2>
                <div className="toolbar">
                  <span className="muted small">
                    refreshes every {REFRESH_MS / 1000} s · updated {formatClock(data.fetchedAt, { seconds: true })}
                  </span>
                  <select
                    aria-label="Window"
                    value={windowMs}
                    onChange={(event) => setWindowMs(Number(event.target.value))}
                  >
                    {WINDOWS.map((w) => (
                      <option key={w.ms} value={w.ms}>
                        {w.label}
                      </option>
                    ))}
                  </select>
                </div>
              </div>
              <MonitoringStats monitoring={data.monitoring} />
              <h3>Latency per minute</h3>
              <LatencyChart monitoring={data.monitoring} />
              <h3>Throughput per minute</h3>
              <ThroughputChart monitoring={data.monitoring} />
            </section>

            <section className="card">
              <div className="card-title-row">
                <h2>Alerts</h2>
                <AlertsBadge alerts={data.monitoring.alerts} />
              </div>
              <AlertsTable alerts={data.monitoring.alerts} />
            </section>

            <section className="card">
              <div className="card-title-row">
                <h2>Input drift</h2>
                <DriftSubject drift={data.monitoring.drift} />
              </div>
              <DriftTable drift={data.monitoring.drift} of="input" />
              <h3>Over time</h3>
              <DriftChart
                drift={data.monitoring.drift}
                of="input"
                since={data.monitoring.since}
                until={data.monitoring.until}
              />
            </section>

            <section className="card">
              <div className="card-title-row">
                <h2>Output drift</h2>
                <DriftSubject drift={data.monitoring.drift} />
              </div>
              <DriftTable drift={data.monitoring.drift} of="output" />
              {data.monitoring.drift.output.length > 0 && (
                <>
                  <h3>Over time</h3>
                  <DriftChart
                    drift={data.monitoring.drift}
                    of="output"
                    since={data.monitoring.since}
                    until={data.monitoring.until}
                  />
                </>
              )}
            </section>

            <section className="card">
              <h2>Quality from feedback</h2>
              <QualitySection monitoring={data.monitoring} endpoint={name} />
            </section>

            <section className="card">
              <h2>Try it</h2>
              <PredictSnippet endpoint={name} policy={data.endpoint.policy} />
            </section>

            <section className="card">
              <h2>History</h2>
              <EventsTable events={data.events} />
            </section>
          </>
        )}
      </AsyncView>
    </>
  );
}

function PolicyTable({ policy }: { policy: TrafficPolicy }) {
  return (
    <>
      <table className="table">
        <thead>
          <tr>
            <th>Variant</th>
            <th>Model</th>
            <th className="num">Traffic</th>
            <th className="share-cell" />
          </tr>
        </thead>
        <tbody>
          {policy.routes.map((route) => (
            <tr key={route.variant}>
              <td>{route.variant}</td>
              <td className="mono">
                <Link to={`/models/${encodeURIComponent(route.model)}`}>
                  {route.model}@v{route.version}
                </Link>
              </td>
              <td className="num">{route.percent}%</td>
              <td className="share-cell">
                <div className="share-track">
                  <div className="share-bar" style={{ width: `${route.percent}%` }} />
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {policy.stickyKey && (
        <p className="muted small">
          Sticky by <code>{policy.stickyKey}</code>: one key always reaches the same variant.
        </p>
      )}
    </>
  );
}

function MonitoringStats({ monitoring }: { monitoring: EndpointMonitoring }) {
  const latency = monitoring.latencyMs;
  return (
    <StatGrid>
      <Stat label="Requests" value={formatCount(monitoring.requests)} />
      <Stat label="Predictions" value={formatCount(monitoring.predictions)} hint="rows scored" />
      <Stat
        label="Error rate"
        value={formatPercent(monitoring.errorRate)}
        hint={`${formatCount(monitoring.errors)} errors`}
      />
      <Stat label="p50 latency" value={formatMs(latency?.p50)} />
      <Stat label="p95 latency" value={formatMs(latency?.p95)} />
      <Stat label="p99 latency" value={formatMs(latency?.p99)} />
    </StatGrid>
  );
}

function AlertsBadge({ alerts }: { alerts: EndpointMonitoring['alerts'] }) {
  const { text, tone } = alertsSummary(alerts);
  return <Badge tone={tone}>{text}</Badge>;
}

/** Drift is judged for the version taking most of the traffic: which one. */
function DriftSubject({ drift }: { drift: EndpointMonitoring['drift'] }) {
  if (drift.model === null) return null;
  return (
    <span className="muted small mono">
      {drift.model}@v{drift.version}
    </span>
  );
}

/** The route most traffic goes to: its model's signature shapes the example request. */
function primaryRoute(policy: TrafficPolicy): TrafficRoute | undefined {
  return [...policy.routes].sort((a, b) => b.percent - a.percent)[0];
}

function PredictSnippet({ endpoint, policy }: { endpoint: string; policy: TrafficPolicy }) {
  const route = primaryRoute(policy);
  const state = useApi(
    async (signal) => {
      if (!route) return null;
      const [model, { datasets }] = await Promise.all([api.model(route.model, signal), api.datasets(signal)]);
      const version = model.versions.find((v) => v.version === route.version);
      if (!version) return null;
      const trainedOn = datasets.find((d) => d.latest.id === version.datasetVersionId)?.latest;
      return curlCommand(window.location.origin, endpoint, sampleInstance(version.signature, trainedOn?.profile));
    },
    [endpoint, route?.model, route?.version],
  );
  return (
    <AsyncView state={state}>
      {(command) =>
        command === null ? (
          <p className="muted">This endpoint routes to no model version yet.</p>
        ) : (
          <>
            <p className="muted small">A prediction for one row, ready to paste into a terminal:</p>
            <CodeBlock code={command} />
          </>
        )
      }
    </AsyncView>
  );
}

function describePolicy(policy: TrafficPolicy): string {
  return `${policy.strategy}: ${policy.routes.map((r) => `${r.model}@v${r.version} ${r.percent}%`).join(', ')}`;
}

function EventsTable({ events }: { events: readonly EndpointEvent[] }) {
  if (events.length === 0) return <p className="muted">No changes recorded.</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>When</th>
          <th>Change</th>
          <th>Policy</th>
          <th>By</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event, i) => (
          // Events have no id; their order in the answer is their identity.
          <tr key={i}>
            <td className="when">{formatDateTime(event.at)}</td>
            <td>{event.kind}</td>
            <td className="mono">{describePolicy(event.policy)}</td>
            <td>{event.actor}</td>
            <td>{event.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
