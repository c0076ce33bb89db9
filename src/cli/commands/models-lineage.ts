import type { Command } from 'commander';
import type { Lineage, LineageNode } from '../../core/index.js';
import { printJson } from '../output.js';
import { withWorkspace } from './models-shared.js';

export function registerModelLineageCommand(models: Command): void {
  models
    .command('lineage')
    .description("A version's lineage as a tree: dataset version(s) → run → model version → endpoints")
    .argument('<model>', 'NAME@VERSION, NAME@ALIAS or NAME (the latest version)')
    .option('--json', 'the lineage graph (nodes and edges) as JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const lineage = await workspace.registry.modelLineage(await workspace.registry.resolve(ref));
        if (options.json) return printJson({ lineage });
        process.stdout.write(lineageTree(lineage));
      });
    });
}

/**
 * The graph as an indented tree from its sources (nodes nothing flows into), following edges
 * downstream. A node reached twice is printed in full once, then referred to.
 */
export function lineageTree(lineage: Lineage): string {
  const byId = new Map(lineage.nodes.map((n) => [n.id, n]));
  const children = new Map<string, string[]>();
  const hasParent = new Set<string>();
  for (const edge of lineage.edges) {
    children.set(edge.from, [...(children.get(edge.from) ?? []), edge.to]);
    hasParent.add(edge.to);
  }
  const printed = new Set<string>();
  const lines: string[] = [];
  const visit = (id: string, prefix: string, last: boolean, depth: number) => {
    const node = byId.get(id);
    if (!node) return;
    const branch = depth === 0 ? '' : last ? '└── ' : '├── ';
    const marker = id === lineage.root ? '  ◀' : '';
    if (printed.has(id)) {
      lines.push(`${prefix}${branch}${label(node)} (see above)`);
      return;
    }
    printed.add(id);
    lines.push(`${prefix}${branch}${label(node)}${marker}`);
    const next = children.get(id) ?? [];
    const childPrefix = depth === 0 ? '' : prefix + (last ? '    ' : '│   ');
    next.forEach((child, i) => visit(child, childPrefix, i === next.length - 1, depth + 1));
  };
  for (const node of lineage.nodes.filter((n) => !hasParent.has(n.id))) visit(node.id, '', true, 0);
  return lines.join('\n') + '\n';
}

function label(node: LineageNode): string {
  switch (node.kind) {
    case 'dataset_version':
      return `dataset ${node.dataset}@${node.version}  ${node.datasetVersionId}, ${node.rows.toLocaleString('en-US')} rows (${node.source})`;
    case 'run':
      return `run ${node.name}  ${node.runId} (${node.status})`;
    case 'model_version': {
      const gate = node.blessed === null ? 'not gated' : node.blessed ? 'blessed' : 'not blessed';
      const aliases = node.aliases.map((a) => ` @${a}`).join('');
      return `model ${node.name}@${node.version}${aliases}  ${node.algorithm}, ${gate}`;
    }
    case 'endpoint':
      return `endpoint ${node.name}  ${node.strategy}, ${node.routes.map((r) => `${r.variant} ${r.percent}% → ${r.model}@${r.version}`).join(', ')}`;
  }
}
