import type { ParamValue, Run, RunStatus } from '../core/index.js';

/** Runs side by side: one array per param and metric, a value per run (null where a run lacks it). */
export interface RunComparison {
  readonly runs: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    readonly experiment: string;
    readonly status: RunStatus;
    readonly durationMs: number | null;
  }>;
  readonly params: Readonly<Record<string, ReadonlyArray<ParamValue | null>>>;
  readonly metrics: Readonly<Record<string, ReadonlyArray<number | null>>>;
  /** The `params.NAME` and `metrics.NAME` whose values are not the same in every run. */
  readonly differing: readonly string[];
}

/** Lines up the params and the latest metrics of `runs`, in their order; keys sorted. */
export function compareRuns(runs: readonly Run[]): RunComparison {
  const params = lineUp(runs, (run) => run.params);
  const metrics = lineUp(runs, (run) => run.metrics);
  const differing = [
    ...Object.entries(params)
      .filter(([, values]) => !allSame(values))
      .map(([key]) => `params.${key}`),
    ...Object.entries(metrics)
      .filter(([, values]) => !allSame(values))
      .map(([key]) => `metrics.${key}`),
  ];
  return {
    runs: runs.map((run) => ({
      id: run.id,
      name: run.name,
      experiment: run.experiment,
      status: run.status,
      durationMs: run.durationMs,
    })),
    params,
    metrics,
    differing,
  };
}

function lineUp<V>(
  runs: readonly Run[],
  values: (run: Run) => Readonly<Record<string, V>>,
): Record<string, (V | null)[]> {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(values(run))))].sort();
  return Object.fromEntries(
    keys.map((key) => [key, runs.map((run) => (Object.hasOwn(values(run), key) ? values(run)[key] : null))]),
  );
}

/** NaN equals NaN here: two runs that both failed to compute a metric agree. */
function allSame(values: readonly unknown[]): boolean {
  return values.every((value) => Object.is(value, values[0]));
}
