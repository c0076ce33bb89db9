import { useState } from 'react';
import type { AliasEvent, Endpoint, ModelVersion, RegisteredModel } from '../../../src/core/entities.js';
import type { Lineage, LineageNode } from '../../../src/core/reports.js';
import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { AliasBadge, Badge } from '../components/badge.js';
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
            <VersionDetail model={data.model} versions={data.versions} />
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
              <th>Gate</th>
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
                  <GateBadge version={version} />
                </td>
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

function GateBadge({ version }: { version: ModelVersion }) {
  const { blessing } = version;
  if (!blessing) return <Badge tone="muted">not gated</Badge>;
  const failed = blessing.checks.filter((c) => !c.passed).map((c) => c.reason);
  return (
    <span title={failed.length ? failed.join('\n') : blessing.reasons.join('\n')}>
      <Badge tone={blessing.passed ? 'good' : 'bad'}>{blessing.passed ? 'blessed' : 'not blessed'}</Badge>
    </span>
  );
}

/** One version's lineage and model card; the champion's (or the latest) first. */
function VersionDetail({ model, versions }: { model: RegisteredModel; versions: readonly ModelVersion[] }) {
  const initial = model.aliases.champion ?? model.latestVersion;
  const [selected, setSelected] = useState(initial);
  const state = useApi(
    async (signal) => {
      const [lineage, card] = await Promise.all([
        api.modelLineage(model.name, selected, signal),
        api.modelCard(model.name, selected, signal).catch(() => null),
      ]);
      return { lineage: lineage.lineage, card };
    },
    [model.name, selected],
  );
  return (
    <section className="card" data-testid="version-detail">
      <div className="card-title-row">
        <h2>Lineage and model card</h2>
        <select aria-label="Version" value={selected} onChange={(event) => setSelected(Number(event.target.value))}>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version}
            </option>
          ))}
        </select>
      </div>
      <AsyncView state={state}>
        {({ lineage, card }) => (
          <>
            <LineageChain lineage={lineage} />
            {card ? (
              <>
                <h3>Limitations</h3>
                <ul className="limitations">
                  {card.card.limitations.map((text) => (
                    <li key={text}>{text}</li>
                  ))}
                </ul>
                <details>
                  <summary>Model card (Markdown)</summary>
                  <pre className="model-card">{card.markdown}</pre>
                </details>
              </>
            ) : (
              <p className="muted">No model card stored for this version.</p>
            )}
          </>
        )}
      </AsyncView>
    </section>
  );
}

const STAGES: ReadonlyArray<{ kind: LineageNode['kind']; label: string }> = [
  { kind: 'dataset_version', label: 'Data' },
  { kind: 'run', label: 'Run' },
  { kind: 'model_version', label: 'Model version' },
  { kind: 'endpoint', label: 'Endpoints' },
];

/** The lineage graph as its stages, upstream to downstream: data → run → version → endpoints. */
function LineageChain({ lineage }: { lineage: Lineage }) {
  return (
    <ol className="lineage">
      {STAGES.map((stage) => {
        const nodes = lineage.nodes.filter((n) => n.kind === stage.kind);
        return (
          <li key={stage.kind} className="lineage-stage">
            <div className="muted small">{stage.label}</div>
            {nodes.length === 0 ? (
              <span className="muted">—</span>
            ) : (
              nodes.map((node) => <LineageItem key={node.id} node={node} />)
            )}
          </li>
        );
      })}
    </ol>
  );
}

function LineageItem({ node }: { node: LineageNode }) {
  switch (node.kind) {
    case 'dataset_version':
      return (
        <div className="lineage-node">
          <Link to={`/datasets/${encodeURIComponent(node.dataset)}`}>
            {node.dataset}@{node.version}
          </Link>{' '}
          <span className="muted small">
            {node.rows.toLocaleString('en-US')} rows · {node.source}
          </span>
        </div>
      );
    case 'run':
      return (
        <div className="lineage-node">
          <Link to={`/runs/${encodeURIComponent(node.runId)}`}>{node.name}</Link>{' '}
          <span className="muted small">{node.status}</span>
        </div>
      );
    case 'model_version':
      return (
        <div className="lineage-node">
          <strong>
            {node.name}@{node.version}
          </strong>{' '}
          {node.aliases.map((alias) => (
            <AliasBadge key={alias} alias={alias} />
          ))}
        </div>
      );
    case 'endpoint':
      return (
        <div className="lineage-node">
          <Link to={`/endpoints/${encodeURIComponent(node.name)}`}>{node.name}</Link>{' '}
          <span className="muted small">{node.routes.map((r) => `${r.variant} ${r.percent}%`).join(', ')}</span>
        </div>
      );
  }
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
                <td>
                  {describeMove(event)} {event.override && <Badge tone="bad">gate override</Badge>}
                </td>
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
