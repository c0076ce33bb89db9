/**
 * In-memory data shapes shared by data, features, ml and serving.
 *
 * A Table is columnar: numeric columns are Float64Array with NaN for missing, text columns are
 * arrays with null for missing. Hot loops never see per-row objects.
 */
export interface NumericColumn {
  readonly name: string;
  readonly kind: 'number';
  readonly values: Float64Array;
}

export interface TextColumn {
  readonly name: string;
  readonly kind: 'string';
  readonly values: ReadonlyArray<string | null>;
}

export type Column = NumericColumn | TextColumn;

export interface Table {
  readonly rows: number;
  readonly columns: readonly Column[];
}

/** A dense row-major matrix, as the estimators take it. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array | Float32Array;
}

/** One raw input row as a user sends it to an endpoint: column name → value. */
export type Row = Readonly<Record<string, unknown>>;

export function column(table: Table, name: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column named "${name}"`);
  return found;
}

/** Rows `indices` of `table`, in that order. */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const n = indices.length;
  const columns = table.columns.map((c): Column => {
    if (c.kind === 'number') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[indices[i]];
      return { name: c.name, kind: 'number', values };
    }
    const values = new Array<string | null>(n);
    for (let i = 0; i < n; i++) values[i] = c.values[indices[i]];
    return { name: c.name, kind: 'string', values };
  });
  return { rows: n, columns };
}

export function dropColumns(table: Table, names: readonly string[]): Table {
  return { rows: table.rows, columns: table.columns.filter((c) => !names.includes(c.name)) };
}

/** Row `index` as an endpoint takes it: column → value, missing as null, without `omit`. */
export function rowAt(table: Table, index: number, omit: readonly string[] = []): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of table.columns) {
    if (omit.includes(c.name)) continue;
    const value = c.values[index];
    row[c.name] = typeof value === 'number' && Number.isNaN(value) ? null : value;
  }
  return row;
}
