import { KeelError, notFound, type ModelVersion } from '../core/index.js';
import type { AliasChange, ArtifactStore, MetadataStore } from '../store/index.js';
import { LoadedModel } from './loaded-model.js';
import { decodePackage, encodePackage, type ModelPackage } from './model-package.js';
import { parseModelRef } from './model-ref.js';

export interface RegisterOptions {
  readonly runId?: string | null;
  readonly datasetVersionId?: string | null;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The model registry: named models with immutable, numbered versions whose packages live in
 * the artifact store, and aliases (`champion`, …) that move atomically with a recorded history.
 */
export class Registry {
  /** Loaded models by package digest; a digest names one immutable content, so no invalidation. */
  private readonly loaded = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly stores: { metadata: MetadataStore; artifacts: ArtifactStore }) {}

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
        throw notFound(`model "${parsed.name}" has no alias "${parsed.alias}"`, { field: 'model' });
      }
      version = target;
    } else version = model.latestVersion;
    const found = await this.stores.metadata.getModelVersion(parsed.name, version);
    if (!found) throw notFound(`model "${parsed.name}" has no version ${version}`, { field: 'model' });
    return found;
  }

  async readPackage(version: ModelVersion): Promise<ModelPackage> {
    const bytes = await this.stores.artifacts.get(version.artifact);
    return decodePackage(bytes, `package of ${version.name}@${version.version}`);
  }

  load(version: ModelVersion): Promise<LoadedModel> {
    let model = this.loaded.get(version.artifact);
    if (!model) {
      model = this.readPackage(version).then((pkg) => LoadedModel.fromPackage(pkg));
      // A failed load must not poison the cache: the next request tries again.
      model.catch(() => this.loaded.delete(version.artifact));
      this.loaded.set(version.artifact, model);
    }
    return model;
  }

  async setAlias(name: string, alias: string, version: number, change: AliasChange): Promise<void> {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(alias) || /^latest$/.test(alias)) {
      throw new KeelError('invalid_argument', `"${alias}" cannot be an alias: use letters, digits, - and _`, {
        field: 'alias',
      });
    }
    await this.stores.metadata.setAlias(name, alias, version, change);
  }
}
