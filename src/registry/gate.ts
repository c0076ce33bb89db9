/**
 * The champion/challenger gate: a candidate is "blessed" when every absolute threshold holds
 * and it beats the current champion on the selection metric by at least `minImprovement`.
 * The decision and every reason behind it are returned so they can be recorded on the version.
 */
export interface GatePolicy {
  readonly thresholds: Readonly<Record<string, { min?: number; max?: number }>>;
  readonly selectionMetric: string;
  /** False for metrics such as log_loss or rmse, where the challenger must be lower. */
  readonly greaterIsBetter?: boolean;
  readonly minImprovement: number;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly reasons: readonly string[];
}

export function evaluateGate(
  policy: GatePolicy,
  candidate: Readonly<Record<string, number>>,
  champion: { readonly version: number; readonly metrics: Readonly<Record<string, number>> } | null,
): GateDecision {
  const reasons: string[] = [];
  let passed = true;
  for (const [metric, bound] of Object.entries(policy.thresholds)) {
    const value = candidate[metric];
    if (value === undefined || !Number.isFinite(value)) {
      passed = false;
      reasons.push(`${metric}: not measured, but a threshold is set`);
      continue;
    }
    if (bound.min !== undefined && value < bound.min) {
      passed = false;
      reasons.push(`${metric} = ${fmt(value)} is below the minimum ${bound.min}`);
    } else if (bound.max !== undefined && value > bound.max) {
      passed = false;
      reasons.push(`${metric} = ${fmt(value)} is above the maximum ${bound.max}`);
    } else {
      reasons.push(`${metric} = ${fmt(value)} meets ${describeBound(bound)}`);
    }
  }
  if (champion) {
    const metric = policy.selectionMetric;
    const mine = candidate[metric];
    const theirs = champion.metrics[metric];
    if (mine === undefined || theirs === undefined) {
      reasons.push(`${metric}: cannot compare with champion v${champion.version}; comparison skipped`);
    } else if ((policy.greaterIsBetter === false ? theirs - mine : mine - theirs) < policy.minImprovement) {
      passed = false;
      reasons.push(
        `${metric} = ${fmt(mine)} does not beat champion v${champion.version} (${fmt(theirs)}) by ${policy.minImprovement}`,
      );
    } else {
      reasons.push(`${metric} = ${fmt(mine)} beats champion v${champion.version} (${fmt(theirs)})`);
    }
  } else {
    reasons.push('no current champion');
  }
  return { passed, reasons };
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
