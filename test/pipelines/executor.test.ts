import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeelError } from '../../src/core/index.js';
import { LocalExecutor, topologicalOrder, type Pipeline, type StepEvent } from '../../src/pipelines/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

interface Outputs {
  source: { value: number };
  double: { value: number };
  report: { text: string };
}

interface Ctx {
  input: number;
  calls: string[];
  failDouble?: boolean;
}

const pipeline: Pipeline<Ctx, Outputs> = {
  name: 'toy',
  steps: [
    {
      name: 'report',
      needs: ['double'],
      version: 1,
      description: 'format',
      key: () => null,
      async run(ctx, inputs) {
        ctx.calls.push('report');
        return { text: `= ${inputs.double.value}` };
      },
    },
    {
      name: 'source',
      needs: [],
      version: 1,
      description: 'read the input',
      key: (ctx) => ({ input: ctx.input }),
      async run(ctx) {
        ctx.calls.push('source');
        return { value: ctx.input };
      },
    },
    {
      name: 'double',
      needs: ['source'],
      version: 1,
      description: 'double it',
      key: () => null,
      async run(ctx, inputs) {
        ctx.calls.push('double');
        if (ctx.failDouble) throw new Error('disk full');
        return { value: inputs.source.value * 2 };
      },
    },
  ] as Pipeline<Ctx, Outputs>['steps'],
};

describe('the local executor', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  beforeEach(async () => {
    ws = await tempWorkspace();
  });
  afterEach(() => ws.dispose());

  it('runs steps in dependency order and records each one', async () => {
    const ctx: Ctx = { input: 21, calls: [] };
    const result = await new LocalExecutor(ws.metadata).run(pipeline, ctx);
    expect(ctx.calls).toEqual(['source', 'double', 'report']);
    expect(result.outputs.report).toEqual({ text: '= 42' });
    expect(result.allCached).toBe(false);
    const recorded = await ws.metadata.listStepRuns(result.run.id);
    expect(recorded.map((s) => [s.step, s.status])).toEqual([
      ['source', 'succeeded'],
      ['double', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(result.run.status).toBe('succeeded');
  });

  it('does no work the second time when nothing changed, and says so', async () => {
    const executor = new LocalExecutor(ws.metadata);
    await executor.run(pipeline, { input: 21, calls: [] });
    const ctx: Ctx = { input: 21, calls: [] };
    const events: StepEvent[] = [];
    const again = await executor.run(pipeline, ctx, { onEvent: (e) => events.push(e) });
    expect(ctx.calls).toEqual([]);
    expect(again.allCached).toBe(true);
    expect(again.outputs.report).toEqual({ text: '= 42' });
    expect(events.filter((e) => e.type === 'cached')).toHaveLength(3);
  });

  it('reruns exactly the steps whose inputs changed', async () => {
    const executor = new LocalExecutor(ws.metadata);
    await executor.run(pipeline, { input: 21, calls: [] });
    const ctx: Ctx = { input: 5, calls: [] };
    const result = await executor.run(pipeline, ctx);
    expect(ctx.calls).toEqual(['source', 'double', 'report']);
    expect(result.outputs.report.text).toBe('= 10');
  });

  it('fails with the step named, records the failure, and resumes after the last completed step', async () => {
    const executor = new LocalExecutor(ws.metadata);
    const failing: Ctx = { input: 3, calls: [], failDouble: true };
    const error = await executor.run(pipeline, failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).message).toBe('step "double" failed: disk full');
    const [failedRun] = await ws.metadata.listPipelineRuns(1);
    expect(failedRun).toMatchObject({ status: 'failed', error: 'double: disk full' });

    const resumed: Ctx = { input: 3, calls: [] };
    await executor.run(pipeline, resumed);
    expect(resumed.calls).toEqual(['double', 'report']);
  });

  it('rejects a pipeline with a cycle or an unknown dependency', () => {
    const cyclic: Pipeline<Ctx, Outputs> = {
      name: 'cyclic',
      steps: [{ ...pipeline.steps[1], needs: ['report'] }, pipeline.steps[2], pipeline.steps[0]] as Pipeline<
        Ctx,
        Outputs
      >['steps'],
    };
    expect(() => topologicalOrder(cyclic)).toThrow(/has a cycle: source → report → double → source|has a cycle/);
    const dangling = { name: 'dangling', steps: [{ ...pipeline.steps[0], needs: ['nope'] }] } as unknown as Pipeline<
      Ctx,
      Outputs
    >;
    expect(() => topologicalOrder(dangling)).toThrow('step "report" needs "nope", which is not in the pipeline');
  });
});
