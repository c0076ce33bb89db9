import {
  decodeEvaluationReport,
  KeelError,
  MODEL_CARD_FORMAT,
  MODEL_CARD_VERSION,
  notFound,
  sha256Hex,
  type AliasEvent,
  type Blessing,
  type DatasetVersion,
  type EvaluationReport,
  type IntendedUse,
  type Lineage,
  type ModelCard,
  type ModelVersion,
} from '../core/index.js';
import type { AliasChange, ArtifactStore, MetadataStore } from '../store/index.js';
import { datasetVersionLineage, modelVersionLineage } from './lineage.js';
import { LoadedModel, type ServableModel } from './loaded-model.js';
import { buildModelCard, renderModelCard } from './model-card.js';
import { decodePackage, encodePackage, type ModelPackage } from './model-package.js';
import { parseModelRef } from './model-ref.js';
import { OnnxModel } from './onnx/onnx-model.js';

export interface RegisterOptions {
  readonly runId?: string | null;
  readonly datasetVersionId?: string | null;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface RegistryOptions {
  /**
   * Aliases only a blessed version may take, unless the move is forced with a reason (an
   * override, recorded as such). The alias a version's own gate decision was for is gated too.
   */
  readonly gatedAliases?: readonly string[];
}

/** An alias move as a person or a pipeline asks for it. */
export interface AliasMove {
  readonly actor: string;
  readonly reason: string;
  /** Move a gated alias onto a version the gate did not bless; needs a reason. */
  readonly force?: boolean;
}

export interface StoredModelCard {
  readonly card: ModelCard;
  readonly markdown: string;
}

/** The run artifact holding a candidate's evaluation report. */
export const EVALUATION_REPORT_PATH = 'evaluation/report.json';
/** Tags naming a version's model card artifacts (JSON and Markdown). `keel.` tags are written by Keel only. */
export const CARD_TAG = 'keel.card';
export const CARD_MARKDOWN_TAG = 'keel.card_md';
/** Tag prefixes users cannot set or remove: Keel's own records and the gate's decision. */
const RESERVED_TAG_PREFIXES = ['keel.', 'gate.'];

/**
 * The model registry: named models with immutable, numbered versions whose packages live in
 * the artifact store, aliases (`champion`, …) that move atomically with a recorded history,
 * tags, the gate's decision (a blessing), model cards and lineage.
 */
export class Registry {
  /** Loaded models by package digest; a digest names one immutable content, so no invalidation. */
  private readonly loaded = new Map<string, Promise<ServableModel>>();
  private readonly gatedAliases: readonly string[];

  constructor(
    private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore },
    options: RegistryOptions = {},
  ) {
    this.gatedAliases = options.gatedAliases ?? ['champion'];
  }

  async register(name: string, pkg: ModelPackage, options: RegisterOptions = {}): Promise<ModelVersion> {
    const ref = await this.stores.artifacts.put(encodePackage(pkg));
    return this.stores.metadata.createModelVersion({
      name,
      runId: options.runId ?? pkg.lineage.runId,
      datasetVersionId: options.datasetVersionId ?? pkg.lineage.datasetVersionId,
      artifact: ref.digest,
      algorithm: pkg.algorithm,
      signature: pkg.signature,
      metrics: pkg.metrics,
      tags: options.tags ?? {},
      description: options.description,
    });
  }

  /** Resolves `name`, `name@VERSION` or `name@ALIAS` to a version, or fails naming what is missing. */
  async resolve(ref: string): Promise<ModelVersion> {
    const parsed = parseModelRef(ref);
    const model = await this.stores.metadata.getRegisteredModel(parsed.name);
    if (!model) throw notFound(`no model named "${parsed.name}"`, { field: 'model' });
    let version: number;
    if ('version' in parsed) version = parsed.version;
    else if ('alias' in parsed) {
      const target = model.aliases[parsed.alias];
      if (target === undefined) {
        const known = Object.keys(model.aliases);
        throw notFound(
          `model "${parsed.name}" has no alias "${parsed.alias}"${known.length ? ` (it has ${known.map((a) => `@${a}`).join(', ')})` : ''}`,
          { field: 'model' },
        );
      }
      version = target;
    } else version = model.latestVersion;
    const found = await this.stores.metadata.getModelVersion(parsed.name, version);
    if (!found) {
      throw notFound(`model "${parsed.name}" has no version ${version} (its latest is ${model.latestVersion})`, {
        field: 'model',
      });
    }
    return found;
  }

  /** The version's package, checked: bytes that do not match the version's digest are a corrupted file. */
  async readPackage(version: ModelVersion): Promise<ModelPackage> {
    const source = `package of ${version.name}@${version.version}`;
    const bytes = await this.stores.artifacts.get(version.artifact);
    if (`sha256:${sha256Hex(bytes)}` !== version.artifact) {
      throw new KeelError(
        'invalid_data',
        `${source} is corrupted: its bytes no longer match their digest ${version.artifact}`,
        { file: source, field: 'artifact' },
      );
    }
    return decodePackage(bytes, source);
  }

