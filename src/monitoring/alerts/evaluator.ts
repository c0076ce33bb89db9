import {
  events as defaultBus,
  isKeelError,
  type AlertEvent,
  type EventBus,
  type KeelEvents,
} from '../../core/index.js';
import type { AlertState, AlertStatus, MetadataStore } from '../../store/index.js';
import { metricSources, softwareMetricSources, type MetricSourceRegistry } from './metric-sources.js';
import { conditionHolds, type AlertRule } from './rules.js';
import { nextStatus } from './state-machine.js';
import { postWebhook, type WebhookOptions, type WebhookOutcome } from './webhooks.js';

export type AlertStore = Pick<MetadataStore, 'listEndpoints' | 'getAlertState' | 'putAlertState' | 'listMetricWindows'>;

export interface AlertEvaluatorOptions {
  readonly store: AlertStore;
  readonly rules: readonly AlertRule[];
  /** Who makes the transitions, in the history (default `process:<pid>`). */
  readonly actor?: string;
  /** Milliseconds between evaluations when started (default 15000). */
  readonly intervalMs?: number;
  /** Other modules' metrics (default the process-wide registry). */
  readonly sources?: MetricSourceRegistry;
  readonly bus?: EventBus<KeelEvents>;
  readonly webhook?: WebhookOptions;
  /** Runs before each evaluation, e.g. flushing this process's metrics so they count. */
  readonly beforeEvaluate?: () => Promise<void>;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

/** What one evaluation of one (rule, endpoint) found. */
export interface AlertEvaluation {
  readonly rule: string;
  readonly endpoint: string;
  readonly value: number | null;
  readonly status: AlertStatus;
  /** Set when this evaluation made a transition. */
  readonly transition?: AlertEvent;
  /** Why the rule could not be evaluated (an unknown metric, a failing source). */
  readonly error?: string;
}

/**
 * Evaluates alert rules against the store's windows and registered metric sources, moving each
 * (rule, endpoint) through ok → pending → firing → resolved → ok. States live in the store with
 * compare-and-set on their revision, so they survive restarts and of several processes
 * evaluating the same rule exactly one makes (and announces) each transition. A transition is
 * logged, emitted as an `alert` event on the bus, and POSTed to the rule's webhooks.
 */
export class AlertEvaluator {
  readonly #options: AlertEvaluatorOptions;
  readonly #software: MetricSourceRegistry;
  readonly #actor: string;
  readonly #log: (line: string) => void;
  readonly #deliveries = new Set<Promise<WebhookOutcome[]>>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> = Promise.resolve();

  constructor(options: AlertEvaluatorOptions) {
    this.#options = options;
    this.#software = softwareMetricSources(options.store);
    this.#actor = options.actor ?? `process:${process.pid}`;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  get rules(): readonly AlertRule[] {
    return this.#options.rules;
  }

  /** Evaluates on an interval until `stop`. Idempotent. */
  start(): this {
    if (this.#timer || this.#options.rules.length === 0) return this;
    this.#timer = setInterval(() => {
      void this.evaluateAlerts().catch((error: unknown) =>
        this.#log(`keel: alert evaluation failed: ${String(error)}`),
      );
    }, this.#options.intervalMs ?? 15_000);
    this.#timer.unref();
    return this;
  }

