import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keelBinary, runKeel, type KeelResult } from '../helpers/keel-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceConfig, type AliasEvent, type Lineage, type ModelCard } from '../../src/core/index.js';
import { createPackage, PACKAGE_FORMAT_VERSION } from '../../src/registry/index.js';
import { openWorkspace } from '../../src/server/index.js';
import { openMetadataStore } from '../../src/store/index.js';
import { dropPostgresSchema, postgresUrl, requirePostgres } from '../../test/store/postgres.js';
import { churnProjectDir } from '../helpers/demo-server.js';

/** Runs the built `keel` binary as a user does, in the workspace `home` (or the database `databaseUrl`). */
function keel(env: { home: string; databaseUrl?: string }, ...args: string[]): Promise<KeelResult> {
  return runKeel({ home: env.home, databaseUrl: env.databaseUrl, env: { KEEL_ACTOR: 'ana' } }, ...args);
}

/** A failure is one line on stderr naming the reason, and no stack trace. */
function expectOneLineFailure(result: KeelResult, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
}

/** The churn project with a recall threshold no model meets, and another tree depth (so it retrains). */
function strictChurn(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-strict-'));
  cpSync(churnProjectDir, dir, { recursive: true });
  const yaml = readFileSync(join(dir, 'keel.yaml'), 'utf8')
    .replace('maxDepth: 6', 'maxDepth: 5')
    .replace('recall: { min: 0.45 }', 'recall: { min: 0.95 }');
  writeFileSync(join(dir, 'keel.yaml'), yaml);
  return dir;
}

