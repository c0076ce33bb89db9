export { AlertEvaluator, type AlertEvaluatorOptions, type AlertEvaluation, type AlertStore } from './evaluator.js';
export {
  MetricSourceRegistry,
  metricSources,
  registerMetricSource,
  softwareMetricSources,
  SOFTWARE_METRICS,
  type MetricSource,
} from './metric-sources.js';
export { parseAlertRules, conditionHolds, type AlertRule, type AlertOp, type AlertSeverity } from './rules.js';
export { nextStatus } from './state-machine.js';
export { postWebhook, type WebhookOptions, type WebhookOutcome } from './webhooks.js';
