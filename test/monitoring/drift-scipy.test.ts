import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, type Table } from '../../src/core/index.js';
import {
  benjaminiHochberg,
  chiSquare,
  chiSquareSf,
  driftOfColumns,
  driftSettings,
  jensenShannon,
  kolmogorovSf,
  ks2samp,
  smirnovSf,
  wassersteinDistance,
  normalizedWasserstein,
  populationStd,
} from '../../src/monitoring/index.js';

/**
 * Keel's drift statistics against SciPy's answers on the same data. The answers were computed
 * by test/fixtures/monitoring/make_drift_fixtures.py (Debian's SciPy 1.10) and committed, so
 * this test needs no Python.
 *
 * Tolerance: |keel − scipy| ≤ 1e-9 · max(1, |scipy|) — absolute for values up to 1 (every
 * p-value and distance here), relative above (χ² statistics). p-values far below 1e-9 are
 * also checked relatively (1e-6), so a tiny p-value is not "equal" merely by being small.
 */
interface Fixtures {
  scipy: string;
  samples: Record<string, number[]>;
  ks: Array<{ name: string; a: number[] | string; b: number[]; statistic: number; pValue: number }>;
  kstwo: Array<{ n: number; x: number; sf: number }>;
  smirnov: Array<{ n: number; x: number; sf: number }>;
  wasserstein: Array<{ name: string; u: number[]; v: number[]; distance: number; normalized: number }>;
  jensenshannon: Array<{ p: number[]; q: number[]; distance: number }>;
  chisquare: Array<{ observed: number[]; expected: number[]; statistic: number; pValue: number }>;
  chi2sf: Array<{ df: number; x: number; sf: number }>;
  psi: Array<{ name: string; reference: Array<number | null>; current: Array<number | null>; psi: number }>;
  categorical: Array<{
    name: string;
    reference: string[];
    current: Array<string | null>;
    chiSquare: { statistic: number | null; pValue: number };
    jensenShannon: number;
    psi: number;
  }>;
  bh: Array<{ pValues: number[]; adjusted: number[] }>;
}

const fixtures = JSON.parse(
  readFileSync(join(packageRoot, 'test', 'fixtures', 'monitoring', 'drift-fixtures.json'), 'utf8'),
) as Fixtures;

function expectClose(actual: number, expected: number, what: string): void {
  const scale = Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${what}: keel ${actual}, scipy ${expected}`).toBeLessThanOrEqual(1e-9 * scale);
  if (expected > 0 && expected < 1e-9) {
    expect(
      Math.abs(actual - expected) / expected,
      `${what} (relative): keel ${actual}, scipy ${expected}`,
    ).toBeLessThan(1e-6);
  }
}

const numbers = (values: Array<number | null>) => Float64Array.from(values, (v) => (v === null ? Number.NaN : v));

describe(`drift statistics equal SciPy ${fixtures.scipy}`, () => {
  it('ks2samp: statistic and two-sided p-value (exact and asymptotic)', () => {
    for (const c of fixtures.ks) {
      const a = typeof c.a === 'string' ? fixtures.samples[c.a] : c.a;
      const result = ks2samp(a, c.b);
      expectClose(result.statistic, c.statistic, `${c.name} statistic`);
      expectClose(result.pValue, c.pValue, `${c.name} p-value`);
    }
  });

  it('kstwo.sf over every branch of its algorithm', () => {
    for (const c of fixtures.kstwo) expectClose(kolmogorovSf(c.n, c.x), c.sf, `kstwo.sf(${c.x}, ${c.n})`);
  });

  it('smirnov (one-sided tail)', () => {
    for (const c of fixtures.smirnov) expectClose(smirnovSf(c.n, c.x), c.sf, `smirnov(${c.n}, ${c.x})`);
  });

  it('wasserstein_distance, and normalised by the reference std', () => {
    for (const c of fixtures.wasserstein) {
      const distance = wassersteinDistance(c.u, c.v);
      expectClose(distance, c.distance, `${c.name} distance`);
      expectClose(normalizedWasserstein(distance, populationStd(c.u)), c.normalized, `${c.name} normalised`);
    }
  });

  it('jensenshannon (natural log)', () => {
    for (const c of fixtures.jensenshannon) expectClose(jensenShannon(c.p, c.q), c.distance, `js ${c.p.length} bins`);
  });

  it('chisquare statistic and p-value', () => {
    for (const c of fixtures.chisquare) {
      const result = chiSquare(c.observed, c.expected);
      expectClose(result.statistic, c.statistic, `chisquare ${c.observed.length} cells statistic`);
      expectClose(result.pValue, c.pValue, `chisquare ${c.observed.length} cells p-value`);
    }
  });

  it('chi2.sf (the regularized upper incomplete gamma function)', () => {
    for (const c of fixtures.chi2sf) expectClose(chiSquareSf(c.x, c.df), c.sf, `chi2.sf(${c.x}, ${c.df})`);
  });

  it('Benjamini-Hochberg adjusted p-values', () => {
    for (const c of fixtures.bh) {
      const adjusted = benjaminiHochberg(c.pValues);
      c.adjusted.forEach((expected, i) => expectClose(adjusted[i], expected, `bh m=${c.pValues.length} [${i}]`));
    }
  });

  it('PSI over reference deciles, with missing values (the exact path of driftOfColumns)', () => {
    const settings = driftSettings({ method: 'psi' });
    for (const c of fixtures.psi) {
      const table = (values: Array<number | null>): Table => ({
        rows: values.length,
        columns: [{ name: 'x', kind: 'number', values: numbers(values) }],
      });
      const [feature] = driftOfColumns(table(c.reference), table(c.current), settings).features;
      expectClose(feature.statistic, c.psi, `psi ${c.name}`);
    }
  });

  it('categorical: chi-square vs reference shares, Jensen-Shannon and PSI with unseen and missing', () => {
    for (const c of fixtures.categorical) {
      const table = (values: Array<string | null>): Table => ({
        rows: values.length,
        columns: [{ name: 'plan', kind: 'string', values }],
      });
      const of = (method: 'chisquare' | 'jensenshannon' | 'psi') =>
        driftOfColumns(table(c.reference), table(c.current), driftSettings({ method })).features[0];
      const chi = of('chisquare');
      if (c.chiSquare.statistic === null) expect(chi.statistic).toBe(Infinity);
      else expectClose(chi.statistic, c.chiSquare.statistic, `${c.name} χ²`);
      expectClose(chi.pValue as number, c.chiSquare.pValue, `${c.name} χ² p-value`);
      expectClose(of('jensenshannon').statistic, c.jensenShannon, `${c.name} js`);
      expectClose(of('psi').statistic, c.psi, `${c.name} psi`);
    }
  });
});
