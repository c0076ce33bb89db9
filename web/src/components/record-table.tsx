import type { ReactNode } from 'react';

interface RecordTableProps<V> {
  readonly record: Readonly<Record<string, V>>;
  readonly format?: (value: V) => ReactNode;
  readonly empty?: string;
}

/** A two-column table of a record (params, metrics, tags), sorted by key. */
export function RecordTable<V>({ record, format = String, empty = 'None' }: RecordTableProps<V>) {
  const keys = Object.keys(record).sort();
  if (keys.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="table record-table">
      <tbody>
        {keys.map((key) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td className="mono">{format(record[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
