import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadProject, rowAt, type ModelVersion, type Row } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { Registry, type ServableModel } from '../../src/registry/index.js';
import { createApp } from '../../src/server/index.js';
import { deployDirect, ServingRuntime, type ServingOptions } from '../../src/serving/index.js';
import { churnProjectDir } from './demo-server.js';
import { tempWorkspace } from './workspace.js';

/** Model versions of the fixture, all named `churn`. */
export const V = {
  /** The champion: logistic regression, what endpoints serve first. */
  primary: 1,
  /** A good candidate: a decision tree trained by a second run of the lifecycle. */
  candidate: 2,
  /** A bad candidate whose signature requires a field traffic never sends: every request it gets fails (400). */
  needsField: 3,
  /** The primary's package again, made slow by the fixture's registry. */
  slow: 4,
  /** The primary's package again, whose predictions throw (500). */
  failing: 5,
} as const;

/** The delay of version `slow` (and of models `slowShadow` wraps), ms. */
export const SLOW_MS = 80;

export interface ChurnFixture {
  readonly workspace: Awaited<ReturnType<typeof tempWorkspace>>;
  readonly registry: Registry;
  readonly runtime: ServingRuntime;
  readonly app: FastifyInstance;
  /** Raw rows of the churn data without the target, one customer each (7,043). */
  readonly rows: readonly Row[];
  /** A new endpoint serving the primary directly. */
  endpoint(prefix: string): Promise<string>;
  predict(endpoint: string, instances: readonly Row[]): Promise<{ status: number; body: PredictBody }>;
  close(): Promise<void>;
}

export interface PredictBody {
  readonly predictions: ReadonlyArray<{ id: string; label: string; probabilities: Record<string, number> }>;
  readonly model: { name: string; version: number };
  readonly variant: string;
  readonly error?: { code: string; message: string; details: Record<string, unknown> };
}

/** Versions the fixture's registry slows down or breaks; everything else loads as usual. */
class FixtureRegistry extends Registry {
  override loadServable(version: ModelVersion): Promise<ServableModel> {
    const model = super.loadServable(version);
    if (version.version === V.slow) return model.then((m) => delayed(m, SLOW_MS));
    if (version.version === V.failing) return model.then(failing);
    return model;
  }
}

export function delayed(model: ServableModel, ms: number): ServableModel {
  return {
    signature: model.signature,
    predict: async (rows) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return model.predict(rows);
    },
  };
}

export function failing(model: ServableModel): ServableModel {
  return {
    signature: model.signature,
    predict: () => {
      throw new Error('this package is broken on purpose');
    },
  };
}

/**
 * The churn example through the lifecycle twice (v1 logistic regression, the champion; v2 a
 * decision tree from a second run whose strict recall threshold keeps it from the gate), plus
 * three deliberately bad versions, served in-process by a runtime that reads policies on every
 * request.
 */
export async function churnFixture(options: ServingOptions = {}): Promise<ChurnFixture> {
  const workspace = await tempWorkspace();
  const first = await runProject(loadProject(churnProjectDir), workspace, { actor: 'test' });
  const second = mkdtempSync(join(tmpdir(), 'keel-churn-tree-'));
  try {
    cpSync(churnProjectDir, second, { recursive: true });
    const yaml = readFileSync(join(second, 'keel.yaml'), 'utf8')
      .replace(/ {4}- algorithm: logistic_regression\n {6}params: \{[^}]*\}\n/, '')
      .replace('maxDepth: 6', 'maxDepth: 4')
      .replace('recall: { min: 0.45 }', 'recall: { min: 0.95 }');
    writeFileSync(join(second, 'keel.yaml'), yaml);
    await runProject(loadProject(second), workspace, { actor: 'test' });
  } finally {
    rmSync(second, { recursive: true, force: true });
  }
  const registry = new FixtureRegistry(workspace);
  const v1 = await registry.resolve(`churn@${V.primary}`);
  const pkg = await registry.readPackage(v1);
  const needsField = {
    ...pkg,
    signature: {
      ...pkg.signature,
      inputs: [...pkg.signature.inputs, { name: 'loyaltyTier', type: 'categorical' as const, nullable: false }],
    },
  };
  for (const [expected, p] of [
    [V.needsField, needsField],
    [V.slow, pkg],
    [V.failing, pkg],
  ] as const) {
    const version = await registry.register('churn', p);
    if (version.version !== expected) throw new Error(`fixture: expected churn@${expected}, got @${version.version}`);
  }
  if ((await registry.resolve('churn@2')).algorithm !== 'decision_tree') throw new Error('fixture: v2 is no tree');

  const dataset = await workspace.metadata.getDatasetVersionById(first.outputs.import.datasetVersionId);
  if (!dataset) throw new Error('fixture: the imported dataset version is missing');
  const table = await readTable(await workspace.artifacts.localPath(dataset.artifact));
  const rows = Array.from({ length: table.rows }, (_, i) => rowAt(table, i, ['Churn']));

  const runtime = new ServingRuntime(workspace.metadata, registry, { policyTtlMs: 0, ...options });
  const app = await createApp({ ...workspace, registry, runtime });
  let endpoints = 0;
  return {
    workspace,
    registry,
    runtime,
    app,
    rows,
    async endpoint(prefix) {
      const name = `${prefix}-${++endpoints}`;
      await deployDirect(
        workspace.metadata,
        name,
        { name: 'churn', version: V.primary },
        { actor: 'test', reason: '' },
      );
      return name;
    },
    async predict(endpoint, instances) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/endpoints/${endpoint}/predict`,
        payload: { instances },
      });
      return { status: response.statusCode, body: response.json() as PredictBody };
    },
    async close() {
      await app.close();
      await runtime.close();
      await workspace.dispose();
    },
  };
}
