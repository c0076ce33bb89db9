import type { Command } from 'commander';
import { openWorkspace } from '../../server/index.js';
import { fmtNumber, formatTable, positiveInt, printJson } from '../output.js';

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('Tracked training runs');
  runs
    .command('list')
    .description('List runs, newest first')
    .option('--experiment <name>', 'only runs of this experiment (project)')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (options: { experiment?: string; limit: number; json?: boolean }) => {
      const workspace = await openWorkspace();
      try {
        const list = await workspace.metadata.listRuns({ experiment: options.experiment, limit: options.limit });
        if (options.json) return printJson({ runs: list });
        if (list.length === 0) return void process.stdout.write('No runs yet. Try `keel run examples/churn`.\n');
        process.stdout.write(
          formatTable(
            ['RUN', 'EXPERIMENT', 'NAME', 'STATUS', 'ROC_AUC', 'ACCURACY', 'F1', 'STARTED'],
            list.map((r) => [
              r.id,
              r.experiment,
              r.name,
              r.status,
              fmtNumber(r.metrics.roc_auc),
              fmtNumber(r.metrics.accuracy),
              fmtNumber(r.metrics.f1),
              r.startedAt,
            ]),
          ) + '\n',
        );
      } finally {
        await workspace.close();
      }
    });
}
