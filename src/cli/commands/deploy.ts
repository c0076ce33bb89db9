import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { invalidArgument, isKeelError, loadProject, type RolloutPlan } from '../../core/index.js';
import {
  DEFAULT_ROLLOUT,
  deploy,
  describePolicy,
  formatDuration,
  parseDuration,
  parseSteps,
  projectRolloutPlan,
  ROLLOUT_AUTOMATIONS,
  rolloutPlan,
  strategyNames,
  strategyOf,
  type RolloutPlanInput,
} from '../../serving/index.js';
import { positiveInt, printJson } from '../output.js';
import { describeGuardrails } from './endpoints.js';
import { cliActor, withWorkspace } from './models-shared.js';

interface DeployFlags {
  endpoint: string;
  strategy?: string;
  percent?: number;
  stickyKey?: string;
  rollout?: number[];
  bake?: number;
  automation?: string;
  maxErrorRate?: number;
  maxP99?: number;
  maxDrift?: number;
  minAccuracy?: number;
  minRequests?: number;
  project?: string;
  reason?: string;
  json?: boolean;
}

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description(
      'Deploy a model version onto an endpoint with a strategy; a canary can roll out step by step under guardrails (docs/deployment.md)',
    )
    .argument('<model>', 'NAME@VERSION or NAME@ALIAS')
    .requiredOption('--endpoint <name>', 'the endpoint (created on first deploy)')
    .option('--strategy <name>', `${strategyNames.join(' | ')} (default direct, or canary with a rollout)`)
    .option('--percent <p>', "the candidate's share of traffic (canary default 10, ab default 50)", number)
    .option('--sticky-key <field>', 'a request field (e.g. customerID) that keeps one caller on one version')
    .option('--rollout <steps>', 'ramp the canary through these percents, e.g. 1,5,25,50,100', (v) =>
      usage(() => parseSteps(v, '--rollout')),
    )
    .option('--bake <duration>', 'time per rollout step, e.g. 30s, 10m (default 10m)', (v) =>
      usage(() => parseDuration(v, '--bake')),
    )
    .addOption(new Option('--automation <level>', 'who approves steps (default manual)').choices(ROLLOUT_AUTOMATIONS))
    .option('--max-error-rate <r>', "guardrail: most share of the candidate's requests failing (default 0.05)", share)
    .option('--max-p99 <ms>', "guardrail: most p99 latency of the candidate's requests", positive)
    .option('--max-drift <psi>', "guardrail: most PSI of the candidate's predictions against the primary's", positive)
    .option('--min-accuracy <a>', 'guardrail: least live accuracy from feedback labels', share)
    .option('--min-requests <n>', 'candidate requests before guardrails give a verdict (default 100)', positiveInt)
    .option(
      '--project <dir>',
      "read the rollout plan from this project's keel.yaml (serving.rollout; default ./keel.yaml)",
    )
    .option('--reason <text>', 'why, for the audit trail')
    .option('--json', 'print the endpoint and the audit event as JSON')
    .action(async (ref: string, flags: DeployFlags) => {
      const strategy = flags.strategy === undefined ? undefined : strategyOf(flags.strategy).name;
      const plan = planOf(flags, strategy);
      await withWorkspace(async (workspace) => {
        const version = await workspace.registry.resolve(ref);
        const endpoint = await deploy(
          workspace.metadata,
          flags.endpoint,
          {
            model: { name: version.name, version: version.version },
            strategy,
            percent: flags.percent,
            stickyKey: flags.stickyKey,
            rollout: plan ?? undefined,
          },
          { actor: cliActor(), reason: flags.reason ?? '' },
        );
        const [event] = await workspace.metadata.listEndpointEvents(flags.endpoint, 1);
        if (flags.json) return printJson({ endpoint, event });
        const lines = [
          `Deployed ${version.name}@${version.version} to ${endpoint.name}: ${describePolicy(endpoint.policy)}`,
        ];
        const rollout = endpoint.policy.rollout;
        if (rollout) {
          lines.push(
            `Rollout ${rollout.plan.steps.join(' → ')} %: step 1 at ${rollout.plan.steps[0]}%, bake ${formatDuration(rollout.plan.bakeMs)}, automation ${rollout.plan.automation}`,
            `  guardrails: ${describeGuardrails(rollout.plan)}`,
            `  the server's controller advances it (or \`keel endpoints tick ${endpoint.name}\`); \`keel endpoints promote|rollback ${endpoint.name}\` decide by hand`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
}

/**
 * The rollout plan of a canary: the project file's `serving.rollout` (with --project, or a
 * keel.yaml in the current folder), overridden by the flags. None for a plain canary with
 * --percent, or for other strategies.
 */
function planOf(flags: DeployFlags, strategy: string | undefined): RolloutPlan | null {
  const input: RolloutPlanInput = {
    steps: flags.rollout,
    bake: flags.bake,
    automation: flags.automation,
    guardrails: {
      ...(flags.maxErrorRate !== undefined ? { errorRate: { max: flags.maxErrorRate } } : {}),
      ...(flags.maxP99 !== undefined ? { p99Ms: { max: flags.maxP99 } } : {}),
      ...(flags.maxDrift !== undefined ? { predictionDrift: { max: flags.maxDrift } } : {}),
      ...(flags.minAccuracy !== undefined ? { accuracy: { min: flags.minAccuracy } } : {}),
      ...(flags.minRequests !== undefined ? { minRequests: flags.minRequests } : {}),
    },
  };
  const rolloutFlags = [
    flags.rollout,
    flags.bake,
    flags.automation,
    flags.maxErrorRate,
    flags.maxP99,
    flags.maxDrift,
    flags.minAccuracy,
    flags.minRequests,
  ].some((f) => f !== undefined);
  const projectFile = flags.project ?? (existsSync(join(process.cwd(), 'keel.yaml')) ? process.cwd() : undefined);
  const fromProject =
    (strategy === 'canary' || (strategy === undefined && rolloutFlags)) && projectFile !== undefined
      ? projectRolloutPlan(loadProject(projectFile).config)
      : null;
  if (!rolloutFlags) return fromProject && flags.percent === undefined ? fromProject : null;
  if (strategy !== undefined && strategy !== 'canary') {
    throw invalidArgument(`--rollout, --bake, --automation and the guardrail flags ramp a canary; not ${strategy}`, {
      field: '--strategy',
    });
  }
  return rolloutPlan(input, fromProject ?? DEFAULT_ROLLOUT, '--rollout');
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`must be a number, got "${value}"`);
  return n;
}

function positive(value: string): number {
  const n = number(value);
  if (n <= 0) throw new InvalidArgumentError(`must be above 0, got "${value}"`);
  return n;
}

function share(value: string): number {
  const n = number(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError(`must be a share from 0 to 1, got "${value}"`);
  return n;
}

/** A parser's KeelError as commander's usage error, so a bad flag reads like the others. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isKeelError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
