import type { ColumnProfile } from '../../../src/core/entities.js';
import { formatCount, formatNumber } from '../format.js';

/** A small histogram (numeric columns) or top-values bar list (categorical columns). */
export function Distribution({ column }: { column: ColumnProfile }) {
  if (column.histogram && column.histogram.length > 0) return <Histogram column={column} />;
  // An identifier column: a bar per value would say nothing.
  if (column.distinct > 1 && column.distinct === column.count - column.missing) {
    return <span className="muted small">every value unique</span>;
  }
  if (column.topValues && column.topValues.length > 0) return <TopValues column={column} />;
  return <span className="muted">—</span>;
}

function Histogram({ column }: { column: ColumnProfile }) {
  const bins = column.histogram ?? [];
  const max = Math.max(...bins.map((bin) => bin.count), 1);
  return (
    <div className="histogram" role="img" aria-label={`Histogram of ${column.name}`}>
      {bins.map((bin) => (
        <div
          key={bin.lower}
          className="histogram-bar"
          style={{ height: `${Math.max((bin.count / max) * 100, bin.count > 0 ? 4 : 0)}%` }}
          title={`${formatNumber(bin.lower)} – ${formatNumber(bin.upper)}: ${formatCount(bin.count)}`}
        />
      ))}
    </div>
  );
}

const TOP_SHOWN = 4;

function TopValues({ column }: { column: ColumnProfile }) {
  const values = (column.topValues ?? []).slice(0, TOP_SHOWN);
  const total = Math.max(column.count, 1);
  return (
    <div className="top-values">
      {values.map((top) => (
        <div key={top.value} className="top-value" title={`${top.value}: ${formatCount(top.count)}`}>
          <span className="top-value-label">{top.value === '' ? '(empty)' : top.value}</span>
          <span className="top-value-track">
            <span className="top-value-bar" style={{ width: `${(top.count / total) * 100}%` }} />
          </span>
        </div>
      ))}
      {(column.topValues?.length ?? 0) > TOP_SHOWN && (
        <div className="muted small">+{(column.topValues?.length ?? 0) - TOP_SHOWN} more</div>
      )}
    </div>
  );
}
