import type { TrafficPolicy, TrafficRoute } from '../../core/index.js';
import { chooseRoute } from '../routing.js';
import { nothingTo, ref, refuseSplitSettings, requirePrimary, sameVersion, type TrafficStrategy } from './strategy.js';

/**
 * Two colours, one live (100 %) and one standby (0 %, kept loaded). Deploying puts the new
 * version on the standby colour and switches to it in one step; rolling back switches back in
 * one step. The colour that answered is the variant (`blue` or `green`).
 */
export const blueGreen: TrafficStrategy = {
  name: 'blue-green',
  summary: 'switch all traffic to the new version in one step, keeping the previous one as a standby',
  build(current, request) {
    refuseSplitSettings('blue-green', request);
    const live = requirePrimary('blue-green', current ? blueGreen.stable(current) : null, request);
    const liveColour = current?.strategy === 'blue-green' ? live.variant : 'blue';
    return colours(
      { model: request.model, version: request.version, variant: other(liveColour) },
      { model: live.model, version: live.version, variant: liveColour },
    );
  },
  route: (policy, row, random) => ({ answer: chooseRoute(policy, row, random), mirrors: [] }),
  stable: (policy) => policy.routes.find((r) => r.percent > 0) ?? policy.routes[0],
  candidate: (policy) => policy.routes.find((r) => r.percent === 0) ?? null,
  promote(policy, endpoint) {
    throw nothingTo(
      'promote',
      endpoint,
      `blue-green switched to ${ref(blueGreen.stable(policy))} when it was deployed (roll back to switch to the standby)`,
    );
  },
  rollback(policy, endpoint) {
    const live = blueGreen.stable(policy);
    const standby = blueGreen.candidate(policy);
    if (!standby || sameVersion(standby, live)) throw nothingTo('roll back', endpoint, 'there is no standby version');
    return colours(standby, live);
  },
};

function other(colour: string): string {
  return colour === 'blue' ? 'green' : 'blue';
}

/** The policy with `live` answering and `standby` loaded beside it. */
function colours(live: Omit<TrafficRoute, 'percent'>, standby: Omit<TrafficRoute, 'percent'>): TrafficPolicy {
  return {
    strategy: 'blue-green',
    routes: [
      { ...live, percent: 100 },
      { ...standby, percent: 0 },
    ],
  };
}
