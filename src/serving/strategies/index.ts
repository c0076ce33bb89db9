import { invalidArgument, type Row, type StrategyName, type TrafficPolicy } from '../../core/index.js';
import { ab } from './ab.js';
import { blueGreen } from './blue-green.js';
import { canary } from './canary.js';
import { direct } from './direct.js';
import { shadow } from './shadow.js';
import type { RouteChoice, TrafficStrategy } from './strategy.js';

export { canaryPolicy } from './canary.js';
export {
  directPolicy,
  ref,
  sameVersion,
  type DeploymentRequest,
  type RouteChoice,
  type TrafficStrategy,
} from './strategy.js';

/** Every deployment strategy by name. */
export const strategies: Readonly<Record<StrategyName, TrafficStrategy>> = {
  direct,
  canary,
  'blue-green': blueGreen,
  shadow,
  ab,
};

export const strategyNames = Object.keys(strategies) as StrategyName[];

export function strategyOf(name: string): TrafficStrategy {
  const strategy = (strategies as Record<string, TrafficStrategy | undefined>)[name];
  if (!strategy || !Object.hasOwn(strategies, name)) {
    throw invalidArgument(`unknown strategy "${name}"; use one of: ${strategyNames.join(', ')}`, {
      field: 'strategy',
    });
  }
  return strategy;
}

/** The route(s) serving one request under `policy`: the answer, and copies for a shadow. */
export function routeRequest(policy: TrafficPolicy, row: Row | undefined, random = Math.random): RouteChoice {
  return strategyOf(policy.strategy).route(policy, row, random);
}
