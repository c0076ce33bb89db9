import type { Command } from 'commander';
import { invalidArgument } from '../../core/index.js';
import { parseModelRef } from '../../registry/index.js';
import { formatTable, printJson } from '../output.js';
import { registerModelCardCommand } from './models-card.js';
import { registerModelLineageCommand } from './models-lineage.js';
import { registerModelsOnnxCommands } from './models-onnx.js';
import { cliActor, describeMove, withWorkspace } from './models-shared.js';
import { registerModelShowCommand } from './models-show.js';

export function registerModelsCommands(program: Command): void {
  const models = program
    .command('models')
    .description(
      'The model registry: versions, aliases, tags, model cards and lineage (NAME, NAME@VERSION or NAME@ALIAS)',
    );
  models
    .command('list')
    .description('List registered models with their latest version and aliases')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const list = await workspace.metadata.listRegisteredModels();
        if (options.json) return printJson({ models: list });
        if (list.length === 0) return void process.stdout.write('No models yet. Try `keel run examples/churn`.\n');
        process.stdout.write(
          formatTable(
            ['MODEL', 'LATEST', 'ALIASES', 'CREATED'],
            list.map((m) => [
              m.name,
              `v${m.latestVersion}`,
              Object.entries(m.aliases)
                .map(([a, v]) => `${a}→v${v}`)
                .join(', ') || '–',
              m.createdAt,
            ]),
          ) + '\n',
        );
      });
    });

  registerModelShowCommand(models);
  registerModelsOnnxCommands(models);

  models
    .command('alias')
    .description(
      'Point an alias at a version, recording who, when and why (--delete removes it). @champion only goes to a version the gate blessed, unless --force with --reason overrides the gate',
    )
    .argument('<model>', 'NAME@VERSION (or NAME@ALIAS, or NAME for the latest version)')
    .argument('<alias>', 'the alias, e.g. champion or challenger')
    .option('--reason <text>', 'why, for the alias history')
    .option('--force', 'override the gate: move a gated alias onto a version it did not bless (needs --reason)')
    .option('--delete', 'remove the alias instead')
    .option('--json', 'print the recorded alias event as JSON')
    .action(
      async (
        ref: string,
        alias: string,
        options: { reason?: string; force?: boolean; delete?: boolean; json?: boolean },
      ) => {
        if (options.force && options.delete)
          throw invalidArgument('--force and --delete do not go together', { field: '--force' });
        const reason = options.reason ?? '';
        await withWorkspace(async (workspace) => {
          const actor = cliActor();
          const event = options.delete
            ? await workspace.registry.deleteAlias(parseModelRef(ref).name, alias, { actor, reason })
            : await (async () => {
                const version = await workspace.registry.resolve(ref);
                return workspace.registry.setAlias(version.name, alias, version.version, {
                  actor,
                  reason,
                  force: options.force,
                });
              })();
          if (options.json) return printJson({ event });
          process.stdout.write(
            `${event.model}@${event.alias}: ${describeMove(event)}${event.override ? ' (gate override)' : ''}` +
              (event.reason ? ` — ${event.reason}` : '') +
              '\n',
          );
        });
      },
    );

  models
    .command('tag')
    .description(
      "Set tags (key=value) on a version, or remove them with --delete; keel.* and gate.* tags are Keel's own",
    )
    .argument('<model>', 'NAME@VERSION (or NAME@ALIAS, or NAME for the latest version)')
    .argument('[tags...]', 'key=value pairs to set')
    .option('--delete <key>', 'remove a tag (repeatable)', collect, [])
    .option('--json', 'print the version as JSON')
    .action(async (ref: string, pairs: string[], options: { delete: string[]; json?: boolean }) => {
      const tags = Object.fromEntries(pairs.map(parseTag));
      if (pairs.length === 0 && options.delete.length === 0) {
        throw invalidArgument('nothing to do: give key=value tags to set or --delete KEY', { field: 'tags' });
      }
      await withWorkspace(async (workspace) => {
        let version = await workspace.registry.resolve(ref);
        if (options.delete.length > 0) version = await workspace.registry.removeTags(version, options.delete);
        if (pairs.length > 0) version = await workspace.registry.setTags(version, tags);
        if (options.json) return printJson({ version });
        const entries = Object.entries(version.tags).sort(([a], [b]) => (a < b ? -1 : 1));
        process.stdout.write(
          `Tags of ${version.name}@${version.version}:\n` +
            (entries.length ? formatTable(['KEY', 'VALUE'], entries) : '(none)') +
            '\n',
        );
      });
    });

  registerModelCardCommand(models);
  registerModelLineageCommand(models);
}

function parseTag(pair: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw invalidArgument(`"${pair}" is not a tag: write key=value`, { field: 'tags' });
  return [pair.slice(0, at), pair.slice(at + 1)];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
