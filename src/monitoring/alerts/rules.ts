import { invalidArgument, type AlertRuleConfig } from '../../core/index.js';

export type AlertOp = '>' | '>=' | '<' | '<=';
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** A checked alert rule, durations in milliseconds. */
export interface AlertRule {
  readonly name: string;
  /** Null: the rule applies to every endpoint. */
  readonly endpoint: string | null;
  readonly metric: string;
  readonly condition: { readonly op: AlertOp; readonly value: number };
  /** The window the metric is computed over, as written (`5m`) and in ms. */
  readonly window: string;
  readonly windowMs: number;
  /** How long the condition must hold before the rule fires (0: at once). */
  readonly for: string;
  readonly forMs: number;
  readonly severity: AlertSeverity;
  readonly webhooks: readonly string[];
}

const DURATION = /^([0-9]+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const OPS: readonly AlertOp[] = ['>', '>=', '<', '<='];
const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** `30s`, `5m`, `1h`, `2d`, `250ms` → milliseconds; errors name `field`. */
export function parseDuration(text: unknown, field: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text) : null;
  if (!match)
    throw invalidArgument(`${field} must be a duration such as 30s, 5m or 1h, not ${JSON.stringify(text)}`, { field });
  return Number(match[1]) * UNIT_MS[match[2]];
}

/**
 * Checks alert rules (the project file's `monitoring.alerts`, or rules built in code) and fills
 * in the defaults: window 5m, for 0s, severity warning. Errors name the key path, e.g.
 * `monitoring.alerts[2].condition.op`. Rule names are unique.
 */
export function parseAlertRules(configs: unknown, field = 'monitoring.alerts'): AlertRule[] {
  if (configs === undefined || configs === null) return [];
  if (!Array.isArray(configs)) throw invalidArgument(`${field} must be a list of alert rules`, { field });
  const seen = new Set<string>();
  return configs.map((config: AlertRuleConfig, i) => {
    const at = `${field}[${i}]`;
    if (config === null || typeof config !== 'object') throw invalidArgument(`${at} must be an object`, { field: at });
    const known = new Set(['name', 'endpoint', 'metric', 'condition', 'window', 'for', 'severity', 'webhooks']);
    const unknownKey = Object.keys(config).find((key) => !known.has(key));
    if (unknownKey) throw invalidArgument(`${at}.${unknownKey}: unknown key`, { field: `${at}.${unknownKey}` });
    if (typeof config.name !== 'string' || !RULE_NAME.test(config.name)) {
      throw invalidArgument(`${at}.name must be a name of letters, digits, _ . : - (at most 128)`, {
        field: `${at}.name`,
      });
    }
    if (seen.has(config.name))
      throw invalidArgument(`${at}.name: another rule is also named "${config.name}"`, { field: `${at}.name` });
    seen.add(config.name);
    if (config.endpoint !== undefined && (typeof config.endpoint !== 'string' || config.endpoint === '')) {
      throw invalidArgument(`${at}.endpoint must be an endpoint name`, { field: `${at}.endpoint` });
    }
    if (typeof config.metric !== 'string' || config.metric === '') {
      throw invalidArgument(`${at}.metric must name a metric, e.g. error_rate or latency_p99_ms`, {
        field: `${at}.metric`,
      });
    }
    const condition = config.condition as { op?: unknown; value?: unknown } | undefined;
    if (!condition || typeof condition !== 'object') {
      throw invalidArgument(`${at}.condition is required, e.g. {op: '>', value: 0.05}`, { field: `${at}.condition` });
    }
    if (!OPS.includes(condition.op as AlertOp)) {
      throw invalidArgument(`${at}.condition.op must be one of ${OPS.join(' ')}`, { field: `${at}.condition.op` });
    }
    if (typeof condition.value !== 'number' || !Number.isFinite(condition.value)) {
      throw invalidArgument(`${at}.condition.value must be a number`, { field: `${at}.condition.value` });
    }
    const window = config.window ?? '5m';
    const windowMs = parseDuration(window, `${at}.window`);
    if (windowMs <= 0) throw invalidArgument(`${at}.window must be longer than 0`, { field: `${at}.window` });
    const forText = config.for ?? '0s';
    const forMs = parseDuration(forText, `${at}.for`);
    const severity = config.severity ?? 'warning';
    if (!SEVERITIES.includes(severity)) {
      throw invalidArgument(`${at}.severity must be one of ${SEVERITIES.join(', ')}`, { field: `${at}.severity` });
    }
    const webhooks = config.webhooks ?? [];
    if (!Array.isArray(webhooks))
      throw invalidArgument(`${at}.webhooks must be a list of URLs`, { field: `${at}.webhooks` });
    webhooks.forEach((url, j) => {
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        parsed = null;
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw invalidArgument(`${at}.webhooks[${j}] must be an http:// or https:// URL, not ${JSON.stringify(url)}`, {
          field: `${at}.webhooks[${j}]`,
        });
      }
    });
    return {
      name: config.name,
      endpoint: config.endpoint ?? null,
      metric: config.metric,
      condition: { op: condition.op as AlertOp, value: condition.value },
      window,
      windowMs,
      for: forText,
      forMs,
      severity,
      webhooks: [...webhooks],
    };
  });
}

export function conditionHolds(value: number | null, condition: AlertRule['condition']): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  switch (condition.op) {
    case '>':
      return value > condition.value;
    case '>=':
      return value >= condition.value;
    case '<':
      return value < condition.value;
    case '<=':
      return value <= condition.value;
  }
}
