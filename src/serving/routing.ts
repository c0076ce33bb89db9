import { sha256Hex, type Row, type TrafficPolicy, type TrafficRoute } from '../core/index.js';

/**
 * Picks the route that answers a request. Routes share traffic by `percent`; with a sticky key
 * the choice is a hash of that field's value, so one customer always sees one version.
 */
export function chooseRoute(policy: TrafficPolicy, firstRow: Row | undefined, random = Math.random): TrafficRoute {
  const routes = policy.routes.filter((r) => r.percent > 0);
  if (routes.length === 1) return routes[0];
  if (routes.length === 0) throw new Error('traffic policy has no route with traffic');
  const total = routes.reduce((sum, r) => sum + r.percent, 0);
  const key = policy.stickyKey ? firstRow?.[policy.stickyKey] : undefined;
  const point = (key !== undefined && key !== null ? stickyPoint(String(key)) : random()) * total;
  let acc = 0;
  for (const route of routes) {
    acc += route.percent;
    if (point < acc) return route;
  }
  return routes[routes.length - 1];
}

/** A stable point in [0, 1) for a key. */
function stickyPoint(key: string): number {
  return parseInt(sha256Hex(key).slice(0, 12), 16) / 2 ** 48;
}
