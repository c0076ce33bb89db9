import { describe, expect, test } from 'vitest';
import type { ColumnProfile, DataSchema, DatasetVersion } from '../../src/core/index.js';
import { diffDatasetVersions, diffProfiles, diffSchemas, hasChanged, statisticChange } from '../../src/data/index.js';

const before: DataSchema = {
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'tenure', type: 'integer', nullable: false, min: 0, max: 72 },
    { name: 'charges', type: 'float', nullable: false, min: 18.25, max: 118.75 },
    { name: 'contract', type: 'categorical', nullable: false, domain: ['Month', 'One year', 'Two year'] },
    { name: 'gone', type: 'boolean', nullable: false },
  ],
};

describe('diffSchemas', () => {
  test('identical schemas have no changes', () => {
    expect(diffSchemas(before, before)).toEqual([]);
  });

  test('added and removed columns, type, nullability, domain and range changes', () => {
    const after: DataSchema = {
      columns: [
        { name: 'id', type: 'string', nullable: false },
        { name: 'tenure', type: 'float', nullable: true, min: 0, max: 72 },
        { name: 'charges', type: 'float', nullable: false, min: -20, max: 118.75 },
        { name: 'contract', type: 'categorical', nullable: false, domain: ['Month', 'Two year', 'Weekly'] },
        { name: 'region', type: 'categorical', nullable: true, domain: ['north'] },
      ],
    };
    expect(diffSchemas(before, after)).toEqual([
      { column: 'tenure', kind: 'type_changed', from: 'integer', to: 'float', message: 'type integer → float' },
      { column: 'tenure', kind: 'nullability_changed', from: false, to: true, message: 'now nullable' },
      {
        column: 'charges',
        kind: 'range_changed',
        from: { min: 18.25, max: 118.75 },
        to: { min: -20, max: 118.75 },
        message: 'range [18.25, 118.75] → [-20, 118.75]',
      },
      {
        column: 'contract',
        kind: 'domain_changed',
        added: ['Weekly'],
        removed: ['One year'],
        message: 'categories + "Weekly"; − "One year"',
      },
      { column: 'region', kind: 'column_added', type: 'categorical', message: 'added (categorical)' },
      { column: 'gone', kind: 'column_removed', type: 'boolean', message: 'removed (was boolean)' },
    ]);
  });

  test('an open end of a range, a domain given or taken away, and long lists of categories', () => {
    const a: DataSchema = {
      columns: [
        { name: 'x', type: 'integer', nullable: false, min: 0 },
        { name: 'c', type: 'categorical', nullable: false },
        { name: 'd', type: 'categorical', nullable: false, domain: ['a'] },
      ],
    };
    const many = Array.from({ length: 8 }, (_, i) => `v${i}`);
    const b: DataSchema = {
      columns: [
        { name: 'x', type: 'integer', nullable: false, min: 0, max: 10 },
        { name: 'c', type: 'categorical', nullable: false, domain: ['p', 'q'] },
        { name: 'd', type: 'categorical', nullable: false, domain: ['a', ...many] },
      ],
    };
    expect(diffSchemas(a, b).map((c) => [c.column, c.kind, c.message])).toEqual([
      ['x', 'range_changed', 'range [0, ∞] → [0, 10]'],
      ['c', 'domain_changed', 'now restricted to 2 categories'],
      ['d', 'domain_changed', 'categories + "v0", "v1", "v2", "v3", "v4" and 3 more'],
    ]);
    expect(diffSchemas(b, a).find((c) => c.column === 'c')?.message).toBe('no longer restricted to a domain');
  });

  test('the order of categories does not matter', () => {
    const reordered: DataSchema = {
      columns: before.columns.map((c) => (c.domain ? { ...c, domain: [...c.domain].reverse() } : c)),
    };
    expect(diffSchemas(before, reordered)).toEqual([]);
  });
});

describe('statisticChange', () => {
  test('absolute and relative change', () => {
    expect(statisticChange('mean', 50, 55)).toEqual({ statistic: 'mean', from: 50, to: 55, change: 5, relative: 0.1 });
    expect(statisticChange('min', -20, -10)).toEqual({
      statistic: 'min',
      from: -20,
      to: -10,
      change: 10,
      relative: 0.5,
    });
    expect(statisticChange('missing', 0, 0)).toMatchObject({ change: 0, relative: 0 });
  });

  test('from zero the relative change is unknown; an absent statistic has no change', () => {
    expect(statisticChange('missing', 0, 11)).toMatchObject({ change: 11, relative: null });
    expect(statisticChange('mean', undefined, 3)).toEqual({
      statistic: 'mean',
      from: null,
      to: 3,
      change: null,
      relative: null,
    });
    expect(statisticChange('max', Infinity, 3)).toMatchObject({ from: null, change: null });
  });

  test('hasChanged: a move, an appearance or a disappearance', () => {
    expect(hasChanged(statisticChange('mean', 1, 1))).toBe(false);
    expect(hasChanged(statisticChange('mean', 1, 2))).toBe(true);
    expect(hasChanged(statisticChange('mean', undefined, 2))).toBe(true);
    expect(hasChanged(statisticChange('mean', undefined, undefined))).toBe(false);
  });
});

