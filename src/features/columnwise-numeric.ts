import type { Column, Table } from '../core/index.js';
import {
  jsonColumns,
  jsonString,
  notFitted,
  numericValues,
  recordNumber,
  type FeatureRecord,
  type TransformJSON,
} from './transform.js';

/** What a column-wise transform learns about one column: its name, and its own statistics. */
export interface ColumnState {
  readonly name: string;
}

/**
 * The shared body of the numeric transforms that map each column on its own, value by value
 * (the scalers, log, clip): `fit` learns one state per column, and the batch and row paths both
 * send every value through the same `apply`, so they agree bit for bit. A subclass says what it
 * learns, how it maps a value and how to read one column's state back from JSON; the fitted
 * state's JSON is `{ columns: [state, …] }`.
 */
export abstract class ColumnwiseNumeric<S extends ColumnState> {
  abstract readonly type: string;
  abstract readonly params: Readonly<Record<string, unknown>>;
  readonly input = 'number';
  private columns: readonly S[] | null = null;

  /** The state of one column from its training values (NaN = missing). */
  protected abstract learn(values: Float64Array, name: string): S;
  /** The per-value function both paths share. */
  protected abstract apply(value: number, state: S): number;
  /** One column's fitted state from JSON, every field checked (`at` is its path, for errors). */
  protected abstract readColumn(json: Record<string, unknown>, at: string): S;

  fit(table: Table): this {
    // A fit that fails halfway must not leave the previous fit looking valid.
    this.columns = null;
    this.columns = table.columns.map((c) => this.learn(numericValues(table, c.name, this.type), c.name));
    return this;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.fitted().map((state): Column => {
        const input = numericValues(table, state.name, this.type);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = this.apply(input[i], state);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) out[state.name] = this.apply(recordNumber(record, state.name), state);
    return out;
  }

  transformRecordInto(record: Readonly<FeatureRecord>, out: Float64Array, offset: number): void {
    const columns = this.fitted();
    for (let j = 0; j < columns.length; j++)
      out[offset + j] = this.apply(recordNumber(record, columns[j].name), columns[j]);
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.inputNames();
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.columns && { columns: this.columns } };
  }

  /** Restores the fitted state written by `toJSON` (none when the transform was saved unfitted). */
  protected restore(json: TransformJSON, path: string): this {
    if (json.state !== null) this.columns = jsonColumns(json.state, path, (c, at) => this.readColumn(c, at));
    return this;
  }

  private fitted(): readonly S[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}

/** A column-wise transform with nothing to learn but the column names (log, clip). */
export abstract class NumericMap extends ColumnwiseNumeric<ColumnState> {
  protected learn(_values: Float64Array, name: string): ColumnState {
    return { name };
  }

  protected readColumn(json: Record<string, unknown>, at: string): ColumnState {
    return { name: jsonString(json.name, `${at}.name`) };
  }
}
