import { api, type PipelineRunWithSteps } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { StatusBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { Stat, StatGrid } from '../components/stat.js';
import { formatCount, formatDateTime, formatDuration, formatNumber, shortHash, timeAgo } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

const RUN_LIMIT = 100;

export function OverviewPage() {
  const state = useApi(async (signal) => {
    const [datasets, runs, models, endpoints, pipelineRuns] = await Promise.all([
      api.datasets(signal),
      api.runs(RUN_LIMIT, signal),
      api.models(signal),
      api.endpoints(signal),
      api.pipelineRuns(1, signal),
    ]);
    return { ...datasets, ...runs, ...models, ...endpoints, ...pipelineRuns };
  }, []);

  return (
    <>
      <PageHeader title="Overview" />
      <AsyncView state={state}>
        {(data) => (
          <>
            <StatGrid>
              <Stat label="Datasets" value={<Link to="/datasets">{formatCount(data.datasets.length)}</Link>} />
              <Stat
                label="Runs"
                value={
                  <Link to="/runs">
                    {formatCount(data.runs.length)}
                    {data.runs.length === RUN_LIMIT ? '+' : ''}
                  </Link>
                }
              />
              <Stat label="Models" value={<Link to="/models">{formatCount(data.models.length)}</Link>} />
              <Stat label="Endpoints" value={<Link to="/endpoints">{formatCount(data.endpoints.length)}</Link>} />
            </StatGrid>

            <section className="card">
              <h2>Latest pipeline run</h2>
              {data.pipelineRuns[0] ? (
                <PipelineRunView run={data.pipelineRuns[0]} />
              ) : (
                <p className="muted">
                  No pipeline has run yet. Run one with <code>keel run</code>, or try <code>keel demo</code>.
                </p>
              )}
            </section>

            <div className="columns">
              <section className="card">
                <h2>Models</h2>
                {data.models.length === 0 ? (
                  <p className="muted">No registered models.</p>
                ) : (
                  <ul className="link-list">
                    {data.models.map((model) => (
                      <li key={model.name}>
                        <Link to={`/models/${encodeURIComponent(model.name)}`}>{model.name}</Link>{' '}
                        <span className="muted">
                          v{model.latestVersion}
                          {Object.entries(model.aliases).map(([alias, version]) => ` · @${alias} → v${version}`)}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              <section className="card">
                <h2>Endpoints</h2>
                {data.endpoints.length === 0 ? (
                  <p className="muted">No endpoints deployed.</p>
                ) : (
                  <ul className="link-list">
                    {data.endpoints.map((endpoint) => (
                      <li key={endpoint.name}>
                        <Link to={`/endpoints/${encodeURIComponent(endpoint.name)}`}>{endpoint.name}</Link>{' '}
                        <span className="muted">
                          {endpoint.policy.strategy} ·{' '}
                          {endpoint.policy.routes.map((r) => `${r.model}@v${r.version} ${r.percent}%`).join(', ')}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </div>

            {data.runs.length > 0 && (
              <section className="card">
                <h2>Recent runs</h2>
                <ul className="link-list">
                  {data.runs.slice(0, 5).map((run) => (
                    <li key={run.id}>
                      <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.name || run.id}</Link>{' '}
                      <StatusBadge status={run.status} />{' '}
                      <span className="muted">
                        {run.metrics.roc_auc !== undefined && `roc_auc ${formatNumber(run.metrics.roc_auc)} · `}
                        {timeAgo(run.startedAt)}
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            )}
          </>
        )}
      </AsyncView>
    </>
  );
}

function PipelineRunView({ run }: { run: PipelineRunWithSteps }) {
  const cached = run.steps.filter((step) => step.status === 'cached').length;
  return (
    <>
      <p className="meta-line">
        <StatusBadge status={run.status} /> <span className="mono">{run.id}</span> · project{' '}
        <strong>{run.project}</strong> · started {formatDateTime(run.startedAt)} · took{' '}
        {formatDuration(run.startedAt, run.endedAt)} · {run.steps.length} steps, {cached} cached
      </p>
      {run.error && <div className="error">{run.error}</div>}
      <table className="table">
        <thead>
          <tr>
            <th>Step</th>
            <th>Status</th>
            <th>Cached</th>
            <th className="num">Duration</th>
            <th>Input hash</th>
          </tr>
        </thead>
        <tbody>
          {run.steps.map((step) => (
            <tr key={step.step}>
              <td>{step.step}</td>
              <td>
                <StatusBadge status={step.status} />
              </td>
              <td>{step.status === 'cached' ? 'yes' : 'no'}</td>
              <td className="num">{formatDuration(step.startedAt, step.endedAt)}</td>
              <td className="mono muted">{shortHash(step.inputHash)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {run.steps.some((step) => step.error) && (
        <ul className="errors">
          {run.steps
            .filter((step) => step.error)
            .map((step) => (
              <li key={step.step}>
                <strong>{step.step}:</strong> {step.error}
              </li>
            ))}
        </ul>
      )}
    </>
  );
}
