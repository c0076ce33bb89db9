import { chooseRoute } from '../routing.js';
import { directPolicy, refuseSplitSettings, requirePrimary, routeOf, type TrafficStrategy } from './strategy.js';

/**
 * The primary answers every request; the candidate (variant `shadow`, 0 % of the answers) gets
 * a copy of each one after the answer is sent, and its predictions are logged with how they
 * compare with the primary's. It never changes an answer.
 */
export const shadow: TrafficStrategy = {
  name: 'shadow',
  summary: 'the primary answers; the candidate gets a copy of every request and is compared, never answering',
  build(current, request) {
    refuseSplitSettings('shadow', request);
    const primary = requirePrimary('shadow', current ? shadow.stable(current) : null, request);
    return {
      strategy: 'shadow',
      routes: [
        { model: primary.model, version: primary.version, percent: 100, variant: 'primary' },
        { model: request.model, version: request.version, percent: 0, variant: 'shadow' },
      ],
    };
  },
  route: (policy, row, random) => ({
    answer: chooseRoute(policy, row, random),
    mirrors: policy.routes.filter((r) => r.variant === 'shadow'),
  }),
  stable: (policy) => routeOf(policy, 'primary') ?? policy.routes[0],
  candidate: (policy) => routeOf(policy, 'shadow'),
  promote: (policy) => directPolicy(shadow.candidate(policy) ?? shadow.stable(policy)),
  rollback: (policy) => directPolicy(shadow.stable(policy)),
};
