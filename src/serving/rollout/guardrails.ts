import type {
  Endpoint,
  GuardrailCheck,
  GuardrailReport,
  Guardrails,
  LabeledPrediction,
  PredictionRecord,
  RequestRecord,
} from '../../core/index.js';
import { predictionDrift, quantilesOf } from '../../monitoring/index.js';
import type { MetadataStore } from '../../store/index.js';
import { routeOf, sameVersion } from '../strategies/strategy.js';

/** What the guardrails are measured on: the candidate's traffic in the window, and the primary's predictions beside it. */
export interface GuardrailWindow {
  readonly since: string;
  readonly until: string;
  /** Requests the candidate answered or failed. */
  readonly requests: readonly RequestRecord[];
  readonly candidatePredictions: ReadonlyArray<Pick<PredictionRecord, 'output'>>;
  readonly primaryPredictions: ReadonlyArray<Pick<PredictionRecord, 'output'>>;
  /** The candidate's predictions that have feedback (ground truth). */
  readonly labeled: readonly LabeledPrediction[];
}

/** Most predictions per side the drift is computed over: recent traffic is enough to compare distributions. */
const MAX_PREDICTIONS = 5_000;
const DEFAULT_MIN_LABELS = 30;

/** Evaluates guardrails over a window; a pure function of its inputs. */
export function evaluateGuardrails(guardrails: Guardrails, window: GuardrailWindow): GuardrailReport {
  const n = window.requests.length;
  const checks: GuardrailCheck[] = [];
  const over = `over ${n} request${n === 1 ? '' : 's'}`;

  if (guardrails.errorRate) {
    const max = guardrails.errorRate.max;
    const errors = window.requests.filter((r) => r.status >= 400).length;
    const rate = n ? errors / n : null;
    checks.push({
      name: 'errorRate',
      value: rate,
      limit: max,
      passed: rate === null || rate <= max,
      reason:
        rate === null
          ? 'error rate: no requests yet'
          : `error rate ${fmt(rate)} (${errors} of ${n}) ${rate <= max ? '≤' : '>'} max ${fmt(max)}`,
    });
  }
  if (guardrails.p99Ms) {
    const max = guardrails.p99Ms.max;
    const p99 = quantilesOf(window.requests.map((r) => r.latencyMs))?.p99 ?? null;
    checks.push({
      name: 'p99Ms',
      value: p99,
      limit: max,
      passed: p99 === null || p99 <= max,
      reason:
        p99 === null
          ? 'p99 latency: no requests yet'
          : `p99 latency ${fmt(p99)} ms ${p99 <= max ? '≤' : '>'} max ${fmt(max)} ms ${over}`,
    });
  }
  if (guardrails.predictionDrift) {
    const max = guardrails.predictionDrift.max;
    const score = predictionDrift(
      window.primaryPredictions.map((p) => p.output),
      window.candidatePredictions.map((p) => p.output),
    );
    checks.push({
      name: 'predictionDrift',
      value: score,
      limit: max,
      passed: score === null || score <= max,
      reason:
        score === null
          ? 'prediction drift: no predictions of both versions to compare yet'
          : `prediction drift (PSI vs the primary) ${fmt(score)} ${score <= max ? '≤' : '>'} max ${fmt(max)} over ${window.candidatePredictions.length} predictions`,
    });
  }
  if (guardrails.accuracy) {
    const { min } = guardrails.accuracy;
    const needed = guardrails.accuracy.minLabels ?? DEFAULT_MIN_LABELS;
    const labeled = window.labeled.filter((l) => l.feedback.label !== null && l.prediction.output.label !== undefined);
    const correct = labeled.filter((l) => String(l.prediction.output.label) === l.feedback.label).length;
    const accuracy = labeled.length >= needed ? correct / labeled.length : null;
    checks.push({
      name: 'accuracy',
      value: accuracy,
      limit: min,
      passed: accuracy === null || accuracy >= min,
      reason:
        accuracy === null
          ? `live accuracy: ${labeled.length} of ${needed} feedback labels needed so far`
          : `live accuracy ${fmt(accuracy)} ${accuracy >= min ? '≥' : '<'} min ${fmt(min)} over ${labeled.length} labels`,
    });
  }

  const verdict = n < guardrails.minRequests ? 'insufficient-data' : checks.every((c) => c.passed) ? 'pass' : 'breach';
  return { since: window.since, until: window.until, requests: n, verdict, checks };
}

/**
 * Reads the candidate's window of a rollout from the request log, the prediction log and the
 * feedback, and evaluates the plan's guardrails. Null when the endpoint has no rollout running.
 */
export async function measureGuardrails(
  metadata: MetadataStore,
  endpoint: Endpoint,
  now: Date = new Date(),
): Promise<GuardrailReport | null> {
  const rollout = endpoint.policy.rollout;
  if (!rollout || (rollout.status !== 'baking' && rollout.status !== 'awaiting-approval')) return null;
  const candidate = rollout.candidate;
  const primary = routeOf(endpoint.policy, 'primary');
  const since = rollout.stepStartedAt;
  const query = { endpoint: endpoint.name, since };
  const [requests, candidatePredictions, primaryPredictions, labeled] = await Promise.all([
    metadata.listRequests({ ...query, variant: 'canary' }),
    metadata.listPredictions({ ...query, variant: 'canary', limit: MAX_PREDICTIONS }),
    primary ? metadata.listPredictions({ ...query, variant: 'primary', limit: MAX_PREDICTIONS }) : [],
    rollout.plan.guardrails.accuracy
      ? metadata.listFeedback({ ...query, variant: 'canary', limit: MAX_PREDICTIONS })
      : ([] as LabeledPrediction[]),
  ]);
  const ofCandidate = (r: { model?: string; version?: number }) =>
    r.model !== undefined && r.version !== undefined && sameVersion({ model: r.model, version: r.version }, candidate);
  return evaluateGuardrails(rollout.plan.guardrails, {
    since,
    until: now.toISOString(),
    requests: requests.filter(ofCandidate),
    candidatePredictions: candidatePredictions.filter(ofCandidate),
    primaryPredictions: primary ? primaryPredictions.filter((p) => sameVersion(p, primary)) : [],
    labeled: labeled.filter((l) => ofCandidate(l.prediction)),
  });
}

/** Three significant digits, without trailing zeros: 0.05, 0.333, 61.2. */
function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}
