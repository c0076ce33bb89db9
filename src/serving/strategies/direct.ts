import { chooseRoute } from '../routing.js';
import { directPolicy, nothingTo, ref, refuseSplitSettings, sameVersion, type TrafficStrategy } from './strategy.js';

/** One version takes all traffic. Rolling back returns to the version the endpoint served before. */
export const direct: TrafficStrategy = {
  name: 'direct',
  summary: 'one version takes all traffic',
  build(_current, request) {
    refuseSplitSettings('direct', request);
    return directPolicy(request);
  },
  route: (policy, row, random) => ({ answer: chooseRoute(policy, row, random), mirrors: [] }),
  stable: (policy) => policy.routes[0],
  candidate: () => null,
  promote(policy, endpoint) {
    throw nothingTo('promote', endpoint, `it serves ${ref(policy.routes[0])} directly, with no candidate`);
  },
  rollback(policy, endpoint, servedBefore) {
    const serving = policy.routes[0];
    const before = servedBefore.find((route) => !sameVersion(route, serving));
    if (before) return directPolicy(before);
    throw nothingTo('roll back', endpoint, `it has only ever served ${ref(serving)}`);
  },
};
