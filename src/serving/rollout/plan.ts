import {
  invalidArgument,
  type Guardrails,
  type ProjectConfig,
  type RolloutAutomation,
  type RolloutPlan,
} from '../../core/index.js';

/** A rollout plan as a person writes it: in the project file, the CLI flags or an API body. */
export interface RolloutPlanInput {
  /** Candidate percent per step, ascending, ending at 100. */
  readonly steps?: readonly number[];
  /** Bake time per step: `30s`, `10m`, `1h`, or milliseconds. */
  readonly bake?: string | number;
  readonly automation?: string;
  readonly guardrails?: {
    readonly errorRate?: { readonly max: number };
    readonly p99Ms?: { readonly max: number };
    readonly predictionDrift?: { readonly max: number };
    readonly accuracy?: { readonly min: number; readonly minLabels?: number };
    readonly minRequests?: number;
  };
}

const GUARDRAIL_KEYS = ['errorRate', 'p99Ms', 'predictionDrift', 'accuracy', 'minRequests'];

export const ROLLOUT_AUTOMATIONS: readonly RolloutAutomation[] = ['manual', 'auto-until-100', 'auto'];

/** Used for what a plan leaves out. */
export const DEFAULT_ROLLOUT: RolloutPlan = {
  steps: [1, 5, 25, 50, 100],
  bakeMs: 10 * 60_000,
  automation: 'manual',
  guardrails: { errorRate: { max: 0.05 }, minRequests: 100 },
};

/**
 * Checks a plan and fills what it leaves out from `defaults`; errors name the field under
 * `prefix` (`rollout.steps`, `serving.rollout.bake`, …).
 */
export function rolloutPlan(
  input: RolloutPlanInput,
  defaults: RolloutPlan = DEFAULT_ROLLOUT,
  prefix = 'rollout',
): RolloutPlan {
  const steps = input.steps === undefined ? defaults.steps : checkSteps(input.steps, `${prefix}.steps`);
  const bakeMs = input.bake === undefined ? defaults.bakeMs : bakeOf(input.bake, `${prefix}.bake`);
  const automation = input.automation === undefined ? defaults.automation : automationOf(input.automation, prefix);
  const guardrails = guardrailsOf(input.guardrails ?? {}, defaults.guardrails, `${prefix}.guardrails`);
  return { steps, bakeMs, automation, guardrails };
}

/**
 * The project file's plan (`serving.rollout`), with guardrails defaulting to the project's own
 * budgets: `serving.latencyBudgetMs.p99` and `monitoring.errorRate.max`. Null when the project
 * has no `serving.rollout`.
 */
export function projectRolloutPlan(config: ProjectConfig): RolloutPlan | null {
  const rollout = config.serving?.rollout;
  if (!rollout) return null;
  const budgetP99 = config.serving?.latencyBudgetMs?.p99;
  const maxErrorRate = config.monitoring?.errorRate?.max;
  const defaults: RolloutPlan = {
    ...DEFAULT_ROLLOUT,
    guardrails: {
      ...DEFAULT_ROLLOUT.guardrails,
      ...(maxErrorRate !== undefined ? { errorRate: { max: maxErrorRate } } : {}),
      ...(budgetP99 !== undefined ? { p99Ms: { max: budgetP99 } } : {}),
    },
  };
  return rolloutPlan(rollout, defaults, 'serving.rollout');
}

/** `250ms`, `30s`, `10m`, `2h`, `1d` → milliseconds. */
export function parseDuration(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) {
    throw invalidArgument(`${field} "${text}" is not a duration such as 30s, 10m or 1h`, { field });
  }
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(match[1]) * unit);
}

export function formatDuration(ms: number): string {
  if (ms % 8.64e7 === 0 && ms > 0) return `${ms / 8.64e7}d`;
  if (ms % 3.6e6 === 0 && ms > 0) return `${ms / 3.6e6}h`;
  if (ms % 6e4 === 0 && ms > 0) return `${ms / 6e4}m`;
  if (ms % 1e3 === 0) return `${ms / 1e3}s`;
  return `${ms}ms`;
}

/** `1,5,25,50,100` → [1, 5, 25, 50, 100]. */
export function parseSteps(text: string, field: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const steps = parts.map(Number);
  if (parts.some((p) => p === '') || steps.some((n) => !Number.isFinite(n))) {
    throw invalidArgument(`${field} "${text}" is not a list of percents such as 1,5,25,50,100`, { field });
  }
  return checkSteps(steps, field);
}

