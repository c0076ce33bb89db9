import { notFound, type ReferenceProfile } from '../core/index.js';
import type { ReferenceLoader } from '../monitoring/index.js';
import type { Registry } from '../registry/index.js';
import type { MetadataStore } from '../store/index.js';

/**
 * Training references for monitoring, from the model packages: through the registry's cache of
 * loaded models, which serving fills anyway, so the dashboard's refreshes and the alert
 * evaluator read a package once, not on every look.
 */
export function referenceLoader(metadata: MetadataStore, registry: Registry): ReferenceLoader {
  return async (model: string, version: number): Promise<ReferenceProfile> => {
    const found = await metadata.getModelVersion(model, version);
    if (!found) throw notFound(`model version ${model}@${version} does not exist`, { field: 'model' });
    const loaded = await registry.loadServable(found);
    return loaded.reference ?? (await registry.readPackage(found)).reference;
  };
}
