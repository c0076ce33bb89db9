import { isKeelError, type Endpoint, type GuardrailReport, type TrafficPolicy } from '../../core/index.js';
import type { MetadataStore } from '../../store/index.js';
import { measureGuardrails } from './guardrails.js';
import { advance, awaitApproval, decide, isActive, withdraw, type RolloutDecision } from './transitions.js';

export interface RolloutControllerOptions {
  /** How often the server's timer looks at running rollouts (ms); default 5000. */
  readonly intervalMs?: number;
  /** The actor of the controller's audit events; default `keel-rollout`. */
  readonly actor?: string;
  /** Called after the controller changed an endpoint (the server drops its cached policy). */
  readonly onChange?: (endpoint: Endpoint) => void;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => Date;
}

/** What one look at one endpoint's rollout found and did. */
export interface RolloutTick {
  readonly endpoint: string;
  readonly decision: RolloutDecision;
  readonly report: GuardrailReport;
  /** The endpoint after the change; absent when nothing changed (a wait, or another controller acted first). */
  readonly changed?: Endpoint;
}

/**
 * Drives progressive rollouts: for each endpoint with a rollout running it measures the
 * guardrails over the current step (request log, prediction log, feedback), then advances the
 * step, asks for approval or rolls back, recording why as an audit event.
 *
 * Its state is the endpoint's policy in the metadata store, so it is idempotent and survives
 * restarts. Every change is a compare-and-set on the revision it read: when several server
 * processes run a controller, only the first to act on a revision changes it; the others get a
 * conflict and drop their move. Within a process, ticks run one at a time.
 */
export class RolloutController {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RolloutTick[]> | null = null;
  private readonly actor: string;
  private readonly now: () => Date;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly options: RolloutControllerOptions = {},
  ) {
    this.actor = options.actor ?? 'keel-rollout';
    this.now = options.now ?? (() => new Date());
  }

  /** Looks at one endpoint's rollout, or at every endpoint's; resolves with what was found and done. */
  tick(endpoint?: string): Promise<RolloutTick[]> {
    // Single flight: a tick asked for while one runs starts after it, never beside it.
    const previous = this.running ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => this.tickOnce(endpoint));
    this.running = next;
    void next
      .finally(() => {
        if (this.running === next) this.running = null;
      })
      .catch(() => {});
    return next;
  }

  /** Ticks every `intervalMs` until `stop()`; a tick still running makes the timer skip a beat. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.tick().catch((error: unknown) => this.options.onError?.(error));
    }, this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running tick. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async tickOnce(name?: string): Promise<RolloutTick[]> {
    const endpoints = name
      ? [await this.metadata.getEndpoint(name)].filter((e): e is Endpoint => e !== null)
      : await this.metadata.listEndpoints();
    const ticks: RolloutTick[] = [];
    for (const endpoint of endpoints) {
      if (!isActive(endpoint.policy.rollout)) continue;
      try {
        ticks.push(await this.step(endpoint));
      } catch (error) {
        if (name) throw error;
        this.options.onError?.(error);
      }
    }
    return ticks;
  }

  private async step(endpoint: Endpoint): Promise<RolloutTick> {
    const now = this.now();
    const report = await measureGuardrails(this.metadata, endpoint, now);
    const rollout = endpoint.policy.rollout;
    if (!report || !isActive(rollout)) throw new Error(`endpoint ${endpoint.name} has no rollout running`);
    const decision = decide(rollout, report, now);
    const next = this.apply(endpoint.policy, decision, report, now);
    if (!next) return { endpoint: endpoint.name, decision, report };
    const kind = { advance: 'promote', 'await-approval': 'rollout-awaiting-approval', rollback: 'rollback' }[
      decision.action as Exclude<RolloutDecision['action'], 'wait'>
    ];
    try {
      const changed = await this.metadata.putEndpoint(
        endpoint.name,
        next,
        { kind, actor: this.actor, reason: decision.reason },
        { expectedRevision: endpoint.revision },
      );
      this.options.onChange?.(changed);
      return { endpoint: endpoint.name, decision, report, changed };
    } catch (error) {
      // Another controller (or a person) changed the endpoint since it was read: their move stands.
      if (isKeelError(error) && error.code === 'conflict') return { endpoint: endpoint.name, decision, report };
      throw error;
    }
  }

  private apply(
    policy: TrafficPolicy,
    decision: RolloutDecision,
    report: GuardrailReport,
    now: Date,
  ): TrafficPolicy | null {
    switch (decision.action) {
      case 'wait':
        return null;
      case 'advance':
        return advance(policy, now, decision.reason, report);
      case 'await-approval':
        return awaitApproval(policy, decision.reason, report);
      case 'rollback':
        return withdraw(policy, decision.reason, report);
    }
  }
}