function checkSteps(steps: readonly number[], field: string): number[] {
  if (!Array.isArray(steps) || steps.length === 0) {
    throw invalidArgument(`${field} must list the candidate's percent per step, e.g. [1, 5, 25, 50, 100]`, { field });
  }
  steps.forEach((step, i) => {
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0 || step > 100) {
      throw invalidArgument(`${field}[${i}] must be a percent above 0 and at most 100, got ${String(step)}`, {
        field: `${field}[${i}]`,
      });
    }
    if (i > 0 && step <= steps[i - 1]) {
      throw invalidArgument(`${field} must ascend: ${steps[i - 1]} is followed by ${step}`, {
        field: `${field}[${i}]`,
      });
    }
  });
  if (steps[steps.length - 1] !== 100) {
    throw invalidArgument(`${field} must end at 100 (the candidate takes all traffic), got ${steps.join(', ')}`, {
      field,
    });
  }
  return [...steps];
}

function bakeOf(bake: string | number, field: string): number {
  if (typeof bake === 'number') {
    if (!Number.isFinite(bake) || bake < 0) throw invalidArgument(`${field} must be ≥ 0 ms, got ${bake}`, { field });
    return bake;
  }
  if (typeof bake !== 'string') throw invalidArgument(`${field} must be a duration such as 10m`, { field });
  return parseDuration(bake, field);
}

function automationOf(automation: string, prefix: string): RolloutAutomation {
  if (!(ROLLOUT_AUTOMATIONS as readonly string[]).includes(automation)) {
    throw invalidArgument(`${prefix}.automation "${automation}" is not one of: ${ROLLOUT_AUTOMATIONS.join(', ')}`, {
      field: `${prefix}.automation`,
    });
  }
  return automation as RolloutAutomation;
}

function guardrailsOf(
  input: NonNullable<RolloutPlanInput['guardrails']>,
  defaults: Guardrails,
  field: string,
): Guardrails {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidArgument(`${field} must be an object of guardrails`, { field });
  }
  const unknown = Object.keys(input).find((key) => !GUARDRAIL_KEYS.includes(key));
  if (unknown !== undefined) {
    throw invalidArgument(`${field}.${unknown}: unknown guardrail; use ${GUARDRAIL_KEYS.join(', ')}`, {
      field: `${field}.${unknown}`,
    });
  }
  const bound = (
    value: { readonly max?: number; readonly min?: number } | undefined,
    key: 'max' | 'min',
    name: string,
    range: [number, number],
  ) => {
    if (value === undefined) return undefined;
    const n = value?.[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < range[0] || n > range[1]) {
      throw invalidArgument(`${field}.${name}.${key} must be a number from ${range[0]} to ${range[1]}`, {
        field: `${field}.${name}.${key}`,
      });
    }
    return n;
  };
  const errorRate = bound(input.errorRate, 'max', 'errorRate', [0, 1]);
  const p99 = bound(input.p99Ms, 'max', 'p99Ms', [0, Number.MAX_SAFE_INTEGER]);
  const drift = bound(input.predictionDrift, 'max', 'predictionDrift', [0, Number.MAX_SAFE_INTEGER]);
  const accuracy = bound(input.accuracy, 'min', 'accuracy', [0, 1]);
  const minLabels = input.accuracy?.minLabels;
  if (minLabels !== undefined && (!Number.isInteger(minLabels) || minLabels < 1)) {
    throw invalidArgument(`${field}.accuracy.minLabels must be a whole number ≥ 1`, {
      field: `${field}.accuracy.minLabels`,
    });
  }
  const minRequests = input.minRequests ?? defaults.minRequests;
  if (!Number.isInteger(minRequests) || minRequests < 1) {
    throw invalidArgument(`${field}.minRequests must be a whole number ≥ 1, got ${String(minRequests)}`, {
      field: `${field}.minRequests`,
    });
  }
  const pick = <K extends keyof Guardrails>(key: K, value: Guardrails[K] | undefined) =>
    value !== undefined ? { [key]: value } : defaults[key] !== undefined ? { [key]: defaults[key] } : {};
  return {
    ...pick('errorRate', errorRate === undefined ? undefined : { max: errorRate }),
    ...pick('p99Ms', p99 === undefined ? undefined : { max: p99 }),
    ...pick('predictionDrift', drift === undefined ? undefined : { max: drift }),
    ...pick(
      'accuracy',
      accuracy === undefined ? undefined : { min: accuracy, ...(minLabels !== undefined ? { minLabels } : {}) },
    ),
    minRequests,
  };
}
