import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KeelError, loadProject } from '../../core/index.js';
import { intendedUseOf } from '../../registry/index.js';
import { printJson } from '../output.js';
import { withWorkspace } from './models-shared.js';

export function registerModelCardCommand(models: Command): void {
  models
    .command('card')
    .description(
      "A version's model card: intended use, training data, features, test metrics, slices, gate decision, limitations — generated from what Keel recorded",
    )
    .argument('<model>', 'NAME@VERSION, NAME@ALIAS or NAME (the latest version)')
    .option('--regenerate', 'generate the card again from what is recorded now, and store it')
    .option('--project <dir>', "with --regenerate: take the intended use from this project's keel.yaml")
    .option('--out <file>', 'write the card to a file instead of printing it')
    .option('--json', 'the card as JSON instead of Markdown')
    .action(async (ref: string, options: { regenerate?: boolean; project?: string; out?: string; json?: boolean }) => {
      if (options.project && !options.regenerate) {
        throw new KeelError('invalid_argument', '--project is only used with --regenerate', { field: '--project' });
      }
      const intendedUse = options.project ? intendedUseOf(loadProject(options.project).config) : undefined;
      await withWorkspace(async (workspace) => {
        const version = await workspace.registry.resolve(ref);
        let stored = options.regenerate ? null : await workspace.registry.readCard(version);
        if (!stored) {
          stored = await workspace.registry.writeCard(version, { intendedUse });
          if (!options.regenerate)
            process.stderr.write(`(no card was stored for ${version.name}@${version.version}: generated one)\n`);
        }
        const text = options.json ? JSON.stringify(stored.card, null, 2) + '\n' : stored.markdown;
        if (options.out) {
          writeFileSync(options.out, text);
          process.stdout.write(`Wrote the model card of ${version.name}@${version.version} to ${options.out}\n`);
        } else if (options.json) printJson(stored.card);
        else process.stdout.write(text);
      });
    });
}
