import { parentPort, workerData } from 'node:worker_threads';
import type { PredictionRecord, RequestRecord } from '../core/index.js';
import { openMetadataStore } from '../store/index.js';
import type { LogRecordsMessage, LogWriteReply, LogWriteRequest, MetricsCallMessage } from './log-writer.js';
import { decodeRecords } from './record-codec.js';

/**
 * The prediction log's writer thread (see log-writer.ts): its own connection to the metadata
 * store. Batches that arrive while a write is running are appended together in the next one,
 * so the serving thread can send small batches often (its records die young, cheap for its
 * garbage collector) while the store still gets large transactions under load.
 */
const port = parentPort;
if (!port) throw new Error('log-writer-thread.js runs as a worker thread');
const store = await openMetadataStore((workerData as { databaseUrl: string }).databaseUrl);
let queue: LogWriteRequest[] = [];
let writing = false;

port.on('message', (message: LogWriteRequest) => {
  queue.push(message);
  if (!writing) void drain();
});
port.postMessage({ id: 0, ok: true } satisfies LogWriteReply);

async function drain(): Promise<void> {
  writing = true;
  while (queue.length > 0) {
    const batch = queue;
    queue = [];
    const close = batch.find((m) => m.kind === 'close');
    const predictions = batch.filter((m): m is LogRecordsMessage => m.kind === 'predictions');
    const requests = batch.filter((m): m is LogRecordsMessage => m.kind === 'requests');
    await write(predictions, (records) => store.appendPredictions(records as PredictionRecord[]));
    await write(requests, (records) => store.appendRequests(records as RequestRecord[]));
    for (const m of batch) if (isMetricsCall(m)) await callStore(m);
    if (close) {
      await store.close();
      port!.postMessage({ id: close.id, ok: true } satisfies LogWriteReply);
      port!.close();
      return;
    }
  }
  writing = false;
}

function isMetricsCall(message: LogWriteRequest): message is MetricsCallMessage {
  return (
    message.kind === 'putMetricWindows' || message.kind === 'putMetricTotals' || message.kind === 'compactMetricWindows'
  );
}

/** One of the metrics recorder's writes, answered with what the store returned. */
async function callStore(message: MetricsCallMessage): Promise<void> {
  try {
    const value =
      message.kind === 'putMetricWindows'
        ? await store.putMetricWindows(message.args)
        : message.kind === 'putMetricTotals'
          ? await store.putMetricTotals(message.args)
          : await store.compactMetricWindows(message.args);
    port!.postMessage({ id: message.id, ok: true, value } satisfies LogWriteReply);
  } catch (error) {
    port!.postMessage(failure(message.id, error));
  }
}

function failure(id: number, error: unknown): LogWriteReply {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return { id, ok: false, message, code: typeof code === 'string' ? code : null };
}

/** Appends the records of `messages` in one call and answers each message. */
async function write(
  messages: readonly LogRecordsMessage[],
  append: (records: readonly unknown[]) => Promise<void>,
): Promise<void> {
  if (messages.length === 0) return;
  let reply: (id: number) => LogWriteReply = (id) => ({ id, ok: true });
  try {
    await append(messages.flatMap((m) => decodeRecords(m.records)));
  } catch (error) {
    reply = (id) => failure(id, error);
  }
  for (const m of messages) port!.postMessage(reply(m.id));
}
