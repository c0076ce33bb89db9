#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isKeelError, keelVersion } from '../core/index.js';
import { registerAlertsCommand } from './commands/alerts.js';
import { registerDataCommands } from './commands/data.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerEndpointsCommands } from './commands/endpoints.js';
import { registerModelsCommands } from './commands/models.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerRunCommand } from './commands/run.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerServerCommand } from './commands/server.js';

const program = new Command()
  .name('keel')
  .description(
    'Keel: data → validated → trained → evaluated → registered → deployed → monitored.\nState lives in $KEEL_HOME (default ./.keel).',
  )
  .version(keelVersion)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerDemoCommand(program);
registerRunCommand(program);
registerDataCommands(program);
registerRunsCommands(program);
registerModelsCommands(program);
registerDeployCommand(program);
registerEndpointsCommands(program);
registerServerCommand(program);
registerMonitorCommand(program);
registerAlertsCommand(program);
registerPredictCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

/** One line saying what went wrong; the stack only with KEEL_DEBUG=1. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (isKeelError(error)) {
    process.stderr.write(`keel: ${error.message}\n`);
    if (process.env.KEEL_DEBUG) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`keel: unexpected error: ${message}\n`);
  if (process.env.KEEL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('keel: (set KEEL_DEBUG=1 to see the stack trace)\n');
  return 1;
}
