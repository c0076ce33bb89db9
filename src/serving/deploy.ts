import { notFound, type Endpoint, type TrafficPolicy } from '../core/index.js';
import type { MetadataStore } from '../store/index.js';

/**
 * Points an endpoint at one model version (the `direct` strategy). The policy change and its
 * audit event are one transaction in the store.
 */
export async function deployDirect(
  metadata: MetadataStore,
  endpoint: string,
  model: { name: string; version: number },
  event: { actor: string; reason: string },
): Promise<Endpoint> {
  const version = await metadata.getModelVersion(model.name, model.version);
  if (!version) throw notFound(`model version ${model.name}@${model.version} does not exist`, { field: 'model' });
  const policy: TrafficPolicy = {
    strategy: 'direct',
    routes: [{ model: model.name, version: model.version, percent: 100, variant: 'primary' }],
  };
  return metadata.putEndpoint(endpoint, policy, { kind: 'deploy', ...event });
}
