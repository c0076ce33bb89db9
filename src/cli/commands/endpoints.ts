import type { Command } from 'commander';
import {
  notFound,
  type Endpoint,
  type EndpointEvent,
  type GuardrailReport,
  type RolloutPlan,
  type RolloutState,
} from '../../core/index.js';
import {
  describePolicy,
  formatDuration,
  measureGuardrails,
  promote,
  rollback,
  RolloutController,
  type RolloutTick,
} from '../../serving/index.js';
import { formatTable, printJson, positiveInt } from '../output.js';
import { cliActor, withWorkspace } from './models-shared.js';

export function registerEndpointsCommands(program: Command): void {
  const endpoints = program
    .command('endpoints')
    .description('Endpoints: traffic policies, rollouts, promotion, rollback and the audit trail (docs/deployment.md)');

  endpoints
    .command('list')
    .description('Every endpoint with its strategy, routes and rollout state')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const list = await workspace.metadata.listEndpoints();
        if (options.json) return printJson({ endpoints: list });
        if (list.length === 0) {
          return void process.stdout.write('No endpoints yet. Deploy one with `keel deploy NAME@REF --endpoint E`.\n');
        }
        process.stdout.write(
          formatTable(
            ['ENDPOINT', 'STRATEGY', 'ROUTES', 'ROLLOUT', 'UPDATED'],
            list.map((e) => [
              e.name,
              e.policy.strategy,
              e.policy.routes.map((r) => `${r.variant} ${r.model}@${r.version} ${r.percent}%`).join(', '),
              e.policy.rollout ? rolloutSummary(e.policy.rollout) : '–',
              e.updatedAt,
            ]),
          ) + '\n',
        );
      });
    });

  endpoints
    .command('show')
    .description("An endpoint's policy, routes with percents and variants, rollout state and recent audit events")
    .argument('<endpoint>', 'endpoint name')
    .option('--events <n>', 'how many recent audit events to show', positiveInt, 10)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { events: number; json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        const endpoint = await workspace.metadata.getEndpoint(name);
        if (!endpoint) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
        const [events, guardrails] = await Promise.all([
          workspace.metadata.listEndpointEvents(name, options.events),
          measureGuardrails(workspace.metadata, endpoint),
        ]);
        if (options.json) return printJson({ endpoint, events, guardrails });
        process.stdout.write(endpointText(endpoint, events, guardrails));
      });
    });

  for (const [action, change, what] of [
    ['promote', promote, "Promote the candidate: approve a rollout's next step, or give the candidate all traffic"],
    [
      'rollback',
      rollback,
      'Roll back in one step: withdraw the candidate or rollout, switch to the blue-green standby, or return to the version served before',
    ],
  ] as const) {
    endpoints
      .command(action)
      .description(what)
      .argument('<endpoint>', 'endpoint name')
      .option('--reason <text>', 'why, for the audit trail')
      .option('--json', 'print the endpoint and the audit event as JSON')
      .action(async (name: string, options: { reason?: string; json?: boolean }) => {
        await withWorkspace(async (workspace) => {
          const endpoint = await change(workspace.metadata, name, { actor: cliActor(), reason: options.reason ?? '' });
          const [event] = await workspace.metadata.listEndpointEvents(name, 1);
          if (options.json) return printJson({ endpoint, event });
          process.stdout.write(`${name}: ${event.reason}\n  now ${describePolicy(endpoint.policy)}\n`);
        });
      });
  }

  endpoints
    .command('tick')
    .description(
      "Run the rollout controller once (the server runs it on a timer): measure the guardrails of the endpoint's rollout, then advance, wait for approval or roll back",
    )
    .argument('[endpoint]', 'endpoint name (default: every endpoint with a rollout running)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      await withWorkspace(async (workspace) => {
        if (name && !(await workspace.metadata.getEndpoint(name))) {
          throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
        }
        const ticks = await new RolloutController(workspace.metadata, { actor: `keel-rollout (${cliActor()})` }).tick(
          name,
        );
        if (options.json) return printJson({ ticks });
        if (ticks.length === 0) {
          return void process.stdout.write(name ? `${name}: no rollout running\n` : 'No rollout running.\n');
        }
        process.stdout.write(ticks.map(tickText).join(''));
      });
    });
}

