import type { Command } from 'commander';
import { notFound, type AliasEvent, type ModelVersion, type RegisteredModel } from '../../core/index.js';
import { parseModelRef } from '../../registry/index.js';
import type { Workspace } from '../../server/index.js';
import { fmtNumber, formatTable, printJson } from '../output.js';
import { describeMove, gateStatus, withWorkspace } from './models-shared.js';

const HISTORY_SHOWN = 20;

export function registerModelShowCommand(models: Command): void {
  models
    .command('show')
    .description(
      'A model: every version with its metrics, aliases and gate decision, and the alias history; NAME@VERSION or NAME@ALIAS: that version in full (metrics, signature, tags, gate decision, package)',
    )
    .argument('<model>', 'NAME, NAME@VERSION or NAME@ALIAS')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const parsed = parseModelRef(ref);
        const model = await workspace.metadata.getRegisteredModel(parsed.name);
        if (!model) throw notFound(`no model named "${parsed.name}"`, { field: 'model' });
        const aliasEvents = await workspace.metadata.listAliasEvents(model.name);
        if ('latest' in parsed && !ref.includes('@')) {
          const versions = await workspace.metadata.listModelVersions(model.name);
          if (options.json) return printJson({ model, versions, aliasEvents });
          process.stdout.write(modelText(model, versions, aliasEvents));
          return;
        }
        const version = await workspace.registry.resolve(ref);
        const manifest = await packageManifest(workspace, version);
        if (options.json) return printJson({ model, version, package: manifest, aliasEvents });
        process.stdout.write(versionText(model, version, manifest, aliasEvents));
      });
    });
}

async function packageManifest(workspace: Workspace, version: ModelVersion) {
  // Reading the package checks it: a corrupted or incompatible one fails here, naming the version.
  const pkg = await workspace.registry.readPackage(version);
  return {
    format: pkg.format,
    formatVersion: pkg.formatVersion,
    keelVersion: pkg.keelVersion,
    createdAt: pkg.createdAt,
  };
}

function aliasesOf(model: RegisteredModel, version: number): string[] {
  return Object.entries(model.aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => `@${alias}`);
}

function modelText(model: RegisteredModel, versions: readonly ModelVersion[], events: readonly AliasEvent[]): string {
  const metrics = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))]
    .filter((m) => !['fit_seconds', 'train_rows'].includes(m))
    .sort();
  const lines = [
    `${model.name}${model.description ? ` — ${model.description}` : ''}`,
    `${versions.length} version${versions.length === 1 ? '' : 's'}; aliases: ${
      Object.entries(model.aliases)
        .map(([alias, v]) => `@${alias} → v${v}`)
        .join(', ') || 'none'
    }`,
    '',
    formatTable(
      ['VERSION', 'ALIASES', 'ALGORITHM', ...metrics.map((m) => m.toUpperCase()), 'GATE', 'CREATED'],
      versions.map((v) => [
        `v${v.version}`,
        aliasesOf(model, v.version).join(', ') || '–',
        v.algorithm,
        ...metrics.map((m) => fmtNumber(v.metrics[m])),
        gateStatus(v),
        v.createdAt,
      ]),
    ),
    '',
    historyText(events),
  ];
  return lines.join('\n') + '\n';
}

function versionText(
  model: RegisteredModel,
  version: ModelVersion,
  manifest: Awaited<ReturnType<typeof packageManifest>>,
  events: readonly AliasEvent[],
): string {
  const aliases = aliasesOf(model, version.version);
  const { signature, blessing } = version;
  const lines = [
    `${version.name}@${version.version}${aliases.length ? `  ${aliases.join(' ')}` : ''}`,
    formatFacts([
      ['Algorithm', version.algorithm],
      ['Registered', version.createdAt],
      ['Run', version.runId ?? '–'],
      ['Dataset version', version.datasetVersionId ?? '–'],
      ['Package', `${version.artifact} (format ${manifest.formatVersion}, Keel ${manifest.keelVersion})`],
      ['Task', `${signature.task}${signature.classes ? ` (classes ${signature.classes.join(', ')})` : ''}`],
    ]),
    '',
    'Gate',
  ];
  if (!blessing) lines.push('  not gated');
  else {
    lines.push(
      `  ${blessing.passed ? 'blessed' : 'not blessed'} for @${blessing.alias} by ${blessing.actor} at ${blessing.at}` +
        (blessing.champion !== null ? ` (compared with v${blessing.champion})` : ''),
    );
    for (const check of blessing.checks) lines.push(`  ${check.passed ? '✓' : '✗'} ${check.reason}`);
    if (blessing.latencyMs) {
      const l = blessing.latencyMs;
      lines.push(
        `  predict latency over ${l.rows} rows: p50 ${fmtNumber(l.p50, 3)} ms, p95 ${fmtNumber(l.p95, 3)} ms, p99 ${fmtNumber(l.p99, 3)} ms`,
      );
    }
  }
  lines.push('', 'Metrics (test split)');
  lines.push(
    formatTable(
      ['METRIC', 'VALUE'],
      Object.entries(version.metrics).map(([k, v]) => [k, fmtNumber(v)]),
    ),
  );
  lines.push('', `Signature: ${signature.inputs.length} inputs`);
  lines.push(
    formatTable(
      ['INPUT', 'TYPE', 'NULLABLE', 'CATEGORIES'],
      signature.inputs.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', c.domain ? c.domain.join(', ') : '–']),
    ),
  );
  const tags = Object.entries(version.tags).sort(([a], [b]) => (a < b ? -1 : 1));
  lines.push('', 'Tags', tags.length ? formatTable(['KEY', 'VALUE'], tags) : '  (none)');
  lines.push('', historyText(events));
  return lines.join('\n') + '\n';
}

function historyText(events: readonly AliasEvent[]): string {
  if (events.length === 0) return 'Alias history: no alias has been set.';
  const shown = events.slice(0, HISTORY_SHOWN);
  return (
    'Alias history (newest first)\n' +
    formatTable(
      ['WHEN', 'ALIAS', 'MOVE', 'BY', 'REASON'],
      shown.map((e) => [e.at, `@${e.alias}`, describeMove(e) + (e.override ? ' (override)' : ''), e.actor, e.reason]),
    ) +
    (events.length > shown.length ? `\n… ${events.length - shown.length} older (see --json)` : '')
  );
}

function formatFacts(rows: ReadonlyArray<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}
