import type { Run } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { StatusBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { formatDuration, formatNumber } from '../format.js';
import { Link, useLocation } from '../router.js';
import { useApi } from '../use-api.js';

/** Metrics where smaller is better (errors, losses, time); every other metric is better when larger. */
const LOWER_IS_BETTER = /loss|error|mae|mse|mape|seconds|latency/i;

export function RunComparePage() {
  const { query } = useLocation();
  const ids = (query.get('ids') ?? '').split(',').filter(Boolean);
  const state = useApi((signal) => Promise.all(ids.map((id) => api.run(id, signal).then((r) => r.run))), [ids.join()]);
  return (
    <>
      <PageHeader title="Compare runs" crumbs={[{ label: 'Runs', to: '/runs' }]} />
      {ids.length < 2 ? (
        <p className="muted">
          Pick two or more runs on the <Link to="/runs">runs page</Link> to compare them.
        </p>
      ) : (
        <AsyncView state={state}>{(runs) => <CompareTable runs={runs} />}</AsyncView>
      )}
    </>
  );
}

function keysOf(records: ReadonlyArray<Readonly<Record<string, unknown>>>): string[] {
  return [...new Set(records.flatMap((record) => Object.keys(record)))].sort();
}

/** The best of the values, or undefined when there is nothing to choose between. */
function best(metric: string, values: ReadonlyArray<number | undefined>): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  if (present.length < 2 || new Set(present).size === 1) return undefined;
  return LOWER_IS_BETTER.test(metric) ? Math.min(...present) : Math.max(...present);
}

function CompareTable({ runs }: { runs: readonly Run[] }) {
  const metrics = keysOf(runs.map((run) => run.metrics));
  const params = keysOf(runs.map((run) => run.params));
  return (
    <div className="table-scroll card">
      <table className="table compare-table">
        <thead>
          <tr>
            <th />
            {runs.map((run) => (
              <th key={run.id}>
                <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.name || run.id}</Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Status</th>
            {runs.map((run) => (
              <td key={run.id}>
                <StatusBadge status={run.status} />
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row">Duration</th>
            {runs.map((run) => (
              <td key={run.id}>{formatDuration(run.startedAt, run.endedAt)}</td>
            ))}
          </tr>
          <tr className="group">
            <th colSpan={runs.length + 1}>Metrics (best in bold)</th>
          </tr>
          {metrics.map((metric) => {
            const values = runs.map((run) => run.metrics[metric]);
            const top = best(metric, values);
            return (
              <tr key={metric}>
                <th scope="row">{metric}</th>
                {values.map((value, i) => (
                  <td key={runs[i].id} className={value !== undefined && value === top ? 'best' : undefined}>
                    {formatNumber(value)}
                  </td>
                ))}
              </tr>
            );
          })}
          <tr className="group">
            <th colSpan={runs.length + 1}>Parameters (differences highlighted)</th>
          </tr>
          {params.map((param) => {
            const values = runs.map((run) => run.params[param]);
            const differ = new Set(values.map((v) => JSON.stringify(v))).size > 1;
            return (
              <tr key={param} className={differ ? 'differs' : undefined}>
                <th scope="row">{param}</th>
                {values.map((value, i) => (
                  <td key={runs[i].id} className="mono">
                    {value === undefined ? '—' : String(value)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
