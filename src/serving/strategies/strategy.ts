import {
  invalidArgument,
  KeelError,
  type Row,
  type StrategyName,
  type TrafficPolicy,
  type TrafficRoute,
} from '../../core/index.js';

/** What a deployment asks for: the version to deploy and the strategy's settings. */
export interface DeploymentRequest {
  readonly model: string;
  readonly version: number;
  /** The candidate's share of traffic (canary, A/B). */
  readonly percent?: number;
  /** A request field whose value keeps one caller on one version (canary, A/B). */
  readonly stickyKey?: string;
}

/** Which routes serve one request. */
export interface RouteChoice {
  /** The route whose answer is returned. */
  readonly answer: TrafficRoute;
  /** Routes that get a copy of the request after the answer, off the response path (shadow). */
  readonly mirrors: readonly TrafficRoute[];
}

/**
 * A deployment strategy: how a policy is built from a deployment request, which route(s) serve
 * each request, and what promoting or rolling back the candidate means. Each strategy is one
 * module of this shape in this folder.
 */
export interface TrafficStrategy {
  readonly name: StrategyName;
  /** A one-line description for help texts. */
  readonly summary: string;
  /**
   * The policy that deploys `request` onto an endpoint serving `current` (null: a new
   * endpoint). Fails with invalid_argument naming the field when the request does not fit.
   */
  build(current: TrafficPolicy | null, request: DeploymentRequest): TrafficPolicy;
  /** The route(s) serving a request whose first row is `row`. */
  route(policy: TrafficPolicy, row: Row | undefined, random: () => number): RouteChoice;
  /** The version that keeps serving if the candidate goes: what a new deployment builds on. */
  stable(policy: TrafficPolicy): TrafficRoute;
  /** The version under test; null when there is none. */
  candidate(policy: TrafficPolicy): TrafficRoute | null;
  /** The policy once the candidate wins. Fails with failed_precondition when there is nothing to promote. */
  promote(policy: TrafficPolicy, endpoint: string): TrafficPolicy;
  /**
   * The policy once the candidate is withdrawn (or, without one, the version served before:
   * `servedBefore` holds the stable version of each earlier policy, newest first). Fails with
   * failed_precondition when there is nothing to roll back to.
   */
  rollback(policy: TrafficPolicy, endpoint: string, servedBefore: readonly TrafficRoute[]): TrafficPolicy;
}

/** A policy with one version taking all traffic. */
export function directPolicy(route: { readonly model: string; readonly version: number }): TrafficPolicy {
  return {
    strategy: 'direct',
    routes: [{ model: route.model, version: route.version, percent: 100, variant: 'primary' }],
  };
}

export function routeOf(policy: TrafficPolicy, variant: string): TrafficRoute | null {
  return policy.routes.find((r) => r.variant === variant) ?? null;
}

export function sameVersion(
  a: { readonly model: string; readonly version: number },
  b: { readonly model: string; readonly version: number },
): boolean {
  return a.model === b.model && a.version === b.version;
}

export function ref(route: { readonly model: string; readonly version: number }): string {
  return `${route.model}@${route.version}`;
}

/**
 * The primary a candidate is compared with: what the endpoint serves now. Fails when there is
 * none, or when it is the version being deployed.
 */
export function requirePrimary(
  strategy: StrategyName,
  current: TrafficRoute | null,
  request: DeploymentRequest,
): TrafficRoute {
  if (!current) {
    throw invalidArgument(
      `${strategy} needs a version already serving on the endpoint to compare ${ref(request)} with; deploy one first with --strategy direct`,
      { field: 'strategy' },
    );
  }
  if (sameVersion(current, request)) {
    throw invalidArgument(
      `${strategy} needs a candidate other than ${ref(request)}, which the endpoint already serves; deploy another version`,
      { field: 'model' },
    );
  }
  return current;
}

/** The candidate's share: a number strictly between 0 and 100, or `fallback` when not given. */
export function splitPercent(strategy: StrategyName, percent: number | undefined, fallback: number): number {
  if (percent === undefined) return fallback;
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent <= 0 || percent >= 100) {
    throw invalidArgument(`percent must be a number between 0 and 100 (exclusive) for ${strategy}, got ${percent}`, {
      field: 'percent',
    });
  }
  return percent;
}

/** Refuses a setting the strategy has no use for, rather than silently ignoring it. */
export function refuseSplitSettings(strategy: StrategyName, request: DeploymentRequest): void {
  if (request.percent !== undefined) {
    throw invalidArgument(`percent does not apply to ${strategy}: only canary and ab split traffic by percent`, {
      field: 'percent',
    });
  }
  if (request.stickyKey !== undefined) {
    throw invalidArgument(`stickyKey does not apply to ${strategy}: only canary and ab split traffic`, {
      field: 'stickyKey',
    });
  }
}

export function checkStickyKey(stickyKey: string | undefined): string | undefined {
  if (stickyKey === undefined) return undefined;
  if (typeof stickyKey !== 'string' || stickyKey.trim() === '' || stickyKey.length > 128) {
    throw invalidArgument(`stickyKey must be the name of a request field, got "${String(stickyKey)}"`, {
      field: 'stickyKey',
    });
  }
  return stickyKey;
}

export function nothingTo(action: 'promote' | 'roll back', endpoint: string, why: string): KeelError {
  return new KeelError('failed_precondition', `endpoint "${endpoint}" has nothing to ${action}: ${why}`, {
    field: 'endpoint',
  });
}
