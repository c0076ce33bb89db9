import { useState } from 'react';
import type { Run } from '../../../src/core/entities.js';
import { api } from '../api.js';
import { AsyncView } from '../components/async-view.js';
import { StatusBadge } from '../components/badge.js';
import { PageHeader } from '../components/page-header.js';
import { formatDateTime, formatDuration, formatNumber } from '../format.js';
import { Link, navigate } from '../router.js';
import { useApi } from '../use-api.js';

/** The metrics a newcomer compares runs by; the run page shows all of them. */
const KEY_METRICS = ['accuracy', 'roc_auc', 'f1'] as const;

type SortKey = 'startedAt' | (typeof KEY_METRICS)[number];

function sortRuns(runs: readonly Run[], key: SortKey): Run[] {
  if (key === 'startedAt') return [...runs]; // The API answers newest first.
  // Best first; runs without the metric go last.
  return [...runs].sort((a, b) => (b.metrics[key] ?? -Infinity) - (a.metrics[key] ?? -Infinity));
}

export function RunsPage() {
  const state = useApi((signal) => api.runs(100, signal), []);
  const [sortKey, setSortKey] = useState<SortKey>('startedAt');
  const [selected, setSelected] = useState<readonly string[]>([]);
  const toggle = (id: string) =>
    setSelected((ids) => (ids.includes(id) ? ids.filter((other) => other !== id) : [...ids, id]));
  const compare = () => navigate(`/runs/compare?ids=${selected.map(encodeURIComponent).join(',')}`);

  const header = (key: SortKey, label: string, className = 'num') => (
    <th className={className} aria-sort={sortKey === key ? 'descending' : undefined}>
      <button type="button" className="sort" onClick={() => setSortKey(key)}>
        {label}
        {sortKey === key ? ' ↓' : ''}
      </button>
    </th>
  );

  return (
    <>
      <PageHeader title="Runs">
        <button type="button" className="button" disabled={selected.length < 2} onClick={compare}>
          Compare {selected.length > 0 ? `(${selected.length})` : 'selected'}
        </button>
      </PageHeader>
      <AsyncView state={state}>
        {({ runs }) =>
          runs.length === 0 ? (
            <p className="muted">
              No runs yet. Train a model with <code>keel run</code>.
            </p>
          ) : (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th className="select-cell" />
                    <th>Run</th>
                    <th>Status</th>
                    <th>Experiment</th>
                    <th>Algorithm</th>
                    {KEY_METRICS.map((metric) => header(metric, metric))}
                    {header('startedAt', 'Started', '')}
                    <th className="num">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {sortRuns(runs, sortKey).map((run) => (
                    <tr key={run.id}>
                      <td className="select-cell">
                        <input
                          type="checkbox"
                          aria-label={`Select ${run.name || run.id} to compare`}
                          checked={selected.includes(run.id)}
                          onChange={() => toggle(run.id)}
                        />
                      </td>
                      <td>
                        <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.name || run.id}</Link>
                        {run.parentRunId && <span className="muted small"> child</span>}
                      </td>
                      <td>
                        <StatusBadge status={run.status} />
                      </td>
                      <td>{run.experiment}</td>
                      <td className="mono">{String(run.params.algorithm ?? '—')}</td>
                      {KEY_METRICS.map((metric) => (
                        <td key={metric} className="num" data-metric={metric}>
                          {formatNumber(run.metrics[metric])}
                        </td>
                      ))}
                      <td className="when">{formatDateTime(run.startedAt)}</td>
                      <td className="num">{formatDuration(run.startedAt, run.endedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </AsyncView>
    </>
  );
}
