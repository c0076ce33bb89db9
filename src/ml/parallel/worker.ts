import { parentPort } from 'node:worker_threads';
import { KeelError } from '../../core/index.js';
import { serializeError, transferablesOf, type TaskReply, type TaskRequest } from './messages.js';
import { tasks } from './tasks.js';

/**
 * A worker thread's entry point (started by WorkerPool from the compiled dist/ copy): runs
 * one task at a time from the registry in tasks.ts and replies with its output or its error.
 */

if (parentPort === null) throw new Error('worker.js is started by WorkerPool as a worker thread, not run directly');
const port = parentPort;

function isTask(name: string): name is keyof typeof tasks {
  return Object.hasOwn(tasks, name);
}

async function run(task: string, input: unknown): Promise<unknown> {
  if (!isTask(task)) {
    throw new KeelError('invalid_argument', `worker has no task "${task}"; it has ${Object.keys(tasks).join(', ')}`, {
      field: 'task',
    });
  }
  // The pool's typed run() checked the input against the task's signature on the calling side.
  const handler = tasks[task] as (input: unknown) => unknown;
  return handler(input);
}

port.on('message', (request: TaskRequest) => {
  void (async () => {
    let reply: TaskReply;
    try {
      const output = await run(request.task, request.input);
      reply = { id: request.id, output };
      port.postMessage(reply, transferablesOf(output));
    } catch (error) {
      reply = { id: request.id, error: serializeError(error) };
      port.postMessage(reply);
    }
  })();
});
