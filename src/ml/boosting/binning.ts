import type { Rng } from '../random.js';

/**
 * Feature binning as scikit-learn's `_BinMapper`: each feature's non-missing values are cut
 * into at most `maxBins` bins at quantiles of (a subsample of) the training data, and one more
 * bin, index `maxBins`, holds the missing values. Trees then split on bin codes, and the
 * predictor keeps the real-valued thresholds so prediction needs no binning.
 */

/** Rows used to find the quantiles (scikit-learn's `subsample=2e5`). */
export const BINNING_SUBSAMPLE = 200_000;

/** Thresholds are clipped below +∞, which is reserved for "split on missing" (scikit-learn's ALMOST_INF). */
const ALMOST_INF = 1e300;

export interface BinMapper {
  readonly maxBins: number;
  /** Per feature, the increasing upper bounds of its bins but the last: bin b holds t[b−1] < x ≤ t[b]. */
  readonly thresholds: readonly Float64Array[];
  /** Per feature, bins used by non-missing values (thresholds + 1). */
  readonly nonMissingBins: Int32Array;
}

/** Row-major values, as estimators receive X, restricted to some rows. */
export interface RowSource {
  readonly data: Float64Array | Float32Array;
  readonly cols: number;
  /** The rows to use, in order; null for all rows. */
  readonly rows: Uint32Array | null;
  readonly count: number;
}

/** Finds each feature's bin thresholds from at most BINNING_SUBSAMPLE random rows of `source`. */
export function fitBinMapper(source: RowSource, maxBins: number, rng: Rng): BinMapper {
  const { data, cols, count } = source;
  const picked = count > BINNING_SUBSAMPLE ? sampleWithoutReplacement(count, BINNING_SUBSAMPLE, rng) : null;
  const size = picked === null ? count : picked.length;
  // The sample, column-major: one pass over its rows (in increasing order) instead of one per feature.
  const columns = new Float64Array(size * cols);
  for (let i = 0; i < size; i++) {
    const position = picked === null ? i : picked[i];
    const row = (source.rows === null ? position : source.rows[position]) * cols;
    for (let f = 0; f < cols; f++) columns[f * size + i] = data[row + f];
  }
  const thresholds: Float64Array[] = [];
  const nonMissingBins = new Int32Array(cols);
  for (let f = 0; f < cols; f++) {
    const column = columns.subarray(f * size, (f + 1) * size);
    let m = 0;
    for (let i = 0; i < size; i++) {
      const v = column[i];
      if (v === v) column[m++] = v; // NaN is missing: it does not shape the bins
    }
    const t = findThresholds(sortFloat64(column.subarray(0, m)), maxBins);
    thresholds.push(t);
    nonMissingBins[f] = t.length + 1;
  }
  return { maxBins, thresholds, nonMissingBins };
}

/**
 * scikit-learn's `_find_binning_thresholds` on sorted values: midpoints between distinct values
 * when there are at most maxBins of them, else numpy's "midpoint" percentiles at
 * 100·k/maxBins, computed with the same floating-point operations so thresholds match exactly.
 */
