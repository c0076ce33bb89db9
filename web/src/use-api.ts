import { useEffect, useState, type DependencyList } from 'react';

export interface ApiState<T> {
  readonly data?: T;
  readonly error?: Error;
  readonly loading: boolean;
}

/**
 * Loads data for a page; reloads when `deps` change and, with `refreshMs`, every few seconds.
 * A failed refresh keeps the last data on screen next to the error.
 */
export function useApi<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  options: { refreshMs?: number } = {},
): ApiState<T> {
  const [state, setState] = useState<ApiState<T>>({ loading: true });
  const { refreshMs } = options;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ loading: true });

    const tick = async () => {
      try {
        const data = await load(controller.signal);
        if (!controller.signal.aborted) setState({ loading: false, data });
      } catch (error) {
        if (controller.signal.aborted) return;
        const err = error instanceof Error ? error : new Error(String(error));
        setState((previous) => ({ loading: false, data: previous.data, error: err }));
      }
      if (refreshMs !== undefined && !controller.signal.aborted) timer = setTimeout(tick, refreshMs);
    };
    void tick();

    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // `load` is a fresh closure on every render; `deps` says when it actually changes.
  }, [...deps, refreshMs]);

  return state;
}
