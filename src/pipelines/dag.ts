import { KeelError } from '../core/index.js';

/**
 * A pipeline is a DAG of typed steps (as TFX components: a spec plus an executor). `O` maps
 * each step name to the type of its output; a step sees the outputs of the steps it needs.
 * Outputs are small JSON values that reference artifacts by digest, so they can be recorded,
 * cached and handed to a step running in another process.
 */
export interface StepDefinition<Ctx, O, K extends keyof O & string = keyof O & string> {
  readonly name: K;
  readonly needs: ReadonlyArray<keyof O & string>;
  /** Bump when the step's code changes what it produces; part of the cache key. */
  readonly version: number;
  /** Human description for `--help` and the dashboard. */
  readonly description: string;
  /**
   * What, besides upstream outputs, determines the result (config, a file's hash, state read
   * from the store). Sees the upstream outputs, as `run` does.
   */
  key(ctx: Ctx, inputs: O): unknown;
  run(ctx: Ctx, inputs: O, meta: StepMeta): Promise<O[K]>;
  /** One line describing an output, for progress output. */
  summary?(output: O[K]): string;
}

/** What the executor tells a step about the run it is part of. */
export interface StepMeta {
  readonly pipelineRunId: string;
}

export interface Pipeline<Ctx, O> {
  readonly name: string;
  readonly steps: ReadonlyArray<StepDefinition<Ctx, O>>;
}

/** Steps in an order where every step comes after the steps it needs. */
export function topologicalOrder<Ctx, O>(pipeline: Pipeline<Ctx, O>): StepDefinition<Ctx, O>[] {
  const byName = new Map(pipeline.steps.map((s) => [s.name, s]));
  if (byName.size !== pipeline.steps.length) {
    throw new KeelError('invalid_config', `pipeline "${pipeline.name}" has two steps with the same name`);
  }
  const order: StepDefinition<Ctx, O>[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (step: StepDefinition<Ctx, O>, path: string[]) => {
    if (state.get(step.name) === 'done') return;
    if (state.get(step.name) === 'visiting') {
      throw new KeelError(
        'invalid_config',
        `pipeline "${pipeline.name}" has a cycle: ${[...path, step.name].join(' → ')}`,
      );
    }
    state.set(step.name, 'visiting');
    for (const need of step.needs) {
      const dep = byName.get(need);
      if (!dep) {
        throw new KeelError('invalid_config', `step "${step.name}" needs "${need}", which is not in the pipeline`);
      }
      visit(dep, [...path, step.name]);
    }
    state.set(step.name, 'done');
    order.push(step);
  };
  for (const step of pipeline.steps) visit(step, []);
  return order;
}
