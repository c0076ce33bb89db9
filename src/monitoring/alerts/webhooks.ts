/**
 * Alert notifications to webhooks: a JSON POST with a timeout, retried with exponential backoff
 * on network errors, timeouts, 429 and 5xx (a 4xx other than 429 will not get better). Never
 * throws: the outcome is returned so the caller logs it — a receiver that is down must not stop
 * the evaluator.
 */
export interface WebhookOptions {
  /** Per attempt (ms; default 5000). */
  readonly timeoutMs?: number;
  /** Attempts after the first (default 3). */
  readonly retries?: number;
  /** Wait before the first retry, doubled each time (ms; default 500). */
  readonly backoffMs?: number;
}

export interface WebhookOutcome {
  readonly url: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** The last HTTP status, when a response arrived. */
  readonly status?: number;
  readonly error?: string;
}

export async function postWebhook(
  url: string,
  payload: unknown,
  options: WebhookOptions = {},
): Promise<WebhookOutcome> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const body = JSON.stringify(payload);
  let last: WebhookOutcome = { url, ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'keel-alerts' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { url, ok: true, attempts: attempt, status: response.status };
      last = { url, ok: false, attempts: attempt, status: response.status, error: `HTTP ${response.status}` };
      if (response.status < 500 && response.status !== 429) return last;
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (error as Error).message;
      last = { url, ok: false, attempts: attempt, error: reason };
    }
    if (attempt <= retries) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
  }
  return last;
}
