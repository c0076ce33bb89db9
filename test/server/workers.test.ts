import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject, rowAt, type Row } from '../../src/core/index.js';
import { readTable } from '../../src/data/index.js';
import { runProject } from '../../src/pipelines/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';
import { keel, keelBinary } from '../helpers/keel-cli.js';
import { tempWorkspace } from '../helpers/workspace.js';

interface Answer {
  readonly status: number;
  /** `<slot>/<pid>` of the worker that answered. */
  readonly worker: string;
  readonly version: number | null;
  readonly ids: string[];
}

/** One prediction on a fresh connection, so the primary hands it to the next worker. */
function predict(url: string, instance: Row): Promise<Answer> {
  const body = JSON.stringify({ instances: [instance] });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/endpoints/churn/predict`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const json = JSON.parse(text) as { model?: { version: number }; predictions?: { id: string }[] };
          resolve({
            status: res.statusCode ?? 0,
            worker: String(res.headers['x-keel-worker']),
            version: json.model?.version ?? null,
            ids: (json.predictions ?? []).map((p) => p.id),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `keel server --workers 2` on a churn workspace, as a user starts it. */
describe('keel server --workers 2', () => {
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let server: ChildProcess;
  let url: string;
  let stderr = '';
  let instances: Row[];
  /** Ids of answered predictions, by the worker that answered (`<slot>/<pid>`). */
  const answered = new Map<string, string[]>();
  /** A worker killed with SIGKILL loses the prediction log it had not written yet; a drained one loses nothing. */
  const killed = new Set<string>();
  const remember = (a: Answer): void => {
    if (a.status === 200) answered.set(a.worker, [...(answered.get(a.worker) ?? []), ...a.ids]);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const wait = (): void => {
      if (server) server.once('exit', (code, signal) => resolve({ code, signal }));
      else setTimeout(wait, 10);
    };
    wait();
  });

  beforeAll(async () => {
    ws = await tempWorkspace();
    const result = await runProject(loadProject(churnProjectDir), ws, { actor: 'test' });
    const dataset = await ws.metadata.getDatasetVersionById(result.outputs.import.datasetVersionId);
    const table = await readTable(await ws.artifacts.localPath(dataset!.artifact));
    instances = Array.from({ length: 200 }, (_, i) => rowAt(table, i, ['Churn']));
    // churn@2: the same package again, for a deployment to move to.
    const v1 = await ws.registry.resolve('churn@1');
    await ws.registry.register('churn', await ws.registry.readPackage(v1));

    server = spawn(process.execPath, [keelBinary, 'server', '--workers', '2', '--port', '0'], {
      env: { ...process.env, KEEL_HOME: ws.home, KEEL_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`no banner after 60 s; stderr: ${stderr}`)), 60_000);
      server.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /listening on (http:\/\/\S+) /.exec(stdout);
        if (found && /Workers: +2/.test(stdout)) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await exited;
    }
    await ws?.dispose();
  });

  const burst = async (count: number): Promise<Answer[]> => {
    const answers = await Promise.all(instances.slice(0, count).map((row) => predict(url, row)));
    answers.forEach(remember);
    return answers;
  };

  it('answers requests from both workers, each naming itself', async () => {
    const answers = await burst(40);
    expect(answers.every((a) => a.status === 200 && a.version === 1)).toBe(true);
    const workers = new Set(answers.map((a) => a.worker));
    expect([...workers].map((w) => w.split('/')[0]).sort()).toEqual(['1', '2']);
  }, 30_000);

  it('serves a deployment made with `keel deploy` on every worker within about a second', async () => {
    const deployed = await keel(ws.home, 'deploy', 'churn@2', '--endpoint', 'churn', '--reason', 'move to v2');
    expect(deployed.code, deployed.stderr).toBe(0);
    // The change is committed when the command exits.
    const deployedAt = performance.now();
    const seenBy = new Set<string>();
    let elapsed = Infinity;
    while (performance.now() - deployedAt < 5_000) {
      for (const a of await burst(8)) if (a.version === 2) seenBy.add(a.worker);
      if (seenBy.size === 2) {
        elapsed = performance.now() - deployedAt;
        break;
      }
    }
    expect(seenBy.size).toBe(2);
    // The runtime re-reads a policy at most every second; the rest is slack for a busy machine.
    expect(elapsed).toBeLessThan(1_600);
    // From then on no worker answers with the old version.
    const after = await burst(20);
    expect(after.every((a) => a.status === 200 && a.version === 2)).toBe(true);
  }, 30_000);

  it('starts a new worker in the place of one that dies', async () => {
    const before = await burst(10);
    const victim = before.find((a) => a.worker.startsWith('1/'))!.worker;
    killed.add(victim);
    process.kill(Number(victim.split('/')[1]), 'SIGKILL');
    const deadline = performance.now() + 20_000;
    let replacement: string | undefined;
    while (!replacement && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answers = await burst(6).catch(() => [] as Answer[]);
      replacement = answers.find((a) => a.worker.startsWith('1/') && a.worker !== victim)?.worker;
    }
    expect(replacement).toBeDefined();
    expect(stderr).toMatch(
      new RegExp(`worker 1 \\(pid ${victim.split('/')[1]}\\) was killed by SIGKILL; starting a new one`),
    );
  }, 30_000);

  it('drains every worker on SIGTERM and exits 0 with every answered prediction logged', async () => {
    // Requests in flight while the signal arrives: those that get an answer must be logged too.
    const inFlight = instances.slice(0, 60).map((row) => predict(url, row).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 5));
    server.kill('SIGTERM');
    for (const a of await Promise.all(inFlight)) if (a) remember(a);
    const { code, signal } = await exited;
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toMatch(/SIGTERM received: draining 2 worker\(s\)/);

    const logged = new Set((await ws.metadata.listPredictions({ endpoint: 'churn', limit: 100_000 })).map((p) => p.id));
    const drained = [...answered].filter(([worker]) => !killed.has(worker)).flatMap(([, ids]) => ids);
    const missing = drained.filter((id) => !logged.has(id));
    expect(drained.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  }, 60_000);
});