describe('keel models, after keel run examples/churn', () => {
  let env: { home: string };
  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm test builds it)`);
    env = { home: mkdtempSync(join(tmpdir(), 'keel-models-')) };
    expect((await keel(env, 'run', churnProjectDir)).code).toBe(0);
    expect((await keel(env, 'run', strictChurn())).code).toBe(0);
  });
  afterAll(() => rmSync(env.home, { recursive: true, force: true }));

  it('has help for every models command', async () => {
    for (const command of ['list', 'show', 'alias', 'tag', 'card', 'lineage']) {
      const help = await keel(env, 'models', command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: keel models ${command} `));
    }
  });

  it('shows every version with its gate decision, and one version in full', async () => {
    const overview = await keel(env, 'models', 'show', 'churn');
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/^v2 .* not blessed /m);
    expect(overview.stdout).toMatch(/^v1 +@champion .* blessed /m);
    expect(overview.stdout).toContain('Alias history (newest first)');

    const one = await keel(env, 'models', 'show', 'churn@champion');
    expect(one.stdout).toMatch(/^churn@1 {2}@champion$/m);
    expect(one.stdout).toContain('✓ p99 latency');
    expect(one.stdout).toMatch(/Signature: 19 inputs/);
    const json = JSON.parse((await keel(env, 'models', 'show', 'churn@2', '--json')).stdout);
    expect(json.version).toMatchObject({ version: 2, blessing: { passed: false } });
    expect(json.version.blessing.reasons).toContain('recall = 0.5267 is below the minimum 0.95');
    expect(json.package).toMatchObject({ format: 'keel.model-package', formatVersion: PACKAGE_FORMAT_VERSION });
  });

  it('prints the lineage from the dataset to the endpoint as a tree, and as JSON', async () => {
    const tree = await keel(env, 'models', 'lineage', 'churn@champion');
    expect(tree.code).toBe(0);
    const lines = tree.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^dataset telco-churn@1 {2}dsv_\S+, 7,043 rows \(csv\)$/);
    expect(lines[1]).toMatch(/^└── run logistic_regression {2}run_\S+ \(finished\)$/);
    expect(lines[2]).toMatch(/^ {4}└── model churn@1 @champion {2}logistic_regression, blessed {2}◀$/);
    expect(lines[3]).toBe('        └── endpoint churn  direct, primary 100% → churn@1');
    const { lineage } = JSON.parse((await keel(env, 'models', 'lineage', 'churn@2', '--json')).stdout) as {
      lineage: Lineage;
    };
    expect(lineage.root).toBe('model_version:churn@2');
    expect(lineage.nodes.some((n) => n.kind === 'endpoint')).toBe(false);
  });

  it('prints the model card as Markdown or JSON, writes it to a file and regenerates it', async () => {
    const markdown = await keel(env, 'models', 'card', 'churn@1');
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^# Model card: churn@1\n/);
    for (const section of [
      'Intended use',
      'Training data',
      'Features',
      'Evaluation on the test split',
      'Gate decision',
      'Limitations',
      'Lineage',
    ]) {
      expect(markdown.stdout).toContain(`## ${section}`);
    }
    const card = JSON.parse((await keel(env, 'models', 'card', 'churn@2', '--json')).stdout) as ModelCard;
    expect(card.gate?.passed).toBe(false);
    expect(card.limitations).toContain(
      'The gate did not bless this version: recall = 0.5267 is below the minimum 0.95.',
    );
    const out = join(env.home, 'card.md');
    expect((await keel(env, 'models', 'card', 'churn@1', '--out', out)).stdout).toContain(`to ${out}`);
    expect(readFileSync(out, 'utf8')).toBe(markdown.stdout);
    const regenerated = JSON.parse(
      (await keel(env, 'models', 'card', 'churn@1', '--regenerate', '--json')).stdout,
    ) as ModelCard;
    expect(
      regenerated.generatedAt > JSON.parse((await keel(env, 'models', 'card', 'churn@2', '--json')).stdout).generatedAt,
    ).toBe(true);
    expect(regenerated.intendedUse?.project).toBe('churn');
  });

  it('refuses @champion for a version the gate did not bless, unless forced with a reason; the history says so', async () => {
    const refused = await keel(env, 'models', 'alias', 'churn@2', 'champion');
    expectOneLineFailure(
      refused,
      /churn@2 cannot become @champion: the gate did not bless it: recall = 0\.5267 is below the minimum 0\.95/,
    );
    expectOneLineFailure(await keel(env, 'models', 'alias', 'churn@2', 'champion', '--force'), /needs a reason/);

    const forced = await keel(env, 'models', 'alias', 'churn@2', 'champion', '--force', '--reason', 'pilot needs it');
    expect(forced.stdout).toBe('churn@champion: v1 → v2 (gate override) — pilot needs it\n');
    const back = await keel(env, 'models', 'alias', 'churn@1', 'champion', '--reason', 'pilot over', '--json');
    expect(JSON.parse(back.stdout).event).toMatchObject({
      fromVersion: 2,
      toVersion: 1,
      actor: 'ana',
      reason: 'pilot over',
    });

    const { aliasEvents } = JSON.parse((await keel(env, 'models', 'show', 'churn', '--json')).stdout) as {
      aliasEvents: AliasEvent[];
    };
    expect(aliasEvents.map((e) => [e.fromVersion, e.toVersion, e.actor, e.override ?? false])).toEqual([
      [2, 1, 'ana', false],
      [1, 2, 'ana', true],
      [null, 1, 'keel run', false],
    ]);
    expect((await keel(env, 'models', 'show', 'churn')).stdout).toMatch(
      /@champion +v1 → v2 \(override\) +ana +pilot needs it/,
    );
  });

  it('moves and removes other aliases freely', async () => {
    expect((await keel(env, 'models', 'alias', 'churn@2', 'challenger', '--reason', 'shadow')).stdout).toBe(
      'churn@challenger: set to v2 — shadow\n',
    );
    expect((await keel(env, 'models', 'alias', 'churn', 'challenger', '--delete')).stdout).toBe(
      'churn@challenger: removed from v2\n',
    );
    expectOneLineFailure(
      await keel(env, 'models', 'alias', 'churn', 'challenger', '--delete'),
      /model "churn" has no alias "challenger"/,
    );
  });

  it('sets and removes tags, refusing the ones Keel writes', async () => {
    expect((await keel(env, 'models', 'tag', 'churn@1', 'owner=ana', 'ticket=ML-7')).code).toBe(0);
    const removed = JSON.parse((await keel(env, 'models', 'tag', 'churn@1', '--delete', 'ticket', '--json')).stdout);
    expect(removed.version.tags).toMatchObject({ owner: 'ana', 'gate.passed': 'true' });
    expect(removed.version.tags.ticket).toBeUndefined();
    expectOneLineFailure(
      await keel(env, 'models', 'tag', 'churn@1', 'gate.passed=true'),
      /tag "gate\.passed" is Keel's own/,
    );
    expectOneLineFailure(await keel(env, 'models', 'tag', 'churn@1', 'owner'), /"owner" is not a tag: write key=value/);
  });

  it('answers a missing version, alias or model in one line', async () => {
    expectOneLineFailure(
      await keel(env, 'models', 'alias', 'churn@9', 'champion'),
      /model "churn" has no version 9 \(its latest is 2\)/,
    );
    expectOneLineFailure(
      await keel(env, 'models', 'show', 'churn@staging'),
      /model "churn" has no alias "staging" \(it has @champion\)/,
    );
    expectOneLineFailure(await keel(env, 'models', 'lineage', 'fraud'), /no model named "fraud"/);
    expectOneLineFailure(await keel(env, 'models', 'card', 'Not A Ref'), /is not a model reference/);
    expectOneLineFailure(await keel(env, 'models', 'alias', 'churn@1', 'latest'), /"latest" cannot be an alias/);
  });

  it('says a corrupted package is corrupted, and names the format version of a package from another Keel', async () => {
    const ws = await openWorkspace(workspaceConfig({ KEEL_HOME: env.home }));
    let path: string;
    try {
      const version = await ws.registry.resolve('churn@1');
      path = await ws.artifacts.localPath(version.artifact);
      const pkg = await ws.registry.readPackage(version);
      await ws.registry.register('future', {
        ...createPackage(pkg),
        formatVersion: PACKAGE_FORMAT_VERSION + 1,
        keelVersion: '9.0.0',
      });
    } finally {
      await ws.close();
    }
    const original = readFileSync(path);
    chmodSync(path, 0o644);
    try {
      writeFileSync(path, original.subarray(0, original.length / 2));
      expectOneLineFailure(
        await keel(env, 'models', 'show', 'churn@1'),
        /package of churn@1 is corrupted: its bytes no longer match their digest sha256:/,
      );
    } finally {
      writeFileSync(path, original);
    }
    expect((await keel(env, 'models', 'show', 'churn@1')).code).toBe(0);
    expectOneLineFailure(
      await keel(env, 'models', 'show', 'future@1'),
      new RegExp(
        `package of future@1 has package format version ${PACKAGE_FORMAT_VERSION + 1} \\(written by Keel 9\\.0\\.0\\)`,
      ),
    );
  });
});