function tickText(tick: RolloutTick): string {
  const verb = { wait: 'waits', advance: 'advanced', 'await-approval': 'awaits approval', rollback: 'ROLLED BACK' }[
    tick.decision.action
  ];
  const lost = tick.decision.action !== 'wait' && !tick.changed ? ' (another controller acted first)' : '';
  return `${tick.endpoint}: ${verb}${lost} — ${tick.decision.reason}\n${guardrailLines(tick.report)}`;
}

export function endpointText(
  endpoint: Endpoint,
  events: readonly EndpointEvent[],
  guardrails: GuardrailReport | null,
): string {
  const { policy } = endpoint;
  const lines = [
    `Endpoint ${endpoint.name}  ${policy.strategy}  (revision ${endpoint.revision}, updated ${endpoint.updatedAt})`,
    '',
    formatTable(
      ['VARIANT', 'MODEL', 'PERCENT', 'ROLE'],
      policy.routes.map((r) => [
        r.variant,
        `${r.model}@${r.version}`,
        `${r.percent}%`,
        r.percent > 0 ? 'answers' : r.variant === 'shadow' ? 'gets a copy of every request' : 'standby',
      ]),
    ),
  ];
  if (policy.stickyKey) lines.push(`Sticky by ${policy.stickyKey}: one key always reaches the same variant.`);
  if (policy.rollout) lines.push('', ...rolloutLines(policy.rollout));
  if (guardrails) lines.push(`Guardrails now (${guardrails.verdict}):`, guardrailLines(guardrails).trimEnd());
  lines.push('', 'Recent audit events (newest first):');
  lines.push(
    events.length
      ? formatTable(
          ['AT', 'ACTOR', 'KIND', 'REASON'],
          events.map((e) => [e.at, e.actor, e.kind, e.reason]),
        )
      : '(none)',
  );
  return lines.join('\n') + '\n';
}

function rolloutSummary(rollout: RolloutState): string {
  const { plan, step } = rollout;
  return `${rollout.status} ${rollout.candidate.model}@${rollout.candidate.version} step ${step + 1}/${plan.steps.length} (${plan.steps[step]}%)`;
}

function rolloutLines(rollout: RolloutState): string[] {
  const { plan } = rollout;
  const steps = plan.steps.map((p, i) => (i === rollout.step ? `[${p}]` : String(p))).join(' → ');
  return [
    `Rollout of ${rollout.candidate.model}@${rollout.candidate.version}: ${rollout.status}`,
    `  steps     ${steps} %  (step ${rollout.step + 1} since ${rollout.stepStartedAt})`,
    `  bake      ${formatDuration(plan.bakeMs)} per step, automation ${plan.automation}`,
    `  limits    ${describeGuardrails(plan)}`,
    ...(rollout.reason ? [`  last      ${rollout.reason}`] : []),
  ];
}

export function describeGuardrails(plan: RolloutPlan): string {
  const g = plan.guardrails;
  return [
    g.errorRate && `error rate ≤ ${g.errorRate.max}`,
    g.p99Ms && `p99 ≤ ${g.p99Ms.max} ms`,
    g.predictionDrift && `prediction PSI ≤ ${g.predictionDrift.max}`,
    g.accuracy && `live accuracy ≥ ${g.accuracy.min}`,
    `verdict after ${g.minRequests} requests`,
  ]
    .filter(Boolean)
    .join(', ');
}

function guardrailLines(report: GuardrailReport): string {
  return report.checks.map((c) => `  ${c.passed ? '✓' : '✗'} ${c.reason}\n`).join('');
}
