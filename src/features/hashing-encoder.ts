import type { Column, Table } from '../core/index.js';
import { murmurhash3 } from './murmurhash3.js';
import {
  resolveTransformParams,
  tparam,
  withJSONParams,
  type Resolved,
  type TransformParamSpecs,
} from './transform-params.js';
import {
  categoryOf,
  columnOf,
  jsonColumns,
  jsonString,
  notFitted,
  type FeatureRecord,
  type FeatureValue,
  type Transform,
  type TransformJSON,
} from './transform.js';

export interface HashingEncoderParams {
  /** Output columns (buckets) per input column; default 16. */
  readonly nFeatures?: number;
  /** Give half of the values −1 instead of 1 (by the hash's sign) so collisions tend to cancel; default true. */
  readonly alternateSign?: boolean;
}

const specs: TransformParamSpecs<HashingEncoderParams> = {
  nFeatures: tparam.integer(16, 1),
  alternateSign: tparam.boolean(true),
};

/** The per-value function both paths share: the signed hash of a value's text, NaN if missing. */
function hashOf(value: FeatureValue | undefined): number {
  const category = categoryOf(value);
  return category === null ? NaN : murmurhash3(category);
}

/** scikit-learn's bucket of a hash: |h| mod n (|−2³¹| is 2³¹ here, which is what it defines). */
const bucketOf = (hash: number, nFeatures: number): number => Math.abs(hash) % nFeatures;
const signOf = (hash: number, alternateSign: boolean): number => (alternateSign && hash < 0 ? -1 : 1);

/**
 * The hashing trick for high-cardinality text (ids, zip codes, free categories): each value
 * sets one of `nFeatures` buckets, chosen by MurmurHash3 (32-bit, seed 0) of its UTF-8 text, to
 * 1 — or to −1 when the hash is negative and `alternateSign` is on. This is scikit-learn's
 * `FeatureHasher(input_type="string")` applied to each column on its own, so no categories are
 * stored and unseen values need no special case. Outputs `NAME.hash=0` … `NAME.hash=N-1`;
 * a missing value is all zeros; numbers hash as their decimal text.
 */
export class HashingEncoder implements Transform {
  readonly type = 'HashingEncoder';
  readonly input = 'category';
  readonly params: Resolved<HashingEncoderParams>;
  private names: readonly string[] | null = null;

  constructor(params: HashingEncoderParams = {}) {
    this.params = resolveTransformParams(this.type, specs, params);
  }

  fit(table: Table): this {
    this.names = table.columns.map((c) => c.name);
    return this;
  }

  transform(table: Table): Table {
    const { nFeatures, alternateSign } = this.params;
    const out: Column[] = [];
    for (const name of this.inputNames()) {
      const input = columnOf(table, name, this.type).values;
      const outputs = Array.from({ length: nFeatures }, () => new Float64Array(table.rows));
      for (let i = 0; i < table.rows; i++) {
        const hash = hashOf(input[i]);
        if (!Number.isNaN(hash)) outputs[bucketOf(hash, nFeatures)][i] = signOf(hash, alternateSign);
      }
      outputs.forEach((values, k) => out.push({ name: `${name}.hash=${k}`, kind: 'number', values }));
    }
    return { rows: table.rows, columns: out };
  }

  transformRecord(record: Readonly<FeatureRecord>): FeatureRecord {
    const { nFeatures, alternateSign } = this.params;
    const out: FeatureRecord = {};
    for (const name of this.inputNames()) {
      const hash = hashOf(record[name]);
      const bucket = Number.isNaN(hash) ? -1 : bucketOf(hash, nFeatures);
      for (let k = 0; k < nFeatures; k++) out[`${name}.hash=${k}`] = k === bucket ? signOf(hash, alternateSign) : 0;
    }
    return out;
  }

  inputNames(): string[] {
    if (!this.names) throw notFitted(this.type);
    return [...this.names];
  }

  outputNames(): string[] {
    return this.inputNames().flatMap((name) =>
      Array.from({ length: this.params.nFeatures }, (_, k) => `${name}.hash=${k}`),
    );
  }

  toJSON(): TransformJSON {
    return {
      type: this.type,
      params: this.params,
      state: this.names && { columns: this.names.map((name) => ({ name })) },
    };
  }

  static fromJSON(json: TransformJSON, path = 'HashingEncoder'): HashingEncoder {
    // The constructor checks every param.
    const encoder = withJSONParams(path, () => new HashingEncoder(json.params as HashingEncoderParams));
    if (json.state !== null) encoder.names = jsonColumns(json.state, path, (c, at) => jsonString(c.name, `${at}.name`));
    return encoder;
  }
}
