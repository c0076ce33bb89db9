import type {
  DatasetVersion,
  Endpoint,
  Lineage,
  LineageEdge,
  LineageNode,
  ModelVersion,
  RegisteredModel,
  Run,
} from '../core/index.js';
import type { MetadataStore } from '../store/index.js';

/**
 * Lineage in both directions: dataset version → (cleaned versions) → run → model version →
 * endpoints. A model version's lineage is the chain upstream to its data and downstream to
 * the endpoints serving it; a dataset version's is everything downstream of it (and the
 * versions it was derived from).
 */

export async function modelVersionLineage(metadata: MetadataStore, version: ModelVersion): Promise<Lineage> {
  const graph = new LineageGraph();
  const model = await metadata.getRegisteredModel(version.name);
  const modelNode = graph.add(modelVersionNode(version, model));
  const run = version.runId ? await metadata.getRun(version.runId) : null;
  const datasetIds = new Set([
    ...(run?.datasetVersionIds ?? []),
    ...(version.datasetVersionId ? [version.datasetVersionId] : []),
  ]);
  let consumer = modelNode;
  if (run) {
    consumer = graph.add(runNode(run));
    graph.link(consumer, modelNode, 'produced');
  }
  for (const id of datasetIds) {
    const dataset = await metadata.getDatasetVersionById(id);
    if (!dataset) continue;
    graph.link(await addWithAncestors(metadata, graph, dataset), consumer, 'trained');
  }
  addEndpoints(graph, await metadata.listEndpoints(), [version]);
  return graph.toLineage(modelNode);
}

export async function datasetVersionLineage(metadata: MetadataStore, dataset: DatasetVersion): Promise<Lineage> {
  const graph = new LineageGraph();
  const root = await addWithAncestors(metadata, graph, dataset);
  // Every version downstream of this one: itself and the versions cleaned from it, recursively.
  const siblings = await metadata.listDatasetVersions(dataset.dataset);
  const downstream: DatasetVersion[] = [dataset];
  for (let i = 0; i < downstream.length; i++) {
    for (const child of siblings.filter((v) => parentOf(v) === downstream[i].id)) {
      graph.link(datasetNodeId(downstream[i]), graph.add(datasetNode(child)), 'derived');
      downstream.push(child);
    }
  }
  const versions = new Map<string, ModelVersion>();
  for (const data of downstream) {
    const dataNode = datasetNodeId(data);
    const runs = await metadata.listRunsByDatasetVersion(data.id);
    const runIds = new Set(runs.map((r) => r.id));
    for (const run of runs) graph.link(dataNode, graph.add(runNode(run)), 'trained');
    for (const run of runs) {
      for (const version of await metadata.listModelVersionsByLineage({ runId: run.id })) {
        versions.set(modelVersionNodeId(version), version);
        graph.link(`run:${run.id}`, modelVersionNodeId(version), 'produced');
      }
    }
    // A version registered without a run (an imported model) still names its data.
    for (const version of await metadata.listModelVersionsByLineage({ datasetVersionId: data.id })) {
      versions.set(modelVersionNodeId(version), version);
      if (!version.runId || !runIds.has(version.runId)) graph.link(dataNode, modelVersionNodeId(version), 'trained');
    }
  }
  const models = new Map<string, RegisteredModel | null>();
  for (const version of versions.values()) {
    if (!models.has(version.name)) models.set(version.name, await metadata.getRegisteredModel(version.name));
    graph.add(modelVersionNode(version, models.get(version.name) ?? null));
  }
  addEndpoints(graph, await metadata.listEndpoints(), [...versions.values()]);
  return graph.toLineage(root);
}

/** Adds a dataset version and the versions it was derived from; returns its node id. */
async function addWithAncestors(
  metadata: MetadataStore,
  graph: LineageGraph,
  dataset: DatasetVersion,
): Promise<string> {
  const id = graph.add(datasetNode(dataset));
  let child = dataset;
  for (let parentId = parentOf(child); parentId; parentId = parentOf(child)) {
    const parent = await metadata.getDatasetVersionById(parentId);
    if (!parent || graph.has(datasetNodeId(parent))) break;
    graph.link(graph.add(datasetNode(parent)), datasetNodeId(child), 'derived');
    child = parent;
  }
  return id;
}

function addEndpoints(graph: LineageGraph, endpoints: readonly Endpoint[], versions: readonly ModelVersion[]): void {
  for (const endpoint of endpoints) {
    const routes = endpoint.policy.routes.filter((r) =>
      versions.some((v) => v.name === r.model && v.version === r.version),
    );
    if (routes.length === 0) continue;
    const id = graph.add({
      kind: 'endpoint',
      id: `endpoint:${endpoint.name}`,
      name: endpoint.name,
      strategy: endpoint.policy.strategy,
      routes: routes.map(({ model, version, variant, percent }) => ({ model, version, variant, percent })),
    });
    for (const route of routes) graph.link(`model_version:${route.model}@${route.version}`, id, 'served');
  }
}

/** The parent of a version that cleaning derived from another one. */
function parentOf(version: DatasetVersion): string | null {
  const parent = version.source.kind === 'derived' ? version.source.options?.parent : undefined;
  return typeof parent === 'string' ? parent : null;
}

function datasetNodeId(version: DatasetVersion): string {
  return `dataset_version:${version.id}`;
}

function modelVersionNodeId(version: ModelVersion): string {
  return `model_version:${version.name}@${version.version}`;
}

function datasetNode(version: DatasetVersion): LineageNode {
  return {
    kind: 'dataset_version',
    id: datasetNodeId(version),
    datasetVersionId: version.id,
    dataset: version.dataset,
    version: version.version,
    rows: version.rows,
    source: version.source.kind,
    createdAt: version.createdAt,
  };
}

function runNode(run: Run): LineageNode {
  return {
    kind: 'run',
    id: `run:${run.id}`,
    runId: run.id,
    name: run.name,
    experiment: run.experiment,
    status: run.status,
    startedAt: run.startedAt,
  };
}

function modelVersionNode(version: ModelVersion, model: RegisteredModel | null): LineageNode {
  return {
    kind: 'model_version',
    id: modelVersionNodeId(version),
    name: version.name,
    version: version.version,
    algorithm: version.algorithm,
    aliases: Object.entries(model?.aliases ?? {})
      .filter(([, v]) => v === version.version)
      .map(([alias]) => alias)
      .sort(),
    blessed: version.blessing ? version.blessing.passed : null,
    createdAt: version.createdAt,
  };
}

/** Nodes by id and edges without duplicates, in the order they were found. */
class LineageGraph {
  readonly #nodes = new Map<string, LineageNode>();
  readonly #edges = new Map<string, LineageEdge>();

  add(node: LineageNode): string {
    if (!this.#nodes.has(node.id)) this.#nodes.set(node.id, node);
    return node.id;
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  link(from: string, to: string, relation: LineageEdge['relation']): void {
    this.#edges.set(`${from}\u0000${to}`, { from, to, relation });
  }

  toLineage(root: string): Lineage {
    return {
      root,
      nodes: [...this.#nodes.values()],
      edges: [...this.#edges.values()].filter((e) => this.#nodes.has(e.from) && this.#nodes.has(e.to)),
    };
  }
}
