import {
  invalidArgument,
  notFound,
  type Endpoint,
  type RolloutPlan,
  type StrategyName,
  type TrafficPolicy,
} from '../core/index.js';
import type { MetadataStore } from '../store/index.js';
import { advance, isActive, startRollout, withdraw } from './rollout/transitions.js';
import { ref, strategyOf } from './strategies/index.js';

/** A deployment as a person (the CLI, the API) or the pipeline asks for it. */
export interface Deployment {
  /** The version to deploy (resolved from NAME@REF by the caller). */
  readonly model: { readonly name: string; readonly version: number };
  /** Default `canary` with a rollout plan, `direct` otherwise. */
  readonly strategy?: StrategyName;
  readonly percent?: number;
  readonly stickyKey?: string;
  /** Ramp the candidate step by step under guardrails (canary only). */
  readonly rollout?: RolloutPlan;
}

/** Who changes an endpoint and why, for its audit trail. */
export interface EndpointChange {
  readonly actor: string;
  readonly reason: string;
  /** Default now; tests pass a clock. */
  readonly now?: Date;
}

/**
 * Deploys a version onto an endpoint with a strategy. The policy is built from what the
 * endpoint serves now and written with its audit event in one transaction, compare-and-set on
 * the revision that was read: a concurrent change makes this fail with `conflict` rather than
 * be overwritten.
 */
export async function deploy(
  metadata: MetadataStore,
  endpoint: string,
  deployment: Deployment,
  change: EndpointChange,
): Promise<Endpoint> {
  const { model } = deployment;
  const version = await metadata.getModelVersion(model.name, model.version);
  if (!version) throw notFound(`model version ${model.name}@${model.version} does not exist`, { field: 'model' });
  const strategy = strategyOf(deployment.strategy ?? (deployment.rollout ? 'canary' : 'direct'));
  const current = await metadata.getEndpoint(endpoint);
  const request = {
    model: model.name,
    version: model.version,
    percent: deployment.percent,
    stickyKey: deployment.stickyKey,
  };
  let policy: TrafficPolicy;
  if (deployment.rollout) {
    if (strategy.name !== 'canary') {
      throw invalidArgument(`a rollout ramps a canary step by step; use the canary strategy, not ${strategy.name}`, {
        field: 'rollout',
      });
    }
    if (deployment.percent !== undefined) {
      throw invalidArgument('percent and a rollout do not go together: the rollout steps set the percent', {
        field: 'percent',
      });
    }
    // Built as a plain canary first: the same checks (a primary, another version, the sticky key).
    const canary = strategy.build(current?.policy ?? null, { ...request, percent: deployment.rollout.steps[0] });
    const primary = strategy.stable(canary);
    policy = startRollout(primary, request, deployment.rollout, canary.stickyKey, change.now ?? new Date());
  } else {
    policy = strategy.build(current?.policy ?? null, request);
  }
  return metadata.putEndpoint(
    endpoint,
    policy,
    { kind: 'deploy', actor: change.actor, reason: change.reason || describeDeployment(policy) },
    { expectedRevision: current?.revision ?? 0 },
  );
}

/** Points an endpoint at one model version (the `direct` strategy). */
export function deployDirect(
  metadata: MetadataStore,
  endpoint: string,
  model: { name: string; version: number },
  event: { actor: string; reason: string },
): Promise<Endpoint> {
  return deploy(metadata, endpoint, { model, strategy: 'direct' }, event);
}

/**
 * Promotes the endpoint's candidate: a running rollout moves to its next step (the approval a
 * manual step waits for); otherwise the strategy's candidate takes all traffic.
 */
export async function promote(metadata: MetadataStore, endpoint: string, change: EndpointChange): Promise<Endpoint> {
  const current = await requireEndpoint(metadata, endpoint);
  const { policy } = current;
  const now = change.now ?? new Date();
  let next: TrafficPolicy;
  let what: string;
  if (isActive(policy.rollout)) {
    const percent = policy.rollout.plan.steps[policy.rollout.step + 1];
    what = `approved step ${policy.rollout.step + 2}/${policy.rollout.plan.steps.length}: ${ref(policy.rollout.candidate)} to ${percent}%`;
    next = advance(policy, now, `${what} (by ${change.actor})`);
  } else {
    next = strategyOf(policy.strategy).promote(policy, endpoint);
    what = `promoted ${ref(next.routes[0])} to all traffic`;
  }
  return metadata.putEndpoint(
    endpoint,
    next,
    { kind: 'promote', actor: change.actor, reason: change.reason || what },
    { expectedRevision: current.revision },
  );
}

/**
 * Rolls the endpoint back in one step: a running rollout or a candidate is withdrawn, a
 * blue-green endpoint switches to its standby, a direct one returns to the version it served before.
 */
export async function rollback(metadata: MetadataStore, endpoint: string, change: EndpointChange): Promise<Endpoint> {
  const current = await requireEndpoint(metadata, endpoint);
  const { policy } = current;
  let next: TrafficPolicy;
  if (isActive(policy.rollout)) {
    next = withdraw(policy, `rolled back by ${change.actor}${change.reason ? `: ${change.reason}` : ''}`);
  } else {
    const history = await metadata.listEndpointEvents(endpoint, 200);
    const servedBefore = history.map((e) => strategyOf(e.policy.strategy).stable(e.policy));
    next = strategyOf(policy.strategy).rollback(policy, endpoint, servedBefore);
  }
  const serving = strategyOf(next.strategy).stable(next);
  return metadata.putEndpoint(
    endpoint,
    next,
    { kind: 'rollback', actor: change.actor, reason: change.reason || `rolled back to ${ref(serving)}` },
    { expectedRevision: current.revision },
  );
}

/** One line about a policy: `canary: churn@1 90% (primary), churn@2 10% (canary), sticky by customerID`. */
export function describePolicy(policy: TrafficPolicy): string {
  const routes = policy.routes.map((r) => `${ref(r)} ${r.percent}% (${r.variant})`).join(', ');
  return `${policy.strategy}: ${routes}${policy.stickyKey ? `, sticky by ${policy.stickyKey}` : ''}`;
}

function describeDeployment(policy: TrafficPolicy): string {
  const plan = policy.rollout?.plan;
  return `deployed ${describePolicy(policy)}${plan ? `; rollout ${plan.steps.join('→')}% (${plan.automation})` : ''}`;
}

async function requireEndpoint(metadata: MetadataStore, name: string): Promise<Endpoint> {
  const endpoint = await metadata.getEndpoint(name);
  if (!endpoint) throw notFound(`no endpoint named "${name}"`, { field: 'endpoint' });
  return endpoint;
}