  /** The version's model rebuilt from Keel's fitted state (a package imported from ONNX is not one: see `loadServable`). */
  async load(version: ModelVersion): Promise<LoadedModel> {
    const model = await this.loadServable(version);
    if (!(model instanceof LoadedModel)) {
      throw new KeelError(
        'failed_precondition',
        `${version.name}@${version.version} is an imported ONNX model: it predicts through ONNX Runtime only`,
        { field: 'model' },
      );
    }
    return model;
  }

  /** What serving predicts with, for either runtime: Keel's fitted state, or an imported ONNX graph in ONNX Runtime. */
  loadServable(version: ModelVersion): Promise<ServableModel> {
    let model = this.loaded.get(version.artifact);
    if (!model) {
      const source = `package of ${version.name}@${version.version}`;
      model = this.readPackage(version).then((pkg): Promise<ServableModel> | ServableModel =>
        pkg.runtime === 'onnx' ? OnnxModel.fromPackage(pkg, source) : rebuild(pkg, source),
      );
      // A failed load must not poison the cache: the next request tries again.
      model.catch(() => this.loaded.delete(version.artifact));
      this.loaded.set(version.artifact, model);
    }
    return model;
  }

  /**
   * Points `alias` at a version and records who moved it and why. A gated alias (`champion`)
   * only goes to a version the gate blessed; `force` with a reason overrides that, and the
   * history records the move as an override.
   */
  async setAlias(name: string, alias: string, version: number, move: AliasMove): Promise<AliasEvent> {
    checkAliasName(alias);
    const target = await this.stores.metadata.getModelVersion(name, version);
    if (!target) {
      const model = await this.stores.metadata.getRegisteredModel(name);
      if (!model) throw notFound(`no model named "${name}"`, { field: 'model' });
      throw notFound(`model "${name}" has no version ${version} (its latest is ${model.latestVersion})`, {
        field: 'version',
      });
    }
    const gated = this.gatedAliases.includes(alias) || target.blessing?.alias === alias;
    const blessed = target.blessing?.passed === true;
    let override = false;
    if (gated && !blessed) {
      const why = target.blessing
        ? `the gate did not bless it: ${target.blessing.checks
            .filter((c) => !c.passed)
            .map((c) => c.reason)
            .join('; ')}`
        : 'it has not been through the gate';
      if (!move.force) {
        throw new KeelError(
          'failed_precondition',
          `${name}@${version} cannot become @${alias}: ${why}. To override the gate, force the move and give a reason ` +
            `(keel models alias ${name}@${version} ${alias} --force --reason "…")`,
          { field: 'alias', reasons: target.blessing?.reasons ?? [] },
        );
      }
      if (!move.reason.trim()) {
        throw new KeelError('invalid_argument', `overriding the gate for @${alias} needs a reason`, {
          field: 'reason',
        });
      }
      override = true;
    }
    const change: AliasChange = { actor: move.actor, reason: move.reason, ...(override ? { override } : {}) };
    return this.stores.metadata.setAlias(name, alias, version, change);
  }

  /** Removes an alias, recording who and why. Fails with not_found when the model has no such alias. */
  async deleteAlias(name: string, alias: string, move: Omit<AliasMove, 'force'>): Promise<AliasEvent> {
    const current = await this.stores.metadata.getAlias(name, alias);
    if (current === null) {
      if (!(await this.stores.metadata.getRegisteredModel(name)))
        throw notFound(`no model named "${name}"`, { field: 'model' });
      throw notFound(`model "${name}" has no alias "${alias}"`, { field: 'alias' });
    }
    return this.stores.metadata.setAlias(name, alias, null, { actor: move.actor, reason: move.reason });
  }

  /** Records the gate's decision on a version. */
  bless(version: ModelVersion, blessing: Blessing): Promise<ModelVersion> {
    return this.stores.metadata.setModelVersionBlessing(version.name, version.version, blessing);
  }

  /** Sets user tags on a version; `keel.*` and `gate.*` are Keel's own and refused. */
  async setTags(version: ModelVersion, tags: Readonly<Record<string, string>>): Promise<ModelVersion> {
    for (const [key, value] of Object.entries(tags)) {
      checkTagKey(key);
      if (typeof value !== 'string' || value.length > 5000) {
        throw new KeelError('invalid_argument', `tag "${key}" needs a text value of at most 5,000 characters`, {
          field: `tags.${key}`,
        });
      }
    }
    return this.stores.metadata.setModelVersionTags(version.name, version.version, tags);
  }

  async removeTags(version: ModelVersion, keys: readonly string[]): Promise<ModelVersion> {
    keys.forEach(checkTagKey);
    return this.stores.metadata.removeModelVersionTags(version.name, version.version, keys);
  }

  // -------------------------------------------------------------------------------------------
  // Model cards