describe('diffProfiles', () => {
  const tenure = (overrides: Partial<ColumnProfile> = {}): ColumnProfile => ({
    name: 'tenure',
    type: 'integer',
    count: 100,
    missing: 0,
    distinct: 10,
    min: 0,
    max: 72,
    mean: 30,
    std: 20,
    quantiles: { '0.05': 1, '0.25': 9, '0.5': 29, '0.75': 55, '0.95': 72 },
    ...overrides,
  });
  const contract: ColumnProfile = { name: 'contract', type: 'categorical', count: 100, missing: 0, distinct: 3 };

  test('every statistic of each shared column, quantiles named p5 … p95', () => {
    const [diff] = diffProfiles(
      { rows: 100, columns: [tenure()] },
      {
        rows: 120,
        columns: [tenure({ count: 110, missing: 10, mean: 33, quantiles: { ...tenure().quantiles, '0.5': 30 } })],
      },
    );
    expect(diff.column).toBe('tenure');
    expect(diff.statistics.map((s) => s.statistic)).toEqual([
      'count',
      'missing',
      'distinct',
      'mean',
      'std',
      'min',
      'max',
      'p5',
      'p25',
      'p50',
      'p75',
      'p95',
    ]);
    expect(diff.statistics.filter(hasChanged)).toEqual([
      { statistic: 'count', from: 100, to: 110, change: 10, relative: 0.1 },
      { statistic: 'missing', from: 0, to: 10, change: 10, relative: null },
      { statistic: 'mean', from: 30, to: 33, change: 3, relative: 0.1 },
      { statistic: 'p50', from: 29, to: 30, change: 1, relative: 1 / 29 },
    ]);
  });

  test('only shared columns, in the second profile’s order; text columns have no mean', () => {
    const diffs = diffProfiles(
      { rows: 100, columns: [tenure(), contract] },
      { rows: 100, columns: [contract, { ...contract, name: 'new' }, tenure()] },
    );
    expect(diffs.map((d) => d.column)).toEqual(['contract', 'tenure']);
    expect(diffs[0].statistics.map((s) => s.statistic)).toEqual(['count', 'missing', 'distinct']);
  });

  test('a column that became text lists its numeric statistics as gone', () => {
    const [diff] = diffProfiles(
      { rows: 100, columns: [tenure()] },
      { rows: 100, columns: [{ ...contract, name: 'tenure', type: 'string' }] },
    );
    expect(diff.statistics.find((s) => s.statistic === 'mean')).toEqual({
      statistic: 'mean',
      from: 30,
      to: null,
      change: null,
      relative: null,
    });
  });
});

describe('diffDatasetVersions', () => {
  const version = (n: number, overrides: Partial<DatasetVersion> = {}): DatasetVersion => ({
    id: `dsv_${n}`,
    dataset: 'churn',
    version: n,
    contentHash: 'sha256:same',
    artifact: 'sha256:a',
    source: { kind: 'csv', uri: 'churn.csv' },
    rows: 100,
    columns: [{ name: 'tenure', type: 'integer' }],
    schema: { columns: [{ name: 'tenure', type: 'integer', nullable: false, min: 0, max: 72 }] },
    profile: { rows: 100, columns: [{ name: 'tenure', type: 'integer', count: 100, missing: 0, distinct: 10 }] },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });

  test('the same content: nothing changed', () => {
    const diff = diffDatasetVersions(version(1), version(2));
    expect(diff).toMatchObject({
      from: { dataset: 'churn', version: 1, contentHash: 'sha256:same' },
      to: { dataset: 'churn', version: 2 },
      sameContent: true,
      rows: { from: 100, to: 100, change: 0, relative: 0 },
      schemaChanges: [],
    });
    expect(diff.columns.flatMap((c) => c.statistics).filter(hasChanged)).toEqual([]);
  });

  test('rows, schema and statistics of two datasets', () => {
    const other = version(1, {
      dataset: 'churn-eu',
      contentHash: 'sha256:other',
      rows: 150,
      schema: { columns: [{ name: 'tenure', type: 'integer', nullable: true, min: 0, max: 72 }] },
      profile: { rows: 150, columns: [{ name: 'tenure', type: 'integer', count: 140, missing: 10, distinct: 10 }] },
    });
    const diff = diffDatasetVersions(version(1), other);
    expect(diff.sameContent).toBe(false);
    expect(diff.to).toEqual({ dataset: 'churn-eu', version: 1, contentHash: 'sha256:other' });
    expect(diff.rows).toEqual({ statistic: 'rows', from: 100, to: 150, change: 50, relative: 0.5 });
    expect(diff.schemaChanges.map((c) => c.kind)).toEqual(['nullability_changed']);
    expect(diff.columns[0].statistics.filter(hasChanged).map((s) => s.statistic)).toEqual(['count', 'missing']);
  });
});
