import { lazy, Suspense } from 'react';
import type { Run } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AsyncView, Loading } from '../components/async-view.js';
import { StatusBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { RecordTable } from '../components/record-table.js';
import { formatBytes, formatDateTime, formatDuration, formatNumber, shortHash } from '../format.js';
import { Link } from '../router.js';
import { useApi } from '../use-api.js';

// The report draws charts: load it, and the charting library, only with a run that has one.
const EvaluationReportView = lazy(async () => ({
  default: (await import('../components/evaluation-report.js')).EvaluationReportView,
}));

/** The run artifact the evaluate step writes. */
const REPORT_PATH = 'evaluation/report.json';

export function RunDetailPage({ id }: { id: string }) {
  const state = useApi((signal) => api.run(id, signal), [id]);
  const run = state.data?.run;
  return (
    <>
      <PageHeader title={run?.name || id} crumbs={[{ label: 'Runs', to: '/runs' }]}>
        {run && <StatusBadge status={run.status} />}
      </PageHeader>
      <AsyncView state={state}>{(data) => <RunView run={data.run} />}</AsyncView>
    </>
  );
}

function RunView({ run }: { run: Run }) {
  return (
    <>
      <section className="card">
        <dl className="facts">
          <dt>Id</dt>
          <dd className="mono">{run.id}</dd>
          <dt>Experiment</dt>
          <dd>{run.experiment}</dd>
          <dt>Started</dt>
          <dd>{formatDateTime(run.startedAt)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(run.startedAt, run.endedAt)}</dd>
          <dt>Dataset versions</dt>
          <dd className="mono">{run.datasetVersionIds.length > 0 ? run.datasetVersionIds.join(', ') : '—'}</dd>
          {run.parentRunId && (
            <>
              <dt>Parent run</dt>
              <dd>
                <Link to={`/runs/${encodeURIComponent(run.parentRunId)}`}>{run.parentRunId}</Link>
              </dd>
            </>
          )}
          {run.pipelineRunId && (
            <>
              <dt>Pipeline run</dt>
              <dd className="mono">{run.pipelineRunId}</dd>
            </>
          )}
        </dl>
      </section>

      <div className="columns">
        <section className="card">
          <h2>Metrics</h2>
          <RecordTable record={run.metrics} format={formatNumber} empty="No metrics logged." />
        </section>
        <section className="card">
          <h2>Parameters</h2>
          <RecordTable record={run.params} empty="No parameters logged." />
        </section>
      </div>

      <div className="columns">
        <section className="card">
          <h2>Tags</h2>
          <RecordTable record={run.tags} empty="No tags." />
        </section>
        <section className="card">
          <h2>Artifacts</h2>
          {run.artifacts.length === 0 ? (
            <p className="muted">No artifacts.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Path</th>
                  <th className="num">Size</th>
                  <th>Digest</th>
                </tr>
              </thead>
              <tbody>
                {run.artifacts.map((artifact) => (
                  <tr key={artifact.path}>
                    <td className="mono">{artifact.path}</td>
                    <td className="num">{formatBytes(artifact.size)}</td>
                    <td className="mono muted" title={artifact.digest}>
                      {shortHash(artifact.digest)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      {run.artifacts.some((a) => a.path === REPORT_PATH) && <EvaluationReport runId={run.id} />}
    </>
  );
}

function EvaluationReport({ runId }: { runId: string }) {
  const state = useApi((signal) => api.runEvaluation(runId, signal), [runId]);
  return (
    <AsyncView state={state}>
      {({ report }) => (
        <Suspense fallback={<Loading />}>
          <EvaluationReportView report={report} />
        </Suspense>
      )}
    </AsyncView>
  );
}
