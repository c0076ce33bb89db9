import type { Command } from 'commander';
import { fmtNumber, formatTable, positiveInt, printJson } from '../output.js';
import { withWorkspace } from './models-shared.js';

/** `keel alerts [--endpoint E] [--json]`: alert states and recent transitions, from the store. */
export function registerAlertsCommand(program: Command): void {
  program
    .command('alerts')
    .description('Alert rules’ current states per endpoint and their recent transitions (docs/metrics-and-alerts.md)')
    .option('--endpoint <name>', 'only this endpoint')
    .option('--transitions <n>', 'how many recent transitions to show', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (options: { endpoint?: string; transitions: number; json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const filter = options.endpoint === undefined ? {} : { endpoint: options.endpoint };
        const [alerts, transitions] = await Promise.all([
          workspace.metadata.listAlertStates(filter),
          workspace.metadata.listAlertTransitions({ ...filter, limit: options.transitions }),
        ]);
        if (options.json) return printJson({ alerts, transitions });
        if (alerts.length === 0) {
          const where = options.endpoint ? ` for endpoint "${options.endpoint}"` : '';
          process.stdout.write(
            `No alerts evaluated yet${where}. Rules live in keel.yaml under monitoring.alerts; \`keel server\` evaluates them.\n`,
          );
          return;
        }
        process.stdout.write(
          formatTable(
            ['RULE', 'ENDPOINT', 'STATE', 'SEVERITY', 'VALUE', 'SINCE', 'EVALUATED'],
            alerts.map((a) => [a.rule, a.endpoint, a.status, a.severity, fmtNumber(a.value), a.since, a.evaluatedAt]),
          ) + '\n',
        );
        if (transitions.length > 0) {
          process.stdout.write('\nRecent transitions (newest first):\n');
          process.stdout.write(
            formatTable(
              ['AT', 'RULE', 'ENDPOINT', 'FROM', 'TO', 'VALUE', 'BY'],
              transitions.map((t) => [t.at, t.rule, t.endpoint, t.from, t.to, fmtNumber(t.value), t.actor]),
            ) + '\n',
          );
        }
      });
    });
}