function findThresholds(sorted: Float64Array, maxBins: number): Float64Array {
  const m = sorted.length;
  let distinct = m > 0 ? 1 : 0;
  for (let i = 1; i < m && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  let out: Float64Array;
  if (distinct <= maxBins) {
    out = new Float64Array(Math.max(0, distinct - 1));
    for (let i = 1, j = 0; i < m; i++) {
      if (sorted[i] !== sorted[i - 1]) out[j++] = (sorted[i - 1] + sorted[i]) * 0.5;
    }
  } else {
    out = new Float64Array(maxBins - 1);
    const step = 100 / maxBins; // numpy.linspace(0, 100, maxBins + 1)
    for (let k = 1; k < maxBins; k++) {
      const h = (m - 1) * ((k * step) / 100);
      const below = Math.floor(h);
      if (below === h) {
        out[k - 1] = sorted[below];
      } else {
        const a = sorted[below];
        const b = sorted[below + 1];
        out[k - 1] = b - (b - a) * 0.5; // numpy's lerp at t = 0.5
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (out[i] > ALMOST_INF) out[i] = ALMOST_INF;
  return out;
}

/**
 * Writes the bin code of every value of `source` into `codes`, column-major (feature f of row
 * i at f·count + i), and returns, per feature, whether any value was missing.
 */
export function binRows(source: RowSource, mapper: BinMapper, codes: Uint8Array): Uint8Array {
  const { data, cols, rows, count } = source;
  const missingBin = mapper.maxBins;
  // Thresholds padded to 256 with +∞, for an 8-step branch-free binary search.
  const table = new Float64Array(cols * 256).fill(Infinity);
  for (let f = 0; f < cols; f++) table.set(mapper.thresholds[f], f * 256);
  const hasMissing = new Uint8Array(cols);
  for (let i = 0; i < count; i++) {
    const rowOffset = (rows === null ? i : rows[i]) * cols;
    for (let f = 0, t = 0, out = i; f < cols; f++, t += 256, out += count) {
      const v = data[rowOffset + f];
      if (v !== v) {
        codes[out] = missingBin;
        hasMissing[f] = 1;
        continue;
      }
      // The bin is the number of thresholds below v; comparisons become 0/1 instead of branches.
      let b = t;
      b += +(table[b + 127] < v) << 7;
      b += +(table[b + 63] < v) << 6;
      b += +(table[b + 31] < v) << 5;
      b += +(table[b + 15] < v) << 4;
      b += +(table[b + 7] < v) << 3;
      b += +(table[b + 3] < v) << 2;
      b += +(table[b + 1] < v) << 1;
      b += +(table[b] < v);
      codes[out] = b - t;
    }
  }
  return hasMissing;
}

/** `k` distinct indices from 0…n−1, ascending (a partial Fisher–Yates shuffle). */
function sampleWithoutReplacement(n: number, k: number, rng: Rng): Uint32Array {
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(n - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return pool.subarray(0, k).sort();
}

/**
 * Sorts finite doubles ascending in place by LSD radix sort on their bits (six 11-bit passes
 * over two 32-bit words), several times faster than TypedArray#sort on the 200k values per
 * feature. Each loop is its own small function: V8 then optimizes each once and reuses it for
 * every pass and feature, instead of deoptimizing one big function at every loop exit.
 */
function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 2) return values;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  let high = new Uint32Array(n);
  let low = new Uint32Array(n);
  toSortableKeys(words, high, low);
  let highOut = new Uint32Array(n);
  let lowOut = new Uint32Array(n);
  const counts = new Uint32Array(2048);
  for (let pass = 0; pass < 6; pass++) {
    const shift = (pass % 3) * 11;
    if (!digitOffsets(pass < 3 ? low : high, shift, counts)) continue; // one digit value: nothing moves
    scatterByDigit(pass < 3 ? low : high, shift, counts, high, low, highOut, lowOut);
    [high, highOut] = [highOut, high];
    [low, lowOut] = [lowOut, low];
  }
  fromSortableKeys(high, low, words);
  return values;
}

/** Maps each double's bits to two words whose unsigned order is the numeric order. */
function toSortableKeys(words: Uint32Array, high: Uint32Array, low: Uint32Array): void {
  for (let i = 0; i < high.length; i++) {
    const hi = words[2 * i + 1];
    // Negative numbers: flip every bit (larger magnitude sorts first); others: set the sign bit.
    const negative = hi >>> 31;
    high[i] = negative ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
    low[i] = negative ? ~words[2 * i] >>> 0 : words[2 * i];
  }
}

function fromSortableKeys(high: Uint32Array, low: Uint32Array, words: Uint32Array): void {
  for (let i = 0; i < high.length; i++) {
    const hi = high[i];
    const negative = !(hi >>> 31);
    words[2 * i + 1] = negative ? ~hi : hi & 0x7fffffff;
    words[2 * i] = negative ? ~low[i] : low[i];
  }
}

/** Fills `counts` with each digit's first output position; false when every key has the same digit. */
function digitOffsets(key: Uint32Array, shift: number, counts: Uint32Array): boolean {
  counts.fill(0);
  for (let i = 0; i < key.length; i++) counts[(key[i] >>> shift) & 2047]++;
  if (counts[(key[0] >>> shift) & 2047] === key.length) return false;
  let sum = 0;
  for (let b = 0; b < 2048; b++) {
    const c = counts[b];
    counts[b] = sum;
    sum += c;
  }
  return true;
}

function scatterByDigit(
  key: Uint32Array,
  shift: number,
  counts: Uint32Array,
  high: Uint32Array,
  low: Uint32Array,
  highOut: Uint32Array,
  lowOut: Uint32Array,
): void {
  for (let i = 0; i < key.length; i++) {
    const position = counts[(key[i] >>> shift) & 2047]++;
    highOut[position] = high[i];
    lowOut[position] = low[i];
  }
}
