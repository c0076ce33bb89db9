import { KeelError, type ErrorCode } from '../../core/index.js';
import { growForestTrees } from '../ensemble/forest-growth.js';
import { runTrialTask } from '../model-selection/trial-task.js';

/**
 * The work a worker thread can do, by name. A worker runs only code listed here (functions
 * cannot cross threads), so adding parallel work means adding a task: a function from a
 * structured-cloneable input to a structured-cloneable output. Typed arrays on a
 * SharedArrayBuffer arrive shared, not copied. The ArrayBuffers of typed arrays in the output
 * are moved to the caller, so a task must return buffers it no longer uses.
 */
export const tasks = {
  'forest.grow': growForestTrees,
  /** Fits and scores one search candidate on one cross-validation split. */
  'search.trial': runTrialTask,
  /** Returns its input: checks a pool is alive and shows what crosses the thread boundary. */
  'pool.echo': (input: unknown): unknown => input,
  /** Throws: checks that a worker's errors reach the caller intact. */
  'pool.fail': (input: { message: string; code?: ErrorCode }): never => {
    if (input.code === undefined) throw new Error(input.message);
    throw new KeelError(input.code, input.message, { task: 'pool.fail' });
  },
} satisfies Record<string, (input: never) => unknown>;

export type Tasks = typeof tasks;
export type TaskName = keyof Tasks;
export type TaskInput<N extends TaskName> = Parameters<Tasks[N]>[0];
export type TaskOutput<N extends TaskName> = Awaited<ReturnType<Tasks[N]>>;
