/**
 * A small typed event bus: how one part of Keel tells others that something happened without
 * importing them (monitoring raises `alert`; a retraining trigger subscribes). Events are
 * declared in `KeelEvents`; a module adds its own by augmenting the interface:
 *
 * ```ts
 * declare module '../core/events.js' { interface KeelEvents { 'retrain.started': { endpoint: string } } }
 * ```
 *
 * Listeners run synchronously in subscription order; one that throws (or returns a promise
 * that rejects) is reported to the bus's `onError` and never stops the others or the emitter.
 */

/** What an alert transition tells subscribers (see monitoring/alerts). */
export interface AlertEvent {
  readonly rule: string;
  readonly endpoint: string;
  readonly metric: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly from: 'ok' | 'pending' | 'firing' | 'resolved';
  readonly to: 'ok' | 'pending' | 'firing' | 'resolved';
  /** The metric's value that caused the transition; null when there was no data. */
  readonly value: number | null;
  readonly condition: { readonly op: '>' | '>=' | '<' | '<='; readonly value: number };
  readonly window: string;
  readonly at: string;
  /** The process that made the transition. */
  readonly actor: string;
  readonly message: string;
}

/** Every event and its payload; other modules add theirs by declaration merging. */
export interface KeelEvents {
  alert: AlertEvent;
}

export type EventListener<T> = (payload: T) => void | Promise<void>;

export class EventBus<Events extends object = KeelEvents> {
  readonly #listeners = new Map<keyof Events, Set<EventListener<never>>>();
  readonly #onError: (error: unknown, event: keyof Events) => void;

  constructor(options: { onError?: (error: unknown, event: keyof Events) => void } = {}) {
    this.#onError =
      options.onError ?? ((error, event) => console.error(`keel: a listener of "${String(event)}" failed:`, error));
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: EventListener<Events[K]>): () => void {
    let listeners = this.#listeners.get(event);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(event, listeners);
    }
    listeners.add(listener as EventListener<never>);
    return () => this.off(event, listener);
  }

  /** Subscribes for the next event only. */
  once<K extends keyof Events>(event: K, listener: EventListener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      return listener(payload);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, listener: EventListener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as EventListener<never>);
  }

  /** Calls every listener of `event`; returns how many there were. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): number {
    const listeners = this.#listeners.get(event);
    if (!listeners) return 0;
    const called = [...listeners] as EventListener<Events[K]>[];
    for (const listener of called) {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.#onError(error, event));
      } catch (error) {
        this.#onError(error, event);
      }
    }
    return called.length;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

/** The process-wide bus: `events.on('alert', (alert) => …)`. */
export const events = new EventBus<KeelEvents>();
