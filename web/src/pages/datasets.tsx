import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { PageHeader } from '../components/page-header.js';
import { formatCount, formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

export function DatasetsPage() {
  const state = useApi((signal) => api.datasets(signal), []);
  return (
    <>
      <PageHeader title="Datasets" />
      <AsyncView state={state}>
        {({ datasets }) =>
          datasets.length === 0 ? (
            <p className="muted">
              No datasets yet. Import one with <code>keel data import</code>.
            </p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th className="num">Versions</th>
                  <th className="num">Rows</th>
                  <th className="num">Columns</th>
                  <th>Source</th>
                  <th>Latest version</th>
                </tr>
              </thead>
              <tbody>
                {datasets.map((dataset) => (
                  <tr key={dataset.name}>
                    <td>
                      <Link to={`/datasets/${encodeURIComponent(dataset.name)}`}>{dataset.name}</Link>
                    </td>
                    <td className="num">{dataset.versions}</td>
                    <td className="num">{formatCount(dataset.latest.rows)}</td>
                    <td className="num">{dataset.latest.columns.length}</td>
                    <td className="mono truncate" title={dataset.latest.source.uri}>
                      {dataset.latest.source.kind}: {dataset.latest.source.uri}
                    </td>
                    <td>
                      v{dataset.latest.version} · {formatDateTime(dataset.latest.createdAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </AsyncView>
    </>
  );
}