/**
 * Two `keel models alias` processes at once, as two people (or a person and a pipeline) would:
 * on SQLite and on PostgreSQL the alias ends on exactly one of the two versions, and the history
 * holds both moves, each recording the version it really replaced.
 */
describe('two concurrent alias moves', () => {
  async function seedModel(databaseUrl: string, name: string): Promise<void> {
    const store = await openMetadataStore(databaseUrl);
    try {
      for (const _ of [1, 2, 3]) {
        await store.createModelVersion({
          name,
          runId: null,
          datasetVersionId: null,
          artifact: `sha256:${randomBytes(32).toString('hex')}`,
          algorithm: 'logistic_regression',
          signature: { task: 'binary_classification', inputs: [] },
          metrics: {},
          tags: {},
        });
      }
      await store.setAlias(name, 'challenger', 1, { actor: 'seed', reason: 'start' });
    } finally {
      await store.close();
    }
  }

  async function raceAndCheck(env: { home: string; databaseUrl: string }, name: string): Promise<void> {
    await seedModel(env.databaseUrl, name);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        keel(env, 'models', 'alias', `${name}@2`, 'challenger', '--reason', `a${round}`),
        keel(env, 'models', 'alias', `${name}@3`, 'challenger', '--reason', `b${round}`),
      ]);
      for (const result of results) expect(result.code, result.stderr).toBe(0);
    }
    const { model, aliasEvents } = JSON.parse((await keel(env, 'models', 'show', name, '--json')).stdout) as {
      model: { aliases: Record<string, number> };
      aliasEvents: AliasEvent[];
    };
    expect(aliasEvents).toHaveLength(7);
    expect([2, 3]).toContain(model.aliases.challenger);
    expect(aliasEvents[0].toVersion).toBe(model.aliases.challenger);
    // An unbroken chain: each move starts where the one before it ended, so none was lost or reordered.
    for (let i = 0; i < aliasEvents.length - 1; i++)
      expect(aliasEvents[i].fromVersion).toBe(aliasEvents[i + 1].toVersion);
    expect(aliasEvents.at(-1)).toMatchObject({ fromVersion: null, toVersion: 1, reason: 'start' });
    expect(
      aliasEvents
        .slice(0, 6)
        .map((e) => e.reason)
        .sort(),
    ).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  }

  it('on SQLite', async () => {
    const home = mkdtempSync(join(tmpdir(), 'keel-race-'));
    try {
      await raceAndCheck({ home, databaseUrl: `sqlite://${join(home, 'keel.db')}` }, 'race');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('on PostgreSQL', async () => {
    await requirePostgres();
    const home = mkdtempSync(join(tmpdir(), 'keel-race-'));
    const schema = `keel_race_${process.pid}_${randomBytes(4).toString('hex')}`;
    try {
      await raceAndCheck({ home, databaseUrl: postgresUrl(schema) }, 'race');
    } finally {
      rmSync(home, { recursive: true, force: true });
      await dropPostgresSchema(schema);
    }
  });
});
