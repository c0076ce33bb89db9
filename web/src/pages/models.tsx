import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { AliasBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

export function ModelsPage() {
  const state = useApi((signal) => api.models(signal), []);
  return (
    <>
      <PageHeader title="Models" />
      <AsyncView state={state}>
        {({ models }) =>
          models.length === 0 ? (
            <p className="muted">No registered models. A pipeline's register step adds them.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Description</th>
                  <th className="num">Latest version</th>
                  <th>Aliases</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {models.map((model) => (
                  <tr key={model.name}>
                    <td>
                      <Link to={`/models/${encodeURIComponent(model.name)}`}>{model.name}</Link>
                    </td>
                    <td>{model.description || <span className="muted">—</span>}</td>
                    <td className="num">v{model.latestVersion}</td>
                    <td>
                      {Object.entries(model.aliases).map(([alias, version]) => (
                        <span key={alias} className="alias">
                          <AliasBadge alias={alias} /> v{version}
                        </span>
                      ))}
                    </td>
                    <td className="when">{formatDateTime(model.createdAt)}</td>
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
