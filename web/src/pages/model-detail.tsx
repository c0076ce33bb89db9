import type { AliasEvent, Endpoint, ModelVersion, RegisteredModel } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { AliasBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { formatDateTime, formatNumber } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

export function ModelDetailPage({ name }: { name: string }) {
  const state = useApi(
    async (signal) => {
      const [model, endpoints] = await Promise.all([api.model(name, signal), api.endpoints(signal)]);
      return { ...model, endpoints: endpoints.endpoints };
    },
    [name],
  );
  return (
    <>
      <PageHeader title={name} crumbs={[{ label: 'Models', to: '/models' }]} />
      <AsyncView state={state}>
        {(data) => (
          <>
            {data.model.description && <p className="lead">{data.model.description}</p>}
            <VersionsTable model={data.model} versions={data.versions} endpoints={data.endpoints} />
            <AliasHistory events={data.aliasEvents} />
          </>
        )}
      </AsyncView>
    </>
  );
}

/** Metric columns: the union over versions, in a stable order. */
function metricKeys(versions: readonly ModelVersion[]): string[] {
  return [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))].sort();
}

function VersionsTable({
  model,
  versions,
  endpoints,
}: {
  model: RegisteredModel;
  versions: readonly ModelVersion[];
  endpoints: readonly Endpoint[];
}) {
  const metrics = metricKeys(versions);
  const aliasesOf = (version: number) =>
    Object.entries(model.aliases)
      .filter(([, v]) => v === version)
      .map(([alias]) => alias);
  const servedBy = (version: number) =>
    endpoints.filter((e) => e.policy.routes.some((r) => r.model === model.name && r.version === version));

  return (
    <section className="card">
      <h2>Versions</h2>
      <div className="table-scroll">
        <table className="table">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Algorithm</th>
              {metrics.map((metric) => (
                <th key={metric} className="num">
                  {metric}
                </th>
              ))}
              <th>Run</th>
              <th>Served by</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version}>
                <td>
                  <strong>v{version.version}</strong>
                </td>
                <td>
                  {aliasesOf(version.version).map((alias) => (
                    <AliasBadge key={alias} alias={alias} />
                  ))}
                </td>
                <td className="mono">{version.algorithm}</td>
                {metrics.map((metric) => (
                  <td key={metric} className="num">
                    {formatNumber(version.metrics[metric])}
                  </td>
                ))}
                <td>
                  {version.runId ? (
                    <Link to={`/runs/${encodeURIComponent(version.runId)}`}>
                      <span className="mono truncate-id" title={version.runId}>
                        {version.runId}
                      </span>
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {servedBy(version.version).map((endpoint) => (
                    <Link key={endpoint.name} to={`/endpoints/${encodeURIComponent(endpoint.name)}`}>
                      {endpoint.name}
                    </Link>
                  ))}
                </td>
                <td className="when">{formatDateTime(version.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function describeMove(event: AliasEvent): string {
  if (event.fromVersion === null) return `set to v${event.toVersion}`;
  if (event.toVersion === null) return `removed from v${event.fromVersion}`;
  return `v${event.fromVersion} → v${event.toVersion}`;
}

function AliasHistory({ events }: { events: readonly AliasEvent[] }) {
  return (
    <section className="card">
      <h2>Alias history</h2>
      {events.length === 0 ? (
        <p className="muted">No alias has been set.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>When</th>
              <th>Alias</th>
              <th>Move</th>
              <th>By</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event, i) => (
              // Events have no id; their order in the answer is their identity.
              <tr key={i}>
                <td className="when">{formatDateTime(event.at)}</td>
                <td>
                  <AliasBadge alias={event.alias} />
                </td>
                <td>{describeMove(event)}</td>
                <td>{event.actor}</td>
                <td>{event.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
