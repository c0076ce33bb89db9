import type { ColumnSchema, DatasetVersion } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { Distribution } from '../components/distribution.js';
import { PageHeader } from '../components/page-header.js';
import { formatCount, formatDateTime, formatNumber, formatPercent, shortHash } from '../format.js';
import { Link, useLocation } from '../router.js';
import { useApi } from '../use-api.js';

export function DatasetDetailPage({ name }: { name: string }) {
  const { query } = useLocation();
  const state = useApi((signal) => api.dataset(name, signal), [name]);
  const requested = Number(query.get('version'));

  return (
    <>
      <PageHeader title={name} crumbs={[{ label: 'Datasets', to: '/datasets' }]} />
      <AsyncView state={state}>
        {({ versions }) => {
          if (versions.length === 0) return <p className="muted">This dataset has no versions.</p>;
          const selected = versions.find((v) => v.version === requested) ?? versions[0];
          return (
            <>
              <VersionTabs name={name} versions={versions} selected={selected.version} />
              <VersionView version={selected} />
            </>
          );
        }}
      </AsyncView>
    </>
  );
}

function VersionTabs({ name, versions, selected }: { name: string; versions: DatasetVersion[]; selected: number }) {
  if (versions.length < 2) return null;
  return (
    <nav className="tabs" aria-label="Versions">
      {versions.map((v) => (
        <Link
          key={v.id}
          to={`/datasets/${encodeURIComponent(name)}?version=${v.version}`}
          className={v.version === selected ? 'active' : undefined}
        >
          v{v.version}
        </Link>
      ))}
    </nav>
  );
}

function VersionView({ version }: { version: DatasetVersion }) {
  const schemaByName = new Map<string, ColumnSchema>(version.schema.columns.map((c) => [c.name, c]));
  return (
    <>
      <section className="card">
        <h2>Version {version.version}</h2>
        <dl className="facts">
          <dt>Rows</dt>
          <dd>{formatCount(version.rows)}</dd>
          <dt>Columns</dt>
          <dd>{version.columns.length}</dd>
          <dt>Source</dt>
          <dd className="mono">
            {version.source.kind}: {version.source.uri}
          </dd>
          <dt>Content hash</dt>
          <dd className="mono" title={version.contentHash}>
            {shortHash(version.contentHash)}
          </dd>
          <dt>Id</dt>
          <dd className="mono">{version.id}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(version.createdAt)}</dd>
        </dl>
      </section>

      <section className="card">
        <h2>Profile</h2>
        <div className="table-scroll">
          <table className="table profile-table">
            <thead>
              <tr>
                <th>Column</th>
                <th>Type</th>
                <th className="num">Missing</th>
                <th className="num">Distinct</th>
                <th className="num">Mean</th>
                <th className="num">Std</th>
                <th className="num">Min</th>
                <th className="num">Max</th>
                <th>Distribution</th>
              </tr>
            </thead>
            <tbody>
              {version.profile.columns.map((column) => {
                const schema = schemaByName.get(column.name);
                const missingRatio = column.count > 0 ? column.missing / column.count : 0;
                return (
                  <tr key={column.name}>
                    <td>
                      <strong>{column.name}</strong>
                      {schema?.nullable && <span className="muted small"> nullable</span>}
                    </td>
                    <td>
                      <span className="type">{column.type}</span>
                    </td>
                    <td className={`num${column.missing > 0 ? ' warn' : ''}`}>
                      {formatCount(column.missing)}
                      {column.missing > 0 && <span className="muted small"> ({formatPercent(missingRatio)})</span>}
                    </td>
                    <td className="num">{formatCount(column.distinct)}</td>
                    <td className="num">{formatNumber(column.mean)}</td>
                    <td className="num">{formatNumber(column.std)}</td>
                    <td className="num">{formatNumber(column.min)}</td>
                    <td className="num">{formatNumber(column.max)}</td>
                    <td>
                      <Distribution column={column} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
