import type { Column, Table } from '../core/index.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  jsonColumns,
  jsonNumbers,
  jsonString,
  noValues,
  notFitted,
  numericValues,
  quantileSorted,
  recordNumber,
  sortedPresent,
  type FeatureRecord,
  type Transform,
  type TransformJSON,
} from './transform.js';

export interface KBinsDiscretizerParams {
  /** Bins per column (default 5); quantile bins narrower than 1e-8 are merged, as in scikit-learn. */
  readonly nBins?: number;
  /** `quantile` (default): equal-frequency bins; `uniform`: equal-width bins. */
  readonly strategy?: 'quantile' | 'uniform';
  /** `onehot` (default, as scikit-learn): one 0/1 column per bin; `ordinal`: the bin number. */
  readonly encode?: 'onehot' | 'ordinal';
}

const specs: TransformParamSpecs<KBinsDiscretizerParams> = {
  nBins: tparam.integer(5, 2),
  strategy: tparam.oneOf('quantile', ['quantile', 'uniform']),
  encode: tparam.oneOf('onehot', ['onehot', 'ordinal']),
};

interface BinsColumn {
  readonly name: string;
  /** Inner bin edges, ascending: bin `k` holds `edges[k-1] ≤ x < edges[k]`; `edges.length + 1` bins. */
  readonly edges: readonly number[];
}

/** The per-value function both paths share: the bin of `value` (NumPy's `searchsorted(side="right")`), NaN if missing. */
export function binOf(value: number, edges: readonly number[]): number {
  if (Number.isNaN(value)) return NaN;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bucketizes numeric columns as scikit-learn's KBinsDiscretizer: edges at equal-frequency
 * quantiles (NumPy's linear percentiles) or at equal widths between the training min and max;
 * values outside the training range go to the first or last bin. Outputs `NAME.bin` (the bin
 * number, `ordinal`) or `NAME.bin=0` … `NAME.bin=K-1` (`onehot`). Missing values stay missing
 * (ordinal) or encode as all zeros (onehot). A constant column has one bin.
 */
export class KBinsDiscretizer implements Transform {
  readonly type = 'KBinsDiscretizer';
  readonly input = 'number';
  readonly params: Resolved<KBinsDiscretizerParams>;
  private columns: readonly BinsColumn[] | null = null;

  constructor(params: KBinsDiscretizerParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.columns = null;
    this.columns = table.columns.map((column): BinsColumn => {
      const sorted = sortedPresent(numericValues(table, column.name, this.type));
      if (sorted.length === 0) throw noValues(this.type, column.name);
      return { name: column.name, edges: innerEdges(sorted, this.params.nBins, this.params.strategy) };
    });
    return this;
  }

  transform(table: Table): Table {
    const out: Column[] = [];
    for (const state of this.fitted()) {
      const input = numericValues(table, state.name, this.type);
      if (this.params.encode === 'ordinal') {
        const values = new Float64Array(table.rows);
        for (let i = 0; i < table.rows; i++) values[i] = binOf(input[i], state.edges);
        out.push({ name: `${state.name}.bin`, kind: 'number', values });
        continue;
      }
      const outputs = Array.from({ length: state.edges.length + 1 }, () => new Float64Array(table.rows));
      for (let i = 0; i < table.rows; i++) {
        const bin = binOf(input[i], state.edges);
        if (!Number.isNaN(bin)) outputs[bin][i] = 1;
      }
      outputs.forEach((values, k) => out.push({ name: `${state.name}.bin=${k}`, kind: 'number', values }));
    }
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const out: FeatureRecord = {};
    for (const state of this.fitted()) {
      const bin = binOf(recordNumber(record, state.name), state.edges);
      if (this.params.encode === 'ordinal') out[`${state.name}.bin`] = bin;
      else for (let k = 0; k <= state.edges.length; k++) out[`${state.name}.bin=${k}`] = k === bin ? 1 : 0;
    }
    return out;
  }

  inputNames(): string[] {
    return this.fitted().map((c) => c.name);
  }

  outputNames(): string[] {
    return this.fitted().flatMap((c) =>
      this.params.encode === 'ordinal'
        ? [`${c.name}.bin`]
        : Array.from({ length: c.edges.length + 1 }, (_, k) => `${c.name}.bin=${k}`),
    );
  }

  toJSON(): TransformJSON {
    return { type: this.type, params: this.params, state: this.columns && { columns: this.columns } };
  }

  static fromJSON(json: TransformJSON, path = 'KBinsDiscretizer'): KBinsDiscretizer {
    // The constructor checks every param.
    const bins = withJSONParams(path, () => new KBinsDiscretizer(json.params as KBinsDiscretizerParams));
    if (json.state !== null) {
      bins.columns = jsonColumns(json.state, path, (c, at) => ({
        name: jsonString(c.name, `${at}.name`),
        edges: jsonNumbers(c.edges, `${at}.edges`),
      }));
    }
    return bins;
  }

  private fitted(): readonly BinsColumn[] {
    if (!this.columns) throw notFitted(this.type);
    return this.columns;
  }
}

/** scikit-learn's bin edges without the outer two, computed with NumPy's arithmetic (linspace, percentile). */
function innerEdges(sorted: Float64Array, nBins: number, strategy: 'quantile' | 'uniform'): number[] {
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min === max) return [];
  const edges: number[] = [];
  if (strategy === 'uniform') {
    const step = (max - min) / nBins;
    for (let k = 0; k <= nBins; k++) edges.push(k === nBins ? max : k * step + min);
    return edges.slice(1, -1);
  }
  const step = 100 / nBins;
  for (let k = 0; k <= nBins; k++) {
    const percent = k === nBins ? 100 : k * step;
    edges.push(quantileSorted(sorted, percent / 100));
  }
  // Bins narrower than 1e-8 are dropped (scikit-learn: ediff1d(edges, to_begin=inf) > 1e-8).
  const kept = edges.filter((edge, k) => k === 0 || edge - edges[k - 1] > 1e-8);
  return kept.slice(1, -1);
}
