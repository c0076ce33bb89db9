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
 * An A/B test: variant `a` (the version serving now) and variant `b` (the one deployed) share
 * traffic, 50/50 unless `percent` gives b's share; monitoring reports each variant's metrics.
 * A sticky key keeps each caller in one arm for the length of the test.
 */
export const ab: TrafficStrategy = {
  name: 'ab',
  summary: 'variants a (serving now) and b (deployed) share traffic, with metrics per variant',
  build(current, request) {
    const a = requirePrimary('ab', current ? ab.stable(current) : null, request);
    const percent = splitPercent('ab', request.percent, 50);
    const stickyKey = checkStickyKey(request.stickyKey);
    return {
      strategy: 'ab',
      routes: [
        { model: a.model, version: a.version, percent: 100 - percent, variant: 'a' },
        { model: request.model, version: request.version, percent, variant: 'b' },
      ],
      ...(stickyKey ? { stickyKey } : {}),
    };
  },
  route: (policy, row, random) => ({ answer: chooseRoute(policy, row, random), mirrors: [] }),
  stable: (policy) => routeOf(policy, 'a') ?? policy.routes[0],
  candidate: (policy) => routeOf(policy, 'b'),
  promote: (policy) => directPolicy(ab.candidate(policy) ?? ab.stable(policy)),
  rollback: (policy) => directPolicy(ab.stable(policy)),
};
