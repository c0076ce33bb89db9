import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/index.js';
import type { DatasetDriftResult } from '../../src/monitoring/index.js';
import { keel, keelBinary, keelJson } from '../helpers/keel-cli.js';

const churnCsv = join(packageRoot, 'examples', 'churn', 'telco_churn.csv');

/**
 * The churn CSV with MonthlyCharges × 1.5 and Contract mostly month-to-month (8 rows in 10),
 * everything else unchanged. (The file has no quoted fields.)
 */
function writeShiftedChurn(path: string): void {
  const [header, ...lines] = readFileSync(churnCsv, 'utf8').trimEnd().split(/\r?\n/);
  const names = header.split(',');
  const charges = names.indexOf('MonthlyCharges');
  const contract = names.indexOf('Contract');
  const rows = lines.map((line, i) => {
    const fields = line.split(',');
    fields[charges] = String(Math.round(Number(fields[charges]) * 150) / 100);
    if (i % 10 < 8) fields[contract] = 'Month-to-month';
    return fields.join(',');
  });
  writeFileSync(path, [header, ...rows].join('\n') + '\n');
}

type DriftJson = DatasetDriftResult & {
  reference: { name: string; rows: number };
  current: { name: string; rows: number };
};

describe('keel monitor drift --reference A --current B', () => {
  let home: string;
  let shifted: string;
  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-monitor-drift-'));
    shifted = join(home, 'churn-shifted.csv');
    writeShiftedChurn(shifted);
    const imported = await keel(home, 'data', 'import', churnCsv, '--name', 'churn', '--missing', ', ,NA,?');
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('finds no drift between a dataset and itself', async () => {
    const result = await keelJson<DriftJson>(home, 'monitor', 'drift', '--reference', 'churn', '--current', 'churn@1');
    expect(result.reference).toMatchObject({ name: 'churn@1', rows: 7043 });
    expect(result.driftedCount).toBe(0);
    expect(result.drifted).toBe(false);
    expect(result.features.length).toBeGreaterThanOrEqual(19);
    expect(result.skipped).toEqual([{ feature: 'customerID', reason: expect.stringMatching(/not categorical/) }]);
  });

  it('finds drift on exactly MonthlyCharges and Contract in the shifted file, and exits 0', async () => {
    const result = await keelJson<DriftJson>(home, 'monitor', 'drift', '--reference', 'churn', '--current', shifted);
    expect(
      result.features
        .filter((f) => f.drifted)
        .map((f) => f.feature)
        .sort(),
    ).toEqual(['Contract', 'MonthlyCharges']);
    const charges = result.features.find((f) => f.feature === 'MonthlyCharges');
    expect(charges).toMatchObject({ kind: 'numeric', method: 'wasserstein', threshold: 0.1, pValue: null });
    expect(result.features.find((f) => f.feature === 'Contract')).toMatchObject({ method: 'jensenshannon' });
    // TotalCharges is read with the dataset's missing markers, so it stays numeric.
    expect(result.features.find((f) => f.feature === 'TotalCharges')).toMatchObject({
      kind: 'numeric',
      drifted: false,
    });
    expect(result.share).toBeCloseTo(2 / result.features.length, 12);
    expect(result.drifted).toBe(false);
  });

  it('prints a table with method, statistic, p-value, threshold and verdict, and the dataset verdict', async () => {
    const result = await keel(home, 'monitor', 'drift', '--reference', 'churn', '--current', shifted, '--method', 'ks');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/FEATURE\s+KIND\s+METHOD\s+STATISTIC\s+P-VALUE\s+BH P-VALUE\s+THRESHOLD\s+VERDICT/);
    expect(result.stdout).toMatch(/MonthlyCharges\s+numeric\s+ks\s+\S+\s+\S+\s+\S+\s+p < 0\.05\s+DRIFTED/);
    // ks does not apply to a categorical column: it keeps its default test.
    expect(result.stdout).toMatch(/Contract\s+categorical\s+jensenshannon\s.*DRIFTED/);
    expect(result.stdout).toMatch(/Dataset drift: no — 2 of 20 features drifted/);
  });

  it('reads per-feature overrides from the project file', async () => {
    const project = join(home, 'project');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, 'keel.yaml'),
      [
        'name: churn',
        'task: { type: binary_classification, target: Churn }',
        'data: { dataset: churn, source: { type: csv, path: x.csv } }',
        'training: { candidates: [{ algorithm: logistic_regression }] }',
        'monitoring:',
        '  drift:',
        '    share: 0.1',
        '    features:',
        '      MonthlyCharges: { method: psi, threshold: 0.3 }',
        '',
      ].join('\n'),
    );
    const result = await keelJson<DriftJson>(
      home,
      'monitor',
      'drift',
      '--reference',
      'churn',
      '--current',
      shifted,
      '--project',
      project,
    );
    expect(result.features.find((f) => f.feature === 'MonthlyCharges')).toMatchObject({
      method: 'psi',
      threshold: 0.3,
    });
    expect(result).toMatchObject({ shareThreshold: 0.1, drifted: true });
  });

  it('says in one line what is wrong with its input, exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--reference', 'nope', '--current', shifted], /^keel: no dataset nope/],
      [['--reference', 'churn', '--current', join(home, 'missing.csv')], /^keel: no file .*missing\.csv/],
      [['--reference', 'churn', '--current', join(home, 'data.xlsx')], /^keel: .*cannot tell the format/],
    ];
    const other = join(home, 'other.csv');
    writeFileSync(other, 'a,b\n1,2\n3,4\n');
    cases.push([
      ['--reference', 'churn', '--current', other],
      /^keel: the reference and current data have no column in common/,
    ]);
    for (const [args, message] of cases) {
      const result = await keel(home, 'monitor', 'drift', ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('keeps `keel monitor ENDPOINT` as it was', async () => {
    const result = await keel(home, 'monitor', 'churn', '--since', '2h');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no endpoint named "churn"/);
    const bad = await keel(home, 'monitor', 'churn', '--since', 'yesterday');
    expect(bad.stderr).toMatch(/--since "yesterday"/);
  });
});
