import type { TrafficPolicy } from '../../core/index.js';
import { chooseRoute } from '../routing.js';
import {
  checkStickyKey,
  directPolicy,
  requirePrimary,
  routeOf,
  splitPercent,
  type TrafficStrategy,
} from './strategy.js';

/**
 * A candidate (variant `canary`) takes a percentage of traffic beside the primary. With a sticky
 * key the split is a hash of that request field, so one caller always sees one version — and as
 * the canary's share grows, a caller on the canary stays on it.
 */
export const canary: TrafficStrategy = {
  name: 'canary',
  summary: 'a candidate takes a percentage of traffic (sticky by a key), the rest stays on the primary',
  build(current, request) {
    const primary = requirePrimary('canary', current ? canary.stable(current) : null, request);
    const percent = splitPercent('canary', request.percent, 10);
    const stickyKey = checkStickyKey(request.stickyKey);
    return canaryPolicy(primary, request, percent, stickyKey);
  },
  route: (policy, row, random) => ({ answer: chooseRoute(policy, row, random), mirrors: [] }),
  stable: (policy) => routeOf(policy, 'primary') ?? policy.routes[0],
  candidate: (policy) => routeOf(policy, 'canary'),
  promote: (policy) => directPolicy(canary.candidate(policy) ?? canary.stable(policy)),
  rollback: (policy) => directPolicy(canary.stable(policy)),
};

/** The canary policy with the candidate at `percent` (the step of a rollout). */
export function canaryPolicy(
  primary: { readonly model: string; readonly version: number },
  candidate: { readonly model: string; readonly version: number },
  percent: number,
  stickyKey: string | undefined,
): TrafficPolicy {
  return {
    strategy: 'canary',
    routes: [
      { model: primary.model, version: primary.version, percent: 100 - percent, variant: 'primary' },
      { model: candidate.model, version: candidate.version, percent, variant: 'canary' },
    ],
    ...(stickyKey ? { stickyKey } : {}),
  };
}
