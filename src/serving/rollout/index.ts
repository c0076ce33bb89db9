export { RolloutController, type RolloutControllerOptions, type RolloutTick } from './controller.js';
export { evaluateGuardrails, measureGuardrails, type GuardrailWindow } from './guardrails.js';
export {
  DEFAULT_ROLLOUT,
  formatDuration,
  parseDuration,
  parseSteps,
  projectRolloutPlan,
  rolloutPlan,
  ROLLOUT_AUTOMATIONS,
  type RolloutPlanInput,
} from './plan.js';
export { decide, isActive, type RolloutDecision } from './transitions.js';
