import { hashValue, KeelError, type PipelineRun, type StepRun } from '../core/index.js';
import type { PipelineStore } from '../store/index.js';
import { topologicalOrder, type Pipeline } from './dag.js';

export type StepEvent =
  | { readonly type: 'start'; readonly step: string; readonly index: number; readonly total: number }
  | { readonly type: 'cached'; readonly step: string; readonly summary: string }
  | { readonly type: 'done'; readonly step: string; readonly seconds: number; readonly summary: string }
  | { readonly type: 'failed'; readonly step: string; readonly error: Error };

export interface ExecutorOptions {
  readonly onEvent?: (event: StepEvent) => void;
  /** Extra attempts for a failing step before the pipeline fails. */
  readonly retries?: number;
}

export interface PipelineResult<O> {
  readonly run: PipelineRun;
  readonly outputs: O;
  readonly steps: readonly StepRun[];
  /** True when every step came from the cache: nothing changed since the last run. */
  readonly allCached: boolean;
}

/**
 * Runs a pipeline in this process, one step at a time in dependency order. Every step is
 * recorded in the store. A step's cache key is the hash of its own key, its code version and
 * the outputs of the steps it needs; a step whose key matches an earlier successful run is not
 * run again. That also makes a killed pipeline resume from its last completed step.
 */
export class LocalExecutor {
  constructor(private readonly store: PipelineStore) {}

  async run<Ctx, O>(pipeline: Pipeline<Ctx, O>, ctx: Ctx, options: ExecutorOptions = {}): Promise<PipelineResult<O>> {
    const order = topologicalOrder(pipeline);
    const emit = options.onEvent ?? (() => {});
    const pipelineRun = await this.store.createPipelineRun(pipeline.name);
    const outputs = {} as O;
    const outputHashes = new Map<string, string>();
    const records: StepRun[] = [];
    let allCached = true;

    for (const [index, step] of order.entries()) {
      emit({ type: 'start', step: step.name, index, total: order.length });
      const startedAt = new Date().toISOString();
      let inputHash: string;
      try {
        inputHash = hashValue({
          step: step.name,
          version: step.version,
          key: await step.key(ctx, outputs),
          needs: step.needs.map((need) => [need, outputHashes.get(need)]),
        });
      } catch (error) {
        return this.fail(pipelineRun, step.name, '', startedAt, error, emit);
      }

      const cached = await this.store.findCachedStep(step.name, inputHash);
      if (cached) {
        const record: StepRun = {
          pipelineRunId: pipelineRun.id,
          step: step.name,
          inputHash,
          status: 'cached',
          outputs: cached.outputs,
          startedAt,
          endedAt: new Date().toISOString(),
          error: null,
        };
        await this.store.putStepRun(record);
        records.push(record);
        outputs[step.name] = cached.outputs as O[typeof step.name];
        outputHashes.set(step.name, hashValue(cached.outputs));
        emit({ type: 'cached', step: step.name, summary: step.summary?.(outputs[step.name]) ?? '' });
        continue;
      }

      allCached = false;
      await this.store.putStepRun({
        pipelineRunId: pipelineRun.id,
        step: step.name,
        inputHash,
        status: 'running',
        outputs: null,
        startedAt,
        endedAt: null,
        error: null,
      });
      const t0 = performance.now();
      let output: O[typeof step.name];
      for (let attempt = 0; ; attempt++) {
        try {
          output = await step.run(ctx, outputs, { pipelineRunId: pipelineRun.id });
          break;
        } catch (error) {
          if (attempt < (options.retries ?? 0) && !(error instanceof KeelError)) continue;
          return this.fail(pipelineRun, step.name, inputHash, startedAt, error, emit);
        }
      }
      // Round-trip through JSON so a fresh run and a cached run hand downstream the same value.
      const stored = JSON.parse(JSON.stringify(output)) as O[typeof step.name];
      const record: StepRun = {
        pipelineRunId: pipelineRun.id,
        step: step.name,
        inputHash,
        status: 'succeeded',
        outputs: stored,
        startedAt,
        endedAt: new Date().toISOString(),
        error: null,
      };
      await this.store.putStepRun(record);
      records.push(record);
      outputs[step.name] = stored;
      outputHashes.set(step.name, hashValue(stored));
      emit({
        type: 'done',
        step: step.name,
        seconds: (performance.now() - t0) / 1000,
        summary: step.summary?.(stored) ?? '',
      });
    }
    const finished = await this.store.finishPipelineRun(pipelineRun.id, 'succeeded');
    return { run: finished, outputs, steps: records, allCached };
  }

  private async fail(
    run: PipelineRun,
    step: string,
    inputHash: string,
    startedAt: string,
    error: unknown,
    emit: (event: StepEvent) => void,
  ): Promise<never> {
    const err = error instanceof Error ? error : new Error(String(error));
    await this.store.putStepRun({
      pipelineRunId: run.id,
      step,
      inputHash,
      status: 'failed',
      outputs: null,
      startedAt,
      endedAt: new Date().toISOString(),
      error: err.message,
    });
    await this.store.finishPipelineRun(run.id, 'failed', `${step}: ${err.message}`);
    emit({ type: 'failed', step, error: err });
    if (err instanceof KeelError) {
      throw new KeelError(err.code, `step "${step}" failed: ${err.message}`, { ...err.details, step }, { cause: err });
    }
    throw new KeelError('internal', `step "${step}" failed: ${err.message}`, { step }, { cause: err });
  }
}
