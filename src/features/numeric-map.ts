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

/**
 * The shared body of the stateless numeric transforms (log, clip): fitting only records the
 * column names (and checks they are numeric); both paths map every value through `apply`.
 */
export abstract class NumericMap {
  abstract readonly type: string;
  readonly input = 'number';
  private names: readonly string[] | null = null;

  /** The per-value function both paths share. */
  protected abstract apply(value: number): number;

  fit(table: Table): this {
    this.names = null;
    for (const c of table.columns) numericValues(table, c.name, this.type);
    this.names = table.columns.map((c) => c.name);
    return this;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.inputNames().map((name): Column => {
        const input = numericValues(table, name, this.type);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = this.apply(input[i]);
        return { name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const name of this.inputNames()) out[name] = this.apply(recordNumber(record, name));
    return out;
  }

  inputNames(): string[] {
    if (!this.names) throw notFitted(this.type);
    return [...this.names];
  }

  outputNames(): string[] {
    return this.inputNames();
  }

  protected stateJSON(): unknown {
    return this.names && { columns: this.names.map((name) => ({ name })) };
  }

  protected restoreState(json: TransformJSON, path: string): void {
    if (json.state !== null) this.names = jsonColumns(json.state, path, (c, at) => jsonString(c.name, `${at}.name`));
  }
}
