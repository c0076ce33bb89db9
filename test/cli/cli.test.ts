import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keel, keelBinary } from '../helpers/keel-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';

describe('the keel command line', () => {
  let home: string;
  beforeAll(() => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    home = mkdtempSync(join(tmpdir(), 'keel-cli-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('has help for every command', async () => {
    const top = await keel(home, '--help');
    expect(top.code).toBe(0);
    for (const command of ['demo', 'run', 'data', 'runs', 'models', 'server', 'monitor']) {
      expect(top.stdout).toContain(command);
    }
    for (const args of [
      ['run'],
      ['data', 'import'],
      ['data', 'list'],
      ['data', 'profile'],
      ['runs', 'list'],
      ['models', 'list'],
      ['server'],
      ['monitor'],
      ['demo'],
    ]) {
      const help = await keel(home, ...args, '--help');
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/^Usage: keel /);
    }
  });

  it('refuses a malformed keel.yaml in one line naming the key, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-bad-project-'));
    cpSync(churnProjectDir, dir, { recursive: true });
    const yaml = readFileSync(join(dir, 'keel.yaml'), 'utf8').replace('testSize: 0.2', 'testSise: 0.2');
    writeFileSync(join(dir, 'keel.yaml'), yaml);
    const bad = mkdtempSync(join(tmpdir(), 'keel-untouched-'));
    const result = await keel(bad, 'run', dir);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('split.testSise: unknown key');
    expect(existsSync(join(bad, '.keel'))).toBe(false);
  });

  it('runs the churn project, then finds nothing to do the second time', async () => {
    const first = await keel(home, 'run', churnProjectDir, '--json');
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout) as {
      allCached: boolean;
      outputs: { deploy: { endpoint: string; version: number } };
    };
    expect(result.allCached).toBe(false);
    expect(result.outputs.deploy).toMatchObject({ endpoint: 'churn', version: 1 });

    const second = await keel(home, 'run', churnProjectDir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing changed since the last run: all 10 steps were cached, no work done.');
    expect(second.stderr).toContain('cached');
  });

  it('lists datasets, profiles, runs and models as tables and as JSON', async () => {
    const datasets = JSON.parse((await keel(home, 'data', 'list', '--json')).stdout);
    expect(datasets.datasets[0]).toMatchObject({ name: 'telco-churn', versions: 1, latest: { rows: 7043 } });
    const profile = JSON.parse((await keel(home, 'data', 'profile', 'telco-churn@1', '--json')).stdout);
    expect(profile).toMatchObject({ dataset: 'telco-churn', version: 1, rows: 7043 });
    expect(profile.columns.find((c: { name: string }) => c.name === 'TotalCharges')).toMatchObject({ missing: 11 });
    const runs = JSON.parse((await keel(home, 'runs', 'list', '--json')).stdout);
    expect(runs.runs.map((r: { name: string }) => r.name).sort()).toEqual(['decision_tree', 'logistic_regression']);
    const models = JSON.parse((await keel(home, 'models', 'list', '--json')).stdout);
    expect(models.models[0]).toMatchObject({ name: 'churn', latestVersion: 1, aliases: { champion: 1 } });
    const table = await keel(home, 'runs', 'list');
    expect(table.stdout).toMatch(/^RUN\s+EXPERIMENT\s+NAME\s+STATUS\s+ROC_AUC/);
    const monitor = JSON.parse((await keel(home, 'monitor', 'churn', '--json')).stdout);
    expect(monitor).toMatchObject({ endpoint: 'churn', requests: 0 });
  });

  it('imports a CSV and says so when the same content comes again', async () => {
    const csv = join(churnProjectDir, 'telco_churn.csv');
    const first = await keel(home, 'data', 'import', csv, '--name', 'churn-copy', '--missing', '"", ,NA,?');
    expect(first.stdout).toContain('Imported churn-copy@1: 7,043 rows, 21 columns');
    const again = await keel(home, 'data', 'import', csv, '--name', 'churn-copy', '--missing', '"", ,NA,?');
    expect(again.stdout).toContain('Already imported: churn-copy@1');
  });

  it('gives one-line reasons and non-zero exits for bad input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['data', 'import', 'nope.csv', '--name', 'x'], /nope\.csv/],
      [['data', 'import', 'x.csv', '--name', 'Bad Name'], /--name "Bad Name" is not a dataset name/],
      [['data', 'profile', 'nothing@7'], /no dataset nothing@7/],
      [['monitor', 'nope'], /no endpoint named "nope"/],
      [['monitor', 'churn', '--since', 'yesterday-ish'], /--since "yesterday-ish"/],
      [['run', '/no/such/project'], /no project at \/no\/such\/project/],
      [['runs', 'list', '--limit', 'x'], /must be a positive whole number/],
    ];
    for (const [args, message] of cases) {
      const result = await keel(home, ...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});

describe('the package', () => {
  it("can be imported as 'keel' from the built output", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const k = await import('keel'); console.log([typeof k.LogisticRegression, typeof k.openWorkspace, typeof k.FeaturePipeline, typeof k.runProject].join(','))",
      ],
      { cwd: packageRoot },
    );
    expect(stdout.trim()).toBe('function,function,function,function');
  });
});