  /** The card stored on the version, or null when none was generated yet. */
  async readCard(version: ModelVersion): Promise<StoredModelCard | null> {
    const jsonDigest = version.tags[CARD_TAG];
    const markdownDigest = version.tags[CARD_MARKDOWN_TAG];
    if (!jsonDigest || !markdownDigest) return null;
    const source = `model card of ${version.name}@${version.version}`;
    const [json, markdown] = await Promise.all([
      this.stores.artifacts.get(jsonDigest),
      this.stores.artifacts.get(markdownDigest),
    ]);
    let card: ModelCard;
    try {
      card = JSON.parse(new TextDecoder().decode(json)) as ModelCard;
    } catch (error) {
      throw new KeelError('invalid_data', `${source} is corrupted: ${(error as Error).message}`, { file: source });
    }
    if (card?.format !== MODEL_CARD_FORMAT || card.formatVersion !== MODEL_CARD_VERSION) {
      throw new KeelError(
        'incompatible',
        `${source} has format ${String(card?.format)} version ${String(card?.formatVersion)}; regenerate it (keel models card ${version.name}@${version.version} --regenerate)`,
        { file: source },
      );
    }
    return { card, markdown: new TextDecoder().decode(markdown) };
  }

  /**
   * Generates the version's card from what is recorded now and stores it (JSON and Markdown) as
   * artifacts named by the version's `keel.card` tags. Without `intendedUse`, the last card's is
   * kept: the project file is only at hand when a pipeline registers the version.
   */
  async writeCard(
    version: ModelVersion,
    options: { intendedUse?: IntendedUse } = {},
  ): Promise<StoredModelCard & { version: ModelVersion }> {
    const { metadata, artifacts } = this.stores;
    const [model, pkg, dataset, report, previous] = await Promise.all([
      metadata.getRegisteredModel(version.name),
      this.readPackage(version),
      version.datasetVersionId ? metadata.getDatasetVersionById(version.datasetVersionId) : Promise.resolve(null),
      this.evaluationReport(version),
      options.intendedUse ? Promise.resolve(null) : this.readCard(version).catch(() => null),
    ]);
    if (!model) throw notFound(`no model named "${version.name}"`, { field: 'model' });
    const card = buildModelCard({
      version,
      model,
      pkg,
      dataset,
      report,
      intendedUse: options.intendedUse ?? previous?.card.intendedUse ?? null,
    });
    const markdown = renderModelCard(card);
    const [jsonRef, markdownRef] = await Promise.all([
      artifacts.put(JSON.stringify(card, null, 2)),
      artifacts.put(markdown),
    ]);
    const updated = await metadata.setModelVersionTags(version.name, version.version, {
      [CARD_TAG]: jsonRef.digest,
      [CARD_MARKDOWN_TAG]: markdownRef.digest,
    });
    return { card, markdown, version: updated };
  }

  /** The evaluation report of the run that produced the version; null without a run or a readable report. */
  async evaluationReport(version: ModelVersion): Promise<EvaluationReport | null> {
    if (!version.runId) return null;
    const run = await this.stores.metadata.getRun(version.runId);
    const entry = run?.artifacts.find((a) => a.path === EVALUATION_REPORT_PATH);
    if (!entry) return null;
    try {
      return decodeEvaluationReport(
        await this.stores.artifacts.get(entry.digest),
        `evaluation report of run ${run?.id}`,
      );
    } catch (error) {
      // A report from an older Keel is left out of the card rather than misread.
      if (error instanceof KeelError && (error.code === 'incompatible' || error.code === 'invalid_data')) return null;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lineage

  modelLineage(version: ModelVersion): Promise<Lineage> {
    return modelVersionLineage(this.stores.metadata, version);
  }

  datasetLineage(version: DatasetVersion): Promise<Lineage> {
    return datasetVersionLineage(this.stores.metadata, version);
  }
}

/** Rebuilds the fitted pipeline and estimator; a package whose state does not rebuild is corrupted. */
function rebuild(pkg: ModelPackage, source: string): LoadedModel {
  try {
    return LoadedModel.fromPackage(pkg);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KeelError('invalid_data', `${source} is corrupted: its fitted state cannot be rebuilt (${reason})`, {
      file: source,
    });
  }
}

function checkAliasName(alias: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(alias) || alias === 'latest') {
    throw new KeelError(
      'invalid_argument',
      `"${alias}" cannot be an alias: use letters, digits, - and _, starting with a letter (not "latest")`,
      {
        field: 'alias',
      },
    );
  }
}

function checkTagKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/.test(key) || key.length > 250) {
    throw new KeelError('invalid_argument', `"${key}" is not a tag key: use letters, digits and _ . : / -`, {
      field: 'tags',
    });
  }
  const reserved = RESERVED_TAG_PREFIXES.find((prefix) => key.startsWith(prefix));
  if (reserved) {
    throw new KeelError('invalid_argument', `tag "${key}" is Keel's own (${reserved}* tags are written by Keel)`, {
      field: `tags.${key}`,
    });
  }
}
