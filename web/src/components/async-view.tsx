import type { ReactNode } from 'react';
import type { ApiState } from '../use-api.js';

export function Loading() {
  return <p className="loading">Loading…</p>;
}

export function ErrorMessage({ error }: { error: Error }) {
  return (
    <div className="error" role="alert">
      <strong>Could not load this page.</strong> {error.message}
    </div>
  );
}

/**
 * Shows the loading and error states of `state`, and `children(data)` once data is there. A
 * failed refresh keeps the last data visible under the error.
 */
export function AsyncView<T>({ state, children }: { state: ApiState<T>; children: (data: T) => ReactNode }) {
  if (state.data === undefined) {
    if (state.error) return <ErrorMessage error={state.error} />;
    return <Loading />;
  }
  return (
    <>
      {state.error && <ErrorMessage error={state.error} />}
      {children(state.data)}
    </>
  );
}
