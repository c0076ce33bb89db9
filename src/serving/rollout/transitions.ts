import type { GuardrailReport, RolloutPlan, RolloutState, TrafficPolicy, TrafficRoute } from '../../core/index.js';
import { canaryPolicy } from '../strategies/canary.js';
import { directPolicy, routeOf } from '../strategies/strategy.js';

/** What the controller does with a rollout after measuring its guardrails. */
export type RolloutDecision =
  | { readonly action: 'wait'; readonly reason: string }
  | { readonly action: 'advance'; readonly reason: string }
  | { readonly action: 'await-approval'; readonly reason: string }
  | { readonly action: 'rollback'; readonly reason: string };

/** Whether the rollout is still running (and so watched by the controller). */
export function isActive(rollout: RolloutState | undefined): rollout is RolloutState {
  return rollout !== undefined && (rollout.status === 'baking' || rollout.status === 'awaiting-approval');
}

/**
 * The next move of a running rollout, from its state, the guardrails over the current step
 * and the time. A broken guardrail rolls back at once (even while baking or awaiting approval);
 * a step advances only after its bake time, with enough requests and every guardrail passing,
 * and only on its own when the automation level allows it.
 */
export function decide(rollout: RolloutState, report: GuardrailReport, now: Date): RolloutDecision {
  const { plan, step } = rollout;
  const percent = plan.steps[step];
  const at = `step ${step + 1}/${plan.steps.length} (${percent}%)`;
  if (report.verdict === 'breach') {
    const broken = report.checks.filter((c) => !c.passed).map((c) => c.reason);
    return { action: 'rollback', reason: `guardrail broken at ${at}: ${broken.join('; ')}` };
  }
  if (rollout.status === 'awaiting-approval') {
    return { action: 'wait', reason: `${at} waits for approval (keel endpoints promote)` };
  }
  const left = Date.parse(rollout.stepStartedAt) + plan.bakeMs - now.getTime();
  if (left > 0) return { action: 'wait', reason: `${at} is baking, ${Math.ceil(left / 1000)} s left` };
  if (report.verdict === 'insufficient-data') {
    return {
      action: 'wait',
      reason: `${at} has baked but has ${report.requests} of ${plan.guardrails.minRequests} candidate requests needed for a verdict`,
    };
  }
  const next = plan.steps[step + 1];
  const passed = `${at} passed its guardrails over ${report.requests} requests`;
  if (plan.automation === 'manual' || (plan.automation === 'auto-until-100' && next === 100)) {
    return { action: 'await-approval', reason: `${passed}; ${next}% needs approval (keel endpoints promote)` };
  }
  return { action: 'advance', reason: `${passed}; advancing to ${next}%` };
}

/** A new rollout of `candidate` against `primary`, at the plan's first step. */
export function startRollout(
  primary: Pick<TrafficRoute, 'model' | 'version'>,
  candidate: Pick<TrafficRoute, 'model' | 'version'>,
  plan: RolloutPlan,
  stickyKey: string | undefined,
  now: Date,
): TrafficPolicy {
  const state: RolloutState = {
    plan,
    step: 0,
    stepStartedAt: now.toISOString(),
    status: 'baking',
    candidate: { model: candidate.model, version: candidate.version },
  };
  if (plan.steps[0] === 100) return { ...directPolicy(candidate), rollout: { ...state, status: 'completed' } };
  return { ...canaryPolicy(primary, candidate, plan.steps[0], stickyKey), rollout: state };
}

/**
 * The rollout one step further: the candidate at the next percent, baking again; at 100 % the
 * candidate takes all traffic and the rollout is completed.
 */
export function advance(policy: TrafficPolicy, now: Date, reason: string, report?: GuardrailReport): TrafficPolicy {
  const rollout = requireRollout(policy);
  const step = rollout.step + 1;
  const percent = rollout.plan.steps[step];
  const state: RolloutState = {
    ...rollout,
    step,
    stepStartedAt: now.toISOString(),
    status: percent === 100 ? 'completed' : 'baking',
    reason,
    ...(report ? { report } : {}),
  };
  if (percent === 100) return { ...directPolicy(rollout.candidate), rollout: state };
  const primary = routeOf(policy, 'primary') ?? policy.routes[0];
  return { ...canaryPolicy(primary, rollout.candidate, percent, policy.stickyKey), rollout: state };
}

/** The same traffic, waiting for a person to approve the next step. */
export function awaitApproval(policy: TrafficPolicy, reason: string, report: GuardrailReport): TrafficPolicy {
  const rollout = requireRollout(policy);
  return { ...policy, rollout: { ...rollout, status: 'awaiting-approval', reason, report } };
}

/** The candidate withdrawn: the primary takes all traffic again; the state says why. */
export function withdraw(policy: TrafficPolicy, reason: string, report?: GuardrailReport): TrafficPolicy {
  const rollout = requireRollout(policy);
  const primary = routeOf(policy, 'primary') ?? policy.routes[0];
  return {
    ...directPolicy(primary),
    rollout: { ...rollout, status: 'rolled-back', reason, ...(report ? { report } : {}) },
  };
}

function requireRollout(policy: TrafficPolicy): RolloutState {
  if (!isActive(policy.rollout)) throw new Error('the policy has no rollout running');
  return policy.rollout;
}
