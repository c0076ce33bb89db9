import { KeelError, type Column, type Table } from '../core/index.js';
import {
  columnOf,
  jsonArray,
  jsonNumber,
  jsonObject,
  jsonString,
  notFitted,
  recordNumber,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

interface ScalerColumn {
  readonly name: string;
  readonly mean: number;
  readonly scale: number;
}

/** The per-value function both paths share. */
export const standardize = (value: number, mean: number, scale: number): number => (value - mean) / scale;

/**
 * Centres each numeric column on its mean and divides by its population standard deviation
 * (ddof=0), as scikit-learn's StandardScaler; a constant column gets scale 1. Missing values
 * (NaN) are ignored when fitting and stay missing.
 */
export class StandardScaler implements Transform {
  readonly type = 'StandardScaler';
  private columns: readonly ScalerColumn[] | null = null;

  fit(table: Table): this {
    this.columns = table.columns.map((column) => learn(column));
    return this;
  }

  transform(table: Table): Table {
    return {
      rows: table.rows,
      columns: this.fitted().map((state): Column => {
        const column = columnOf(table, state.name, this.type);
        if (column.kind !== 'number') throw notNumeric(state.name);
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = standardize(column.values[i], state.mean, state.scale);
        return { name: state.name, kind: 'number', values };
      }),
    };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      out[state.name] = standardize(recordNumber(record, state.name), state.mean, state.scale);
    }
    return out;
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.inputNames();
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: {}, state: this.columns && { columns: this.columns } };
  }

  static fromJSON(json: TransformJSON, path = 'StandardScaler'): StandardScaler {
    const scaler = new StandardScaler();
    if (json.state !== null) {
      const columns = jsonArray(jsonObject(json.state, `${path}.state`).columns, `${path}.state.columns`);
      scaler.columns = columns.map((value, i) => {
        const at = `${path}.state.columns[${i}]`;
        const c = jsonObject(value, at);
        return {
          name: jsonString(c.name, `${at}.name`),
          mean: jsonNumber(c.mean, `${at}.mean`),
          scale: jsonNumber(c.scale, `${at}.scale`),
        };
      });
    }
    return scaler;
  }

  private fitted(): readonly ScalerColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}

function learn(column: Column): ScalerColumn {
  if (column.kind !== 'number') throw notNumeric(column.name);
  let n = 0;
  let sum = 0;
  for (const x of column.values) {
    if (Number.isNaN(x)) continue;
    n++;
    sum += x;
  }
  if (n === 0) {
    throw new KeelError('invalid_data', `StandardScaler: column "${column.name}" has no values`, {
      field: column.name,
    });
  }
  const mean = sum / n;
  let squares = 0;
  for (const x of column.values) if (!Number.isNaN(x)) squares += (x - mean) * (x - mean);
  const std = Math.sqrt(squares / n);
  return { name: column.name, mean, scale: std === 0 ? 1 : std };
}

function notNumeric(name: string): KeelError {
  return new KeelError('invalid_data', `StandardScaler: column "${name}" is not numeric`, { field: name });
}
