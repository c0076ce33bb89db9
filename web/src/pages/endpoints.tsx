import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { Badge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

export function EndpointsPage() {
  const state = useApi((signal) => api.endpoints(signal), []);
  return (
    <>
      <PageHeader title="Endpoints" />
      <AsyncView state={state}>
        {({ endpoints }) =>
          endpoints.length === 0 ? (
            <p className="muted">
              No endpoints yet. Deploy a model with <code>keel deploy</code>.
            </p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>Strategy</th>
                  <th>Traffic</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.map((endpoint) => (
                  <tr key={endpoint.name}>
                    <td>
                      <Link to={`/endpoints/${encodeURIComponent(endpoint.name)}`}>{endpoint.name}</Link>
                    </td>
                    <td>
                      <Badge>{endpoint.policy.strategy}</Badge>
                    </td>
                    <td className="mono">
                      {endpoint.policy.routes.map((r) => `${r.model}@v${r.version} ${r.percent}%`).join(' · ')}
                    </td>
                    <td className="when">{formatDateTime(endpoint.updatedAt)}</td>
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
