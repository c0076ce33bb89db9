import type { Command } from 'commander';
import { openWorkspace } from '../../server/index.js';
import { formatTable, printJson } from '../output.js';

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('The model registry');
  models
    .command('list')
    .description('List registered models with their latest version and aliases')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const workspace = await openWorkspace();
      try {
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
      } finally {
        await workspace.close();
      }
    });
}
