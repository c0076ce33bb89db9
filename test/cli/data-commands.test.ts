import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keel, keelBinary, keelJson } from '../helpers/keel-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageRoot } from '../../src/core/index.js';

const churnCsv = join(packageRoot, 'examples', 'churn', 'telco_churn.csv');

interface AnomalyJson {
  column: string;
  kind: string;
  severity: string;
  message: string;
}

/**
 * The churn CSV with four corruptions, one row each: Dependents dropped, an unseen Contract, a
 * negative MonthlyCharges and text in tenure. (The file has no quoted fields.)
 */
function writeCorruptedChurn(path: string): void {
  const [header, ...lines] = readFileSync(churnCsv, 'utf8').trimEnd().split(/\r?\n/);
  const names = header.split(',');
  const at = (name: string) => names.indexOf(name);
  const rows = lines.map((line) => line.split(','));
  rows[4][at('Contract')] = 'Weekly';
  rows[8][at('MonthlyCharges')] = '-20.5';
  rows[12][at('tenure')] = 'twelve';
  const keep = (fields: string[]) => fields.filter((_, j) => j !== at('Dependents')).join(',');
  writeFileSync(path, [keep(names), ...rows.map(keep)].join('\n') + '\n');
}

describe('keel data: show, schema, validate, diff, profile', () => {
  let home: string;
  let corrupted: string;
  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-data-cli-'));
    corrupted = join(home, 'churn-corrupted.csv');
    writeCorruptedChurn(corrupted);
    const first = await keel(home, 'data', 'import', churnCsv, '--name', 'churn');
    expect(first.stdout).toContain('Imported churn@1');
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('has help for every data command', async () => {
    const commands = ['show', 'schema', 'validate', 'diff', 'list', 'profile'];
    const helps = await Promise.all(commands.map((command) => keel(home, 'data', command, '--help')));
    helps.forEach((help, i) => {
      expect(help.code, commands[i]).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: keel data ${commands[i]} `));
    });
    for (const option of ['--out', '--set', '--reset', '--schema-version', '--note', '--json']) {
      expect(helps[1].stdout).toContain(option);
    }
  });

  it('shows a dataset version: source, rows, columns, hash, and no schema versions yet', async () => {
    const shown = await keelJson<Record<string, unknown>>(home, 'data', 'show', 'churn');
    expect(shown).toMatchObject({
      dataset: 'churn',
      version: 1,
      versions: 1,
      source: { kind: 'csv', uri: churnCsv },
      rows: 7043,
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: expect.any(String),
      schema: { source: 'inferred', schemaVersion: null },
      schemaVersions: [],
    });
    expect(shown.columns).toHaveLength(21);
    expect((shown.columns as unknown[])[5]).toEqual({
      name: 'tenure',
      type: 'integer',
      nullable: false,
      min: 0,
      max: 72,
    });

    const table = await keel(home, 'data', 'show', 'churn@1');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^churn@1: version 1 of 1 \(the latest\)\n/);
    expect(table.stdout).toMatch(/^Rows +7,043$/m);
    expect(table.stdout).toMatch(/^Schema in force +inferred at import$/m);
    expect(table.stdout).toMatch(/^COLUMN +TYPE +NULLABLE +DOMAIN \/ RANGE$/m);
    expect(table.stdout).toMatch(/^Contract +categorical +no +3 categories: Month-to-month, One year, Two year$/m);
    expect(table.stdout).toContain('No stored schema versions');
  });

  it('validates a clean batch with exit code 0, and a corrupted one with one anomaly per corruption and exit 1', async () => {
    const clean = await keel(home, 'data', 'validate', churnCsv, '--against', 'churn', '--id-column', 'customerID');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('against the schema of churn@1 (inferred at import)');
    expect(clean.stdout).toContain('✓ no anomalies');

    const json = await keel(home, 'data', 'validate', corrupted, '--against', 'churn@1', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; anomalies: AnomalyJson[] };
    expect(report.ok).toBe(false);
    expect(report.anomalies.map((a) => [a.column, a.kind, a.severity])).toEqual([
      ['Dependents', 'missing_column', 'error'],
      ['tenure', 'type_mismatch', 'error'],
      ['Contract', 'out_of_domain', 'warning'],
      ['MonthlyCharges', 'out_of_range', 'warning'],
    ]);
    expect(report.anomalies[1].message).toBe('column "tenure": 1 of 7043 values is not an integer, e.g. "twelve"');
    expect(json.stderr).toBe('keel: churn-corrupted.csv fails validation against churn@1: 2 errors\n');

    const human = await keel(home, 'data', 'validate', corrupted, '--against', 'churn');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('✗ 2 errors, 2 warnings');
    expect(human.stdout).toMatch(/^COLUMN +KIND +SEVERITY +MESSAGE$/m);
    expect(human.stdout).toMatch(/^Contract +out_of_domain +warning +column "Contract": 1 of 7043 values/m);
  });

  it('warnings alone exit 0; duplicate ids and missing-value spikes are errors when asked for', async () => {
    const lines = readFileSync(churnCsv, 'utf8').trimEnd().split(/\r?\n/);
    const contract = lines[0].split(',').indexOf('Contract');
    const fields = lines[1].split(',');
    fields[contract] = 'Weekly';
    const batch = join(home, 'warnings.csv');
    // Row 1 again, with an unseen contract: a warning, and a repeated customerID.
    writeFileSync(batch, [lines[0], lines[1], fields.join(','), ...lines.slice(2, 50)].join('\n') + '\n');

    const warned = await keelJson<{ ok: boolean; anomalies: AnomalyJson[] }>(
      home,
      'data',
      'validate',
      batch,
      '--against',
      'churn',
    );
    expect(warned.ok).toBe(true);
    expect(warned.anomalies.map((a) => a.kind)).toEqual(['out_of_domain']);

    const ids = await keel(
      home,
      'data',
      'validate',
      batch,
      '--against',
      'churn',
      '--id-column',
      'customerID',
      '--json',
    );
    expect(ids.code).toBe(1);
    const idReport = JSON.parse(ids.stdout) as { anomalies: AnomalyJson[] };
    expect(idReport.anomalies.find((a) => a.kind === 'duplicate_id')).toMatchObject({
      column: 'customerID',
      severity: 'error',
      message: expect.stringContaining('1 of 50 ids repeats an earlier one, e.g. "7590-VHVEG"'),
    });

    const blanks = join(home, 'blanks.csv');
    const tenure = lines[0].split(',').indexOf('tenure');
    const blanked = lines.slice(1, 21).map((line, i) => {
      const f = line.split(',');
      if (i < 5) f[tenure] = '';
      return f.join(',');
    });
    writeFileSync(blanks, [lines[0], ...blanked].join('\n') + '\n');
    const spike = await keel(home, 'data', 'validate', blanks, '--against', 'churn', '--max-missing', '0.1', '--json');
    expect(spike.code).toBe(1);
    expect((JSON.parse(spike.stdout) as { anomalies: AnomalyJson[] }).anomalies).toEqual([
      {
        column: 'tenure',
        kind: 'missing_spike',
        severity: 'error',
        message: 'column "tenure": 25% of values are missing, more than the 10% allowed',
      },
    ]);
  });

  it('validates a Parquet batch', async () => {
    const { artifact } = await keelJson<{ artifact: string }>(home, 'data', 'show', 'churn');
    const hex = artifact.replace(/^sha256:/, '');
    const parquet = join(home, 'churn.parquet');
    copyFileSync(join(home, 'artifacts', 'sha256', hex.slice(0, 2), hex.slice(2)), parquet);
    const report = await keelJson<{ ok: boolean; batch: { rows: number } }>(
      home,
      'data',
      'validate',
      parquet,
      '--against',
      'churn',
    );
    expect(report).toMatchObject({ ok: true, batch: { rows: 7043 }, anomalies: [] });
  });

  it('prints the schema as editable YAML and writes it as YAML or JSON', async () => {
    const printed = await keel(home, 'data', 'schema', 'churn');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^# Schema of churn@1 \(inferred at import\)\./);
    const yaml = parse(printed.stdout) as { dataset: string; basedOn: number; columns: unknown[] };
    expect(yaml).toMatchObject({ dataset: 'churn', basedOn: 1 });
    expect(yaml.columns[15]).toEqual({
      name: 'Contract',
      type: 'categorical',
      nullable: false,
      domain: ['Month-to-month', 'One year', 'Two year'],
    });

    const out = await keel(home, 'data', 'schema', 'churn@1', '--out', 'schema.json');
    expect(out.stdout).toBe('Wrote the schema of churn@1 (inferred at import) to schema.json: 21 columns\n');
    expect(JSON.parse(readFileSync(join(home, 'schema.json'), 'utf8'))).toEqual(yaml);

    const json = await keelJson<Record<string, unknown>>(home, 'data', 'schema', 'churn');
    expect(json).toEqual({
      dataset: 'churn',
      datasetVersion: 1,
      source: 'inferred',
      schemaVersion: null,
      columns: yaml.columns,
    });
  });

  it('refuses a broken schema file in one line naming the key path, and stores nothing', async () => {
    await keel(home, 'data', 'schema', 'churn', '--out', 'broken.yaml');
    const path = join(home, 'broken.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('    type: integer\n', '    type: intger\n'));
    const result = await keel(home, 'data', 'schema', 'churn', '--set', 'broken.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'keel: broken.yaml: columns[2].type: must be one of: integer, float, boolean, categorical, string, datetime\n',
    );

    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('type: intger', 'type: integer')
        .replace('    max: 72\n', '    max: 72\n    domain: [a]\n'),
    );
    const domain = await keel(home, 'data', 'schema', 'churn', '--set', 'broken.yaml');
    expect(domain.stderr).toBe(
      'keel: broken.yaml: columns[5].domain: only categorical columns have a domain (this one is integer)\n',
    );
    expect((await keelJson<{ schemaVersions: unknown[] }>(home, 'data', 'show', 'churn')).schemaVersions).toEqual([]);
  });

  it('stores an edited schema as a schema version that validation then uses', async () => {
    await keel(home, 'data', 'schema', 'churn', '--out', 'schema.yaml');
    const path = join(home, 'schema.yaml');
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace('domain: [Month-to-month, One year, Two year]', 'domain: [Month-to-month, One year, Two year, Weekly]')
        .replace('    max: 118.75\n', '    max: 200\n'),
    );
    const set = await keel(home, 'data', 'schema', 'churn', '--set', 'schema.yaml', '--note', 'weekly contracts');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Stored churn schema version 1 (edited, based on churn@1): 21 columns, 2 changes');
    expect(set.stdout).toMatch(/^Contract +categories \+ "Weekly"$/m);
    expect(set.stdout).toMatch(/^MonthlyCharges +range \[18\.25, 118\.75\] → \[18\.25, 200\]$/m);

    const again = await keelJson<{ stored: boolean }>(home, 'data', 'schema', 'churn', '--set', 'schema.yaml');
    expect(again.stored).toBe(false);

    const report = await keel(home, 'data', 'validate', corrupted, '--against', 'churn', '--json');
    const parsed = JSON.parse(report.stdout) as { against: unknown; anomalies: AnomalyJson[] };
    expect(parsed.against).toEqual({ dataset: 'churn', version: 1, source: 'edited', schemaVersion: 1 });
    expect(parsed.anomalies.map((a) => a.kind)).toEqual(['missing_column', 'type_mismatch', 'out_of_range']);
    expect(parsed.anomalies[2].message).toContain('outside the range [18.25, 200]');

    const shown = await keelJson<{ schema: unknown; schemaVersions: unknown[] }>(home, 'data', 'show', 'churn');
    expect(shown.schema).toEqual({ source: 'edited', schemaVersion: 1 });
    expect(shown.schemaVersions).toEqual([
      {
        version: 1,
        source: 'edited',
        basedOn: 1,
        note: 'weekly contracts',
        createdAt: expect.any(String),
        columns: 21,
      },
    ]);
    const table = await keel(home, 'data', 'show', 'churn');
    expect(table.stdout).toMatch(/^1 +edited +churn@1 +21 +\S+ +weekly contracts$/m);
  });

  it('shows a stored schema version, and --reset ends the edits', async () => {
    const v1 = await keelJson<{ source: string; schemaVersion: number }>(
      home,
      'data',
      'schema',
      'churn',
      '--schema-version',
      '1',
    );
    expect(v1).toMatchObject({ source: 'edited', schemaVersion: 1 });

    const reset = await keelJson<{ stored: boolean; schemaVersion: { version: number; source: string } }>(
      home,
      'data',
      'schema',
      'churn',
      '--reset',
      '--note',
      'back to inference',
    );
    expect(reset).toMatchObject({ stored: true, schemaVersion: { version: 2, source: 'inferred', basedOn: 1 } });
    const report = await keel(home, 'data', 'validate', corrupted, '--against', 'churn', '--json');
    expect((JSON.parse(report.stdout) as { anomalies: unknown[] }).anomalies).toHaveLength(4);
    const nothing = await keel(home, 'data', 'schema', 'churn', '--reset');
    expect(nothing.stdout).toContain('Nothing to reset');
  });

  it('diffs two versions: schema changes and statistics that changed', async () => {
    await keel(home, 'data', 'import', corrupted, '--name', 'churn');
    const diff = await keelJson<{
      sameContent: boolean;
      rows: { change: number };
      schemaChanges: Array<{ column: string; kind: string }>;
      columns: Array<{
        column: string;
        statistics: Array<{ statistic: string; from: number; to: number; change: number; relative: number }>;
      }>;
    }>(home, 'data', 'diff', 'churn@1', 'churn@2');
    expect(diff.sameContent).toBe(false);
    expect(diff.rows.change).toBe(0);
    expect(diff.schemaChanges.map((c) => [c.column, c.kind])).toEqual([
      ['tenure', 'type_changed'],
      ['Contract', 'domain_changed'],
      ['MonthlyCharges', 'range_changed'],
      ['Dependents', 'column_removed'],
    ]);
    const charges = diff.columns.find((c) => c.column === 'MonthlyCharges');
    expect(charges?.statistics.find((s) => s.statistic === 'min')).toEqual({
      statistic: 'min',
      from: 18.25,
      to: -20.5,
      change: -38.75,
      relative: -38.75 / 18.25,
    });

    const human = await keel(home, 'data', 'diff', 'churn@1', 'churn@2');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^churn@1 → churn@2\nRows: 7,043 → 7,043 \(unchanged\)\n/);
    expect(human.stdout).toMatch(/^Dependents +removed \(was categorical\)$/m);
    expect(human.stdout).toMatch(/^COLUMN +STATISTIC +FROM +TO +CHANGE +RELATIVE$/m);
    expect(human.stdout).toMatch(/^MonthlyCharges +min +18\.2500 +-20\.5000 +-38\.7500 +-212%$/m);

    const same = await keel(home, 'data', 'diff', 'churn@1', 'churn@1');
    expect(same.stdout).toContain('Same content');
    expect(same.stdout).toContain('Schema: no changes');
    expect(same.stdout).toContain('Statistics: no changes in the 21 shared columns');
  });

  it('lists datasets and profiles a version in the documented JSON shape', async () => {
    const list = await keelJson<{ datasets: unknown[] }>(home, 'data', 'list');
    expect(list.datasets).toEqual([
      { name: 'churn', versions: 2, latest: expect.objectContaining({ version: 2, rows: 7043 }) },
    ]);

    const profile = await keelJson<{
      dataset: string;
      version: number;
      rows: number;
      columns: Array<Record<string, unknown>>;
    }>(home, 'data', 'profile', 'churn@1');
    expect(profile).toMatchObject({ dataset: 'churn', version: 1, rows: 7043 });
    const tenure = profile.columns.find((c) => c.name === 'tenure');
    expect(tenure).toMatchObject({ type: 'integer', missing: 0, distinct: 73, min: 0, max: 72 });
    expect(Object.keys(tenure?.quantiles as object)).toEqual(['0.05', '0.25', '0.5', '0.75', '0.95']);
    expect(tenure?.histogram).toHaveLength(20);
    expect(profile.columns.find((c) => c.name === 'Contract')?.topValues).toHaveLength(3);
  });

  it('gives one-line reasons: usage errors exit 2, failures exit 1', async () => {
    const usage: Array<[string[], RegExp]> = [
      [['data', 'show', 'Bad!'], /"Bad!" is not a dataset reference: use NAME or NAME@VERSION/],
      [['data', 'diff', 'churn@0', 'churn'], /"churn@0" is not a dataset reference/],
      [['data', 'validate', corrupted], /required option '--against <dataset>' not specified/],
      [
        ['data', 'validate', 'batch.xlsx', '--against', 'churn'],
        /batch\.xlsx: cannot tell the format of a batch from "\.xlsx"/,
      ],
      [['data', 'validate', corrupted, '--against', 'churn', '--max-missing', '5'], /must be a share between 0 and 1/],
      [
        ['data', 'schema', 'churn', '--set', 'a.yaml', '--reset'],
        /'--set <file>' cannot be used with option '--reset'/,
      ],
      [
        ['data', 'schema', 'churn', '--out', 'schema.txt'],
        /schema\.txt: a schema file ends in \.yaml, \.yml or \.json/,
      ],
      [['data', 'schema', 'churn', '--note', 'why'], /'--note <text>' goes with --set or --reset/],
    ];
    const usageKeelResults = await Promise.all(usage.map(([args]) => keel(home, ...args)));
    usage.forEach(([args, message], i) => {
      expect(usageKeelResults[i].code, args.join(' ')).toBe(2);
      expect(usageKeelResults[i].stderr, args.join(' ')).toMatch(message);
    });
    const failures: Array<[string[], string]> = [
      [['data', 'show', 'nothing'], 'keel: no dataset nothing (see `keel data list`)'],
      [['data', 'show', 'churn@9'], 'keel: no dataset churn@9'],
      [['data', 'diff', 'churn@1', 'other'], 'keel: no dataset other (see `keel data list`)'],
      [['data', 'validate', 'missing.csv', '--against', 'churn'], 'keel: no file at missing.csv'],
      [['data', 'validate', corrupted, '--against', 'nothing'], 'keel: no dataset nothing (see `keel data list`)'],
      [['data', 'schema', 'churn', '--set', 'missing.yaml'], 'keel: no readable schema file at missing.yaml'],
      [['data', 'schema', 'churn', '--schema-version', '7'], 'keel: dataset churn has no schema version 7'],
    ];
    const failureKeelResults = await Promise.all(failures.map(([args]) => keel(home, ...args)));
    failures.forEach(([args, line], i) => {
      expect(failureKeelResults[i].code, args.join(' ')).toBe(1);
      expect(failureKeelResults[i].stderr, args.join(' ')).toBe(`${line}\n`);
    });
  });
});