  /** Stops the timer, waits for a running evaluation and the webhook deliveries it started. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running.catch(() => {});
    await this.settled();
  }

  /** Resolves when every webhook delivery started so far has finished (delivered or given up). */
  async settled(): Promise<void> {
    await Promise.all([...this.#deliveries]);
  }

  /** Evaluates every rule on every endpoint it applies to, at `now` (ms; default the clock). */
  evaluateAlerts(now: number = (this.#options.now ?? Date.now)()): Promise<AlertEvaluation[]> {
    const run = this.#running.catch(() => {}).then(() => this.#evaluate(now));
    this.#running = run;
    return run;
  }

  async #evaluate(now: number): Promise<AlertEvaluation[]> {
    await this.#options
      .beforeEvaluate?.()
      .catch((error: unknown) => this.#log(`keel: before alert evaluation: ${String(error)}`));
    const { store, rules } = this.#options;
    const needsAll = rules.some((rule) => rule.endpoint === null);
    const allEndpoints = needsAll ? (await store.listEndpoints()).map((e) => e.name) : [];
    const results: AlertEvaluation[] = [];
    for (const rule of rules) {
      for (const endpoint of rule.endpoint === null ? allEndpoints : [rule.endpoint]) {
        results.push(await this.#evaluateOne(rule, endpoint, now));
      }
    }
    return results;
  }

  async #evaluateOne(rule: AlertRule, endpoint: string, now: number): Promise<AlertEvaluation> {
    const { store } = this.#options;
    const source = this.#software.resolve(rule.metric) ?? (this.#options.sources ?? metricSources).resolve(rule.metric);
    const state = await store.getAlertState(rule.name, endpoint);
    const current: AlertStatus = state?.status ?? 'ok';
    if (!source) {
      const known = [...this.#software.names(), ...(this.#options.sources ?? metricSources).names()].join(', ');
      const error = `alert "${rule.name}": no metric "${rule.metric}" (known: ${known})`;
      this.#log(`keel: ${error}`);
      return { rule: rule.name, endpoint, value: null, status: current, error };
    }
    let value: number | null;
    try {
      const found = await source(endpoint, new Date(now - rule.windowMs), new Date(now), rule.metric);
      value = typeof found === 'number' && Number.isFinite(found) ? found : null;
    } catch (error) {
      const message = `alert "${rule.name}" on "${endpoint}": metric "${rule.metric}" failed: ${(error as Error).message}`;
      this.#log(`keel: ${message}`);
      return { rule: rule.name, endpoint, value: null, status: current, error: message };
    }
    const since = state ? Date.parse(state.since) : now;
    const status = nextStatus(current, since, conditionHolds(value, rule.condition), rule.forMs, now);
    const at = new Date(now).toISOString();
    const changed = status !== current;
    const message = changed ? describe(rule, endpoint, current, status, value) : '';
    let written: AlertState;
    try {
      written = await store.putAlertState(
        {
          rule: rule.name,
          endpoint,
          status,
          since: changed || !state ? at : state.since,
          value,
          severity: rule.severity,
          evaluatedAt: at,
          ...(changed ? { transition: { from: current, actor: this.#actor, message } } : {}),
        },
        state?.revision ?? 0,
      );
    } catch (error) {
      // Another process evaluated the same rule meanwhile and made (and announced) the change.
      if (isKeelError(error) && error.code === 'conflict') {
        const latest = await store.getAlertState(rule.name, endpoint);
        return { rule: rule.name, endpoint, value, status: latest?.status ?? current };
      }
      throw error;
    }
    if (!changed) return { rule: rule.name, endpoint, value, status: written.status };
    const event: AlertEvent = {
      rule: rule.name,
      endpoint,
      metric: rule.metric,
      severity: rule.severity,
      from: current,
      to: status,
      value,
      condition: rule.condition,
      window: rule.window,
      at,
      actor: this.#actor,
      message,
    };
    this.#notify(rule, event);
    return { rule: rule.name, endpoint, value, status, transition: event };
  }

  #notify(rule: AlertRule, event: AlertEvent): void {
    this.#log(`keel: ${event.message}`);
    (this.#options.bus ?? defaultBus).emit('alert', event);
    if (rule.webhooks.length === 0) return;
    const delivery = Promise.all(rule.webhooks.map((url) => postWebhook(url, event, this.#options.webhook))).then(
      (outcomes) => {
        for (const outcome of outcomes) {
          if (!outcome.ok) {
            this.#log(
              `keel: alert "${event.rule}" webhook ${outcome.url} failed after ${outcome.attempts} attempt(s): ${outcome.error}`,
            );
          }
        }
        return outcomes;
      },
    );
    this.#deliveries.add(delivery);
    void delivery.finally(() => this.#deliveries.delete(delivery));
  }
}

function describe(rule: AlertRule, endpoint: string, from: AlertStatus, to: AlertStatus, value: number | null): string {
  const shown = value === null ? 'no data' : `${rule.metric} = ${round(value)}`;
  return `alert "${rule.name}" on endpoint "${endpoint}" ${from} → ${to}: ${shown} (condition ${rule.metric} ${rule.condition.op} ${rule.condition.value} over ${rule.window}, severity ${rule.severity})`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
