import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/core/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { openMetadataStore } from '../../src/store/index.js';
import { churnRow, loyalChurnRow } from '../helpers/churn-row.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { keelBinary } from '../helpers/keel-cli.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** Starts `keel server --port 0` in `home` and resolves with its URL once it listens. */
function startKeelServer(home: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [keelBinary, 'server', '--port', '0'], {
    env: { ...process.env, KEEL_HOME: home, KEEL_DATABASE_URL: '' },
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve({ child, url, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`keel server exited with ${code} before listening: ${stderr}`)));
  });
}

/** A connection the server never took (refused, or closed before a response started): not an accepted request. */
function isConnectionError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(cause?.code ?? '');
}

describe('keel server on SIGTERM under load', () => {
  let home: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    if (!existsSync(keelBinary)) throw new Error(`build first: ${keelBinary} is missing (npm run build:lib)`);
    const ws = await tempWorkspace();
    await runProject(loadProject(churnProjectDir), ws, { actor: 'test' });
    home = ws.home;
    await ws.close();
    dispose = ws.dispose;
  });
  afterAll(async () => {
    await dispose?.().catch(() => undefined);
  });

  it('drains in-flight requests, flushes every answered prediction to the store and exits 0', async () => {
    const { child, url, stderr } = await startKeelServer(home);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stopped = false;
    void exited.then(() => (stopped = true));

    const answered: string[] = [];
    const statuses = new Map<number, number>();
    const unexpected: unknown[] = [];
    const refused = new Map<string, number>();
    let inFlight = 0;
    const worker = async (w: number) => {
      const instances = w % 3 === 0 ? [churnRow, loyalChurnRow] : [churnRow];
      while (!stopped) {
        inFlight++;
        try {
          const response = await fetch(`${url}/v1/endpoints/churn/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ instances }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const body = (await response.json()) as { predictions?: Array<{ id: string }> };
          if (response.status === 200) for (const p of body.predictions ?? []) answered.push(p.id);
          inFlight--;
        } catch (error) {
          inFlight--;
          if (!isConnectionError(error)) unexpected.push(error);
          const code = (error as { cause?: { code?: string } }).cause?.code ?? 'other';
          refused.set(code, (refused.get(code) ?? 0) + 1);
          // Once the listener is closed every new connection is refused: stop hammering it.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 300 }, (_, w) => worker(w));
    // Let the load build up, so hundreds of requests are in flight when the signal arrives.
    while (answered.length < 2_000) await new Promise((r) => setTimeout(r, 20));
    const inFlightAtSignal = inFlight;
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const stopMs = performance.now() - signalled;
    await Promise.all(workers);

    expect(code, stderr()).toBe(0);
    expect(inFlightAtSignal).toBeGreaterThan(100);
    expect(stopMs).toBeLessThan(10_000);
    expect(stderr()).toContain('SIGTERM received, draining requests and flushing the prediction log');
    expect(unexpected).toEqual([]);
    // Every request the server took was answered, and answered well: no 503 while closing, no 5xx.
    expect([...statuses.keys()]).toEqual([200]);

    const store = await openMetadataStore(`sqlite://${join(home, 'keel.db')}`);
    try {
      const logged = await store.listPredictions({ endpoint: 'churn' });
      const loggedIds = new Set(logged.map((p) => p.id));
      const missing = answered.filter((id) => !loggedIds.has(id));
      expect(missing, `${missing.length} of ${answered.length} answered predictions are not in the store`).toEqual([]);
      // …and nothing was predicted and logged whose answer did not reach its client.
      expect(logged.length).toBe(answered.length);
      const requests = await store.listRequests({ endpoint: 'churn' });
      expect(requests.length).toBe(statuses.get(200));
      // The metrics recorder's last windows, written through the log's writer thread, count them all too.
      const windows = await store.listMetricWindows({
        endpoint: 'churn',
        since: new Date(Date.now() - 3_600_000).toISOString(),
        until: new Date(Date.now() + 60_000).toISOString(),
      });
      const counted = windows.reduce((sum, w) => sum + (w.data.counters.requests ?? 0), 0);
      expect(counted).toBe(statuses.get(200));
    } finally {
      await store.close();
    }
    console.log(
      `sigterm: ${inFlightAtSignal} requests in flight at the signal, stopped in ${Math.round(stopMs)} ms; ${answered.length} predictions answered and logged, ${statuses.get(200)} requests, connections refused after the signal: ${JSON.stringify(Object.fromEntries(refused))}`,
    );
  }, 120_000);
});
