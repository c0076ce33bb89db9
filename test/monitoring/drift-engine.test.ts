import { describe, expect, it } from 'vitest';
import { parseProject, type FeatureReference, type Table } from '../../src/core/index.js';
import {
  DriftSketch,
  binLayout,
  buildReference,
  driftOfColumns,
  driftOfSketches,
  driftSettings,
  ks2samp,
  mergeCounts,
  outputReference,
  outputField,
  predictionDrift,
  psi,
  wassersteinDistance,
  populationStd,
} from '../../src/monitoring/index.js';

/** mulberry32: the same samples on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normals(n: number, mean: number, sd: number, seed: number): Float64Array {
  const random = seeded(seed);
  return Float64Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

function plans(n: number, monthly: number, seed: number): string[] {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const u = random();
    return u < monthly ? 'Month-to-month' : u < monthly + (1 - monthly) / 2 ? 'One year' : 'Two year';
  });
}

function table(n: number, options: { mean?: number; monthly?: number; seed: number }): Table {
  return {
    rows: n,
    columns: [
      { name: 'charges', kind: 'number', values: normals(n, options.mean ?? 60, 20, options.seed) },
      { name: 'tenure', kind: 'number', values: normals(n, 30, 10, options.seed + 1).map(Math.round) },
      { name: 'plan', kind: 'string', values: plans(n, options.monthly ?? 0.55, options.seed + 2) },
      {
        name: 'senior',
        kind: 'number',
        values: Float64Array.from(plans(n, 0.2, options.seed + 3), (p) => (p === 'Month-to-month' ? 1 : 0)),
      },
    ],
  };
}

const signature = (t: Table) =>
  t.columns.map((c) => ({
    name: c.name,
    type: c.kind === 'number' ? ('float' as const) : ('string' as const),
    nullable: true,
  }));

describe('the default test by type and sample size (Evidently-style)', () => {
  it('takes KS and chi-square on small samples, Wasserstein and Jensen-Shannon on large ones', () => {
    const small = driftOfColumns(table(500, { seed: 1 }), table(400, { seed: 9 }));
    expect(Object.fromEntries(small.features.map((f) => [f.feature, f.method]))).toEqual({
      charges: 'ks',
      tenure: 'ks',
      plan: 'chisquare',
      // Two values: a categorical test, as for a numeric feature with at most five values.
      senior: 'chisquare',
    });
    const large = driftOfColumns(table(5000, { seed: 1 }), table(3000, { seed: 9 }));
    expect(Object.fromEntries(large.features.map((f) => [f.feature, f.method]))).toEqual({
      charges: 'wasserstein',
      tenure: 'wasserstein',
      plan: 'jensenshannon',
      senior: 'jensenshannon',
    });
  });

  it('goes by the smaller sample: a large reference against a small window uses p-value tests', () => {
    const result = driftOfColumns(table(20_000, { seed: 1 }), table(300, { seed: 9 }));
    expect(result.features.find((f) => f.feature === 'charges')?.method).toBe('ks');
  });

  it('finds no drift between samples of one distribution and drift on the shifted features only', () => {
    expect(driftOfColumns(table(800, { seed: 1 }), table(700, { seed: 5 })).driftedCount).toBe(0);
    expect(driftOfColumns(table(5000, { seed: 1 }), table(4000, { seed: 5 })).driftedCount).toBe(0);
    for (const n of [800, 5000]) {
      const result = driftOfColumns(table(n, { seed: 1 }), table(n, { seed: 5, mean: 75, monthly: 0.9 }));
      expect(result.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(['charges', 'plan']);
      expect(result).toMatchObject({ driftedCount: 2, share: 0.5, drifted: true, shareThreshold: 0.5 });
    }
  });
});

describe('multiple-testing correction', () => {
  it('adjusts the p-values of the p-value tests by Benjamini-Hochberg (default) and judges by them', () => {
    const result = driftOfColumns(table(600, { seed: 1 }), table(600, { seed: 2, mean: 62 }));
    const tested = result.features.filter((f) => f.pValue !== null);
    const sorted = [...tested].sort((a, b) => (a.pValue as number) - (b.pValue as number));
    const m = tested.length;
    let running = 1;
    for (let rank = m; rank >= 1; rank--) {
      running = Math.min(running, ((sorted[rank - 1].pValue as number) * m) / rank);
      expect(sorted[rank - 1].adjustedPValue).toBeCloseTo(running, 15);
    }
    for (const f of tested) expect(f.drifted).toBe((f.adjustedPValue as number) < f.threshold);
    const none = driftOfColumns(
      table(600, { seed: 1 }),
      table(600, { seed: 2, mean: 62 }),
      driftSettings({ correction: 'none' }),
    );
    for (const f of none.features) expect(f.adjustedPValue).toBe(f.pValue);
  });
});

describe('monitoring.drift in the project file', () => {
  const project = (drift: string) =>
    parseProject(
      `name: churn\ntask: { type: binary_classification, target: Churn }\ndata: { dataset: churn, source: { type: csv, path: x.csv } }\ntraining: { candidates: [{ algorithm: logistic_regression }] }\nmonitoring:\n  drift:\n${drift}`,
    ).monitoring?.drift;

  it('keeps the older keys valid: metric psi with its threshold means PSI everywhere', () => {
    const settings = driftSettings(project('    metric: psi\n    threshold: 0.2\n    window: 1h\n    minRows: 100\n'));
    expect(settings).toMatchObject({ method: 'psi', threshold: 0.2, minRows: 100 });
    const result = driftOfColumns(table(500, { seed: 1 }), table(400, { seed: 2 }), settings);
    expect(result.features.every((f) => f.method === 'psi' && f.threshold === 0.2)).toBe(true);
  });

  it('overrides method and threshold per feature, and the share', () => {
    const settings = driftSettings(
      project(
        '    method: auto\n    share: 0.25\n    correction: none\n    features:\n      charges: { method: psi, threshold: 0.05 }\n      plan: { method: chisquare, threshold: 0.01 }\n',
      ),
    );
    const result = driftOfColumns(table(5000, { seed: 1 }), table(5000, { seed: 2 }), settings);
    const byName = Object.fromEntries(result.features.map((f) => [f.feature, f]));
    expect(byName.charges).toMatchObject({ method: 'psi', threshold: 0.05 });
    expect(byName.plan).toMatchObject({ method: 'chisquare', threshold: 0.01 });
    expect(byName.tenure).toMatchObject({ method: 'wasserstein', threshold: 0.1 });
    expect(result).toMatchObject({ shareThreshold: 0.25, correction: 'none' });
  });

  it('names the key of a bad value', () => {
    expect(() => project('    method: kolmogorov\n')).toThrow(
      /monitoring\.drift\.method: must be one of: auto, psi, ks/,
    );
    expect(() => project('    features:\n      charges: { methd: ks }\n')).toThrow(
      /monitoring\.drift\.features\.charges\.methd: unknown key/,
    );
    expect(() => driftSettings(project('    method: ks\n    threshold: 2\n'))).toThrow(
      /monitoring\.drift\.threshold: is a p-value threshold for ks and must be below 1/,
    );
    expect(() => driftSettings(project('    method: auto\n    threshold: 0.1\n'))).toThrow(
      /monitoring\.drift\.threshold: needs a method/,
    );
    const kinds = new Map([['plan', 'categorical' as const]]);
    expect(() => driftSettings(project('    features:\n      plan: { method: ks }\n'), kinds)).toThrow(
      /monitoring\.drift\.features\.plan\.method: ks does not apply to a categorical feature/,
    );
    expect(() => driftSettings(project('    features:\n      plann: { method: psi }\n'), kinds)).toThrow(
      /monitoring\.drift\.features\.plann: is not a feature of the model/,
    );
  });
});

describe('incremental sketches over fixed reference bins', () => {
  const train = table(5000, { seed: 1 });
  const reference = buildReference(train, signature(train));
  const live = table(600, { seed: 7, mean: 72, monthly: 0.8 });
  const sketchesOf = (t: Table, from: number, to: number) =>
    Object.fromEntries(
      reference.features.map((f) => {
        const sketch = new DriftSketch(f);
        const column = t.columns.find((c) => c.name === f.name)!;
        for (let i = from; i < to; i++)
          sketch.add(column.kind === 'number' && Number.isNaN(column.values[i]) ? null : column.values[i]);
        return [f.name, sketch.counts];
      }),
    );

  it('merges by adding count arrays: two minutes summed equal one sketch of both', () => {
    const first = sketchesOf(live, 0, 250);
    const second = sketchesOf(live, 250, 600);
    const both = sketchesOf(live, 0, 600);
    for (const f of reference.features) expect(mergeCounts(first[f.name], second[f.name])).toEqual(both[f.name]);
    const merged = Object.fromEntries(
      reference.features.map((f) => [f.name, mergeCounts(first[f.name], second[f.name])]),
    );
    expect(driftOfSketches(reference, merged)).toEqual(driftOfSketches(reference, both));
  });

  it('keeps the state a plain array in the documented bin order: value bins, then unseen, then missing', () => {
    const plan = reference.features.find((f) => f.name === 'plan')!;
    const sketch = new DriftSketch(plan);
    for (const v of ['Two year', 'Month-to-month', 'Lifetime', null, undefined, 'One year']) sketch.add(v);
    expect(Array.isArray(sketch.counts)).toBe(true);
    expect(sketch.counts).toEqual([1, 1, 1, 1, 2]); // Month-to-month, One year, Two year, unseen, missing
    const charges = reference.features.find((f) => f.name === 'charges')!;
    const numeric = new DriftSketch(charges);
    expect(numeric.counts).toHaveLength(binLayout(charges).size);
    numeric.add(Number.NaN);
    numeric.add('12');
    numeric.add(-1e9);
    numeric.add(1e9);
    expect(numeric.counts[numeric.counts.length - 1]).toBe(2);
    expect(numeric.counts[0]).toBe(1);
    expect(numeric.counts[numeric.counts.length - 2]).toBe(1);
  });

  it('gives the same result shape as the exact path, and the same PSI, JS and chi-square', () => {
    const counts = sketchesOf(live, 0, 600);
    for (const method of ['psi', 'jensenshannon', 'chisquare'] as const) {
      const settings = driftSettings({ method, correction: 'none' });
      const binned = driftOfSketches(reference, counts, settings);
      const exact = driftOfColumns(train, live, settings);
      expect(Object.keys(binned).sort()).toEqual(Object.keys(exact).sort());
      binned.features.forEach((f, i) => {
        expect(Object.keys(f).sort()).toEqual(Object.keys(exact.features[i]).sort());
        expect(f.statistic).toBeCloseTo(exact.features[i].statistic, 12);
      });
    }
  });

  it('approximates KS and Wasserstein closely on the percentile bins', () => {
    const counts = sketchesOf(live, 0, 600);
    const charges = train.columns[0].values as Float64Array;
    const current = live.columns[0].values as Float64Array;
    const ks = driftOfSketches(reference, counts, driftSettings({ method: 'ks' })).features[0];
    const exactKs = ks2samp(charges, current);
    expect(Math.abs(ks.statistic - exactKs.statistic)).toBeLessThan(0.01);
    expect(ks.statistic).toBeLessThanOrEqual(exactKs.statistic + 1e-12);
    const w = driftOfSketches(reference, counts, driftSettings({ method: 'wasserstein' })).features[0];
    const exactW = wassersteinDistance(charges, current) / populationStd(charges);
    expect(Math.abs(w.statistic - exactW) / exactW).toBeLessThan(0.05);
  });

  it('still gives drift from a reference written before fine bins (10 decile edges only)', () => {
    const old = reference.features.map((f): FeatureReference => {
      if (f.kind === 'categorical')
        return { name: f.name, kind: f.kind, shares: f.shares, missingShare: f.missingShare };
      return { name: f.name, kind: f.kind, edges: f.edges, shares: f.shares, missingShare: f.missingShare };
    });
    const oldProfile = { rows: reference.rows, features: old };
    const counts = Object.fromEntries(
      old.map((f) => {
        const sketch = new DriftSketch(f);
        const column = live.columns.find((c) => c.name === f.name)!;
        for (const v of column.values) sketch.add(v);
        return [f.name, sketch.counts];
      }),
    );
    for (const method of ['auto', 'ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare'] as const) {
      const result = driftOfSketches(oldProfile, counts, driftSettings({ method }));
      expect(result.features).toHaveLength(4);
      expect(result.features.find((f) => f.feature === 'charges')?.drifted, method).toBe(true);
      expect(result.features.find((f) => f.feature === 'tenure')?.drifted, method).toBe(false);
    }
    // The legacy psi() over the old reference agrees with the new one over the fine bins.
    const column = Array.from(live.columns[0].values as Float64Array);
    expect(psi(old[0], column)).toBeCloseTo(psi(reference.features[0], column), 12);
  });

  it('rejects counts of the wrong length, naming the feature', () => {
    expect(() => driftOfSketches(reference, { charges: [1, 2, 3] })).toThrow(/drift of "charges": 3 counts/);
  });
});

describe('output drift', () => {
  it('profiles probabilities and labels like features, and serving outputs sketch into them', () => {
    const random = seeded(3);
    const rows = 1000;
    const data = new Float64Array(rows * 2);
    const labels: string[] = [];
    for (let r = 0; r < rows; r++) {
      const p = random();
      data[r * 2] = 1 - p;
      data[r * 2 + 1] = p;
      labels.push(p > 0.5 ? 'Yes' : 'No');
    }
    const reference = outputReference({
      rows,
      labels,
      probabilities: { classes: ['No', 'Yes'], data },
      positiveClass: 'Yes',
    });
    expect(reference.features.map((f) => f.name)).toEqual(['probability:Yes', 'label']);
    const sketches = reference.features.map((f) => new DriftSketch(f));
    const readers = reference.features.map((f) => outputField(f.name));
    for (let i = 0; i < 500; i++) {
      const p = Math.min(1, random() * 0.5 + 0.5); // the model now says "Yes" far more often
      const output = { label: p > 0.5 ? 'Yes' : 'No', probabilities: { No: 1 - p, Yes: p } };
      sketches.forEach((s, k) => s.add(readers[k](output)));
    }
    const result = driftOfSketches(
      reference,
      Object.fromEntries(sketches.map((s, k) => [reference.features[k].name, s.counts])),
    );
    expect(result.features.every((f) => f.drifted)).toBe(true);
  });

  it('predictionDrift keeps its PSI between two versions’ outputs', () => {
    const a = Array.from({ length: 400 }, (_, i) => ({ probabilities: { No: 1 - i / 400, Yes: i / 400 } }));
    expect(predictionDrift(a, a)).toBeCloseTo(0, 12);
    const shifted = a.map((o) => ({ probabilities: { No: o.probabilities.No / 2, Yes: 1 - o.probabilities.No / 2 } }));
    expect(predictionDrift(a, shifted)).toBeGreaterThan(0.2);
    expect(predictionDrift([], a)).toBeNull();
  });
});
