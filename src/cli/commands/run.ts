import type { Command } from 'commander';
import { loadProject } from '../../core/index.js';
import { runProject } from '../../pipelines/index.js';
import { openWorkspace } from '../../server/index.js';
import { printJson, stepProgress } from '../output.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      "Run a project's lifecycle pipeline: import → clean (when declared) → profile → validate → split → features → train → evaluate → register → gate → deploy",
    )
    .argument('[project]', 'folder holding keel.yaml', '.')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, options: { json?: boolean }) => {
      const project = loadProject(dir);
      const workspace = await openWorkspace();
      try {
        if (!options.json)
          process.stderr.write(`Running ${project.config.name} (${project.file}) in ${workspace.config.home}\n`);
        const result = await runProject(project, workspace, { onEvent: options.json ? undefined : stepProgress() });
        if (options.json) {
          printJson({
            pipelineRun: result.run,
            allCached: result.allCached,
            steps: result.steps,
            outputs: result.outputs,
          });
          return;
        }
        const { deploy, gate, evaluate } = result.outputs;
        if (result.allCached) {
          process.stdout.write(
            `Nothing changed since the last run: all ${result.steps.length} steps were cached, no work done.\n`,
          );
        }
        const best = evaluate.results.find((r) => r.runId === evaluate.best);
        // The selection metric, then the other metrics the gate checks: what the task is judged by.
        const shown = [...new Set([evaluate.metric, ...Object.keys(project.config.evaluation?.thresholds ?? {})])];
        const metrics = shown
          .filter((name) => best?.metrics[name] !== undefined)
          .map((name) => `${name} ${best?.metrics[name].toFixed(4)}`);
        process.stdout.write(
          `Model ${gate.model}@${gate.candidate} ${gate.passed ? 'passed the gate' : 'did not pass the gate'}` +
            (metrics.length ? ` (${metrics.join(', ')})` : '') +
            `; endpoint ${deploy.endpoint} serves ${deploy.model}@${deploy.version}.\n`,
        );
      } finally {
        await workspace.close();
      }
    });
}
