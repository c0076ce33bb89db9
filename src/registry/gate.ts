import type { GateCheck, LatencyQuantiles } from '../core/index.js';

/**
 * The champion/challenger gate: a candidate is "blessed" when every absolute threshold holds,
 * its single-row predict latency is within bounds, and it beats the current champion on the
 * selection metric by at least `minImprovement`. The decision and every reason behind it are
 * returned so they can be recorded on the version.
 */
export interface GatePolicy {
  readonly thresholds: Readonly<Record<string, { min?: number; max?: number }>>;
  readonly selectionMetric: string;
  /** False for metrics such as log_loss or rmse, where the challenger must be lower. */
  readonly greaterIsBetter?: boolean;
  readonly minImprovement: number;
  /** Most predict latency per quantile, in milliseconds. */
  readonly maxLatencyMs?: Readonly<Partial<LatencyQuantiles>>;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly reasons: readonly string[];
  readonly checks: readonly GateCheck[];
}

export function evaluateGate(
  policy: GatePolicy,
  candidate: Readonly<Record<string, number>>,
  champion: { readonly version: number; readonly metrics: Readonly<Record<string, number>> } | null,
  latencyMs?: LatencyQuantiles | null,
): GateDecision {
  const checks: GateCheck[] = [];
  const check = (kind: GateCheck['kind'], name: string, value: number | null, passed: boolean, reason: string) =>
    checks.push({ kind, name, value, passed, reason });

  for (const [metric, bound] of Object.entries(policy.thresholds)) {
    const value = candidate[metric];
    if (value === undefined || !Number.isFinite(value)) {
      check('threshold', metric, null, false, `${metric}: not measured, but a threshold is set`);
    } else if (bound.min !== undefined && value < bound.min) {
      check('threshold', metric, value, false, `${metric} = ${fmt(value)} is below the minimum ${bound.min}`);
    } else if (bound.max !== undefined && value > bound.max) {
      check('threshold', metric, value, false, `${metric} = ${fmt(value)} is above the maximum ${bound.max}`);
    } else {
      check('threshold', metric, value, true, `${metric} = ${fmt(value)} meets ${describeBound(bound)}`);
    }
  }

  for (const [quantile, max] of Object.entries(policy.maxLatencyMs ?? {})) {
    if (max === undefined) continue;
    const value = latencyMs?.[quantile as keyof LatencyQuantiles];
    if (value === undefined) {
      check('latency', quantile, null, false, `${quantile} latency: not measured, but a maximum is set`);
    } else if (value > max) {
      check('latency', quantile, value, false, `${quantile} latency ${fmtMs(value)} is above the maximum ${max} ms`);
    } else {
      check('latency', quantile, value, true, `${quantile} latency ${fmtMs(value)} meets max ${max} ms`);
    }
  }

  const metric = policy.selectionMetric;
  if (champion) {
    const mine = candidate[metric];
    const theirs = champion.metrics[metric];
    if (mine === undefined || theirs === undefined) {
      check(
        'champion',
        metric,
        mine ?? null,
        true,
        `${metric}: cannot compare with champion v${champion.version}; comparison skipped`,
      );
    } else if ((policy.greaterIsBetter === false ? theirs - mine : mine - theirs) < policy.minImprovement) {
      check(
        'champion',
        metric,
        mine,
        false,
        `${metric} = ${fmt(mine)} does not beat champion v${champion.version} (${fmt(theirs)}) by ${policy.minImprovement}`,
      );
    } else {
      check(
        'champion',
        metric,
        mine,
        true,
        `${metric} = ${fmt(mine)} beats champion v${champion.version} (${fmt(theirs)})`,
      );
    }
  } else {
    check('champion', metric, candidate[metric] ?? null, true, 'no current champion');
  }
  return { passed: checks.every((c) => c.passed), reasons: checks.map((c) => c.reason), checks };
}

function describeBound(bound: { min?: number; max?: number }): string {
  const parts = [];
  if (bound.min !== undefined) parts.push(`min ${bound.min}`);
  if (bound.max !== undefined) parts.push(`max ${bound.max}`);
  return parts.join(', ');
}

function fmt(value: number): string {
  return Number(value.toFixed(4)).toString();
}

function fmtMs(value: number): string {
  return `${Number(value.toPrecision(3))} ms`;
}
