import type { AlertStatus } from '../../store/index.js';

/**
 * The life of an alert on one endpoint: ok → pending (the condition holds, not yet for `for`)
 * → firing → resolved (the condition no longer holds) → ok. A pending alert whose condition
 * stops holding returns to ok; a resolved one whose condition holds again starts over at pending.
 * With `for` 0 the pending step is skipped. No data (a null metric) counts as "does not hold".
 */
export function nextStatus(
  current: AlertStatus,
  since: number,
  holds: boolean,
  forMs: number,
  now: number,
): AlertStatus {
  switch (current) {
    case 'ok':
    case 'resolved':
      if (holds) return forMs <= 0 ? 'firing' : 'pending';
      return 'ok';
    case 'pending':
      if (!holds) return 'ok';
      return now - since >= forMs ? 'firing' : 'pending';
    case 'firing':
      return holds ? 'firing' : 'resolved';
  }
}
