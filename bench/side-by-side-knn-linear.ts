/**
 * KNN predict (brute force, 100k training rows × 10k queries × 20 features, k = 5) and
 * LinearRegression / Ridge fit (1M × 20) in Keel and scikit-learn, side by side on the same
 * generated data, alternating runs, both on 2 threads; prints medians and Keel ÷ scikit-learn.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/side-by-side-knn-linear.js [rounds]
 *
 * A stand-alone script for the estimators it names; `npm run bench` is the full harness.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KNeighborsClassifier, LinearRegression, Ridge, Rng } from '../src/ml/index.js';

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));

function normalMatrix(rng: Rng, rows: number, cols: number): Float64Array {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextNormal();
  return data;
}

function save(name: string, values: Float64Array): void {
  writeFileSync(join(dir, name), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

const rng = new Rng(2024);
const p = 20;
const knn = { n: 100_000, m: 10_000 };
const knnX = normalMatrix(rng, knn.n, p);
const knnY = new Float64Array(knn.n);
for (let i = 0; i < knn.n; i++) knnY[i] = knnX[i * p] + knnX[i * p + 1] - 0.5 * knnX[i * p + 2] > 0 ? 1 : 0;
const knnQ = normalMatrix(rng, knn.m, p);
const linear = { n: 1_000_000 };
const linX = normalMatrix(rng, linear.n, p);
const weights = Float64Array.from({ length: p }, () => rng.nextNormal());
const linY = new Float64Array(linear.n);
for (let i = 0; i < linear.n; i++) {
  let s = 3;
  for (let j = 0; j < p; j++) s += linX[i * p + j] * weights[j];
  linY[i] = s + rng.nextNormal();
}
save('knn_X', knnX);
save('knn_y', knnY);
save('knn_Q', knnQ);
save('lin_X', linX);
save('lin_y', linY);

const PYTHON = String.raw`
import json, os, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.neighbors import KNeighborsClassifier
from sklearn.linear_model import LinearRegression, Ridge
d = sys.argv[1]
load = lambda name, cols: np.fromfile(os.path.join(d, name)).reshape(-1, cols) if cols else np.fromfile(os.path.join(d, name))
knn_X, knn_y, knn_Q = load("knn_X", 20), load("knn_y", 0), load("knn_Q", 20)
lin_X, lin_y = load("lin_X", 20), load("lin_y", 0)
knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(knn_X, knn_y)
print(json.dumps({"ready": True}), flush=True)
with threadpool_limits(2):
    for line in sys.stdin:
        task = line.strip()
        start = time.perf_counter()
        if task == "knn":
            out = knn.predict(knn_Q)
            seconds = time.perf_counter() - start
            out.astype(np.float64).tofile(os.path.join(d, "sk_knn_pred"))
        elif task in ("linear", "ridge"):
            model = (LinearRegression() if task == "linear" else Ridge(alpha=1.0)).fit(lin_X, lin_y)
            seconds = time.perf_counter() - start
            np.append(model.coef_, model.intercept_).tofile(os.path.join(d, "sk_" + task))
        print(json.dumps({"seconds": seconds}), flush=True)
`;

// Debian's scikit-learn (python3-sklearn) lives with the system Python, which a venv on PATH can hide.
const python = spawn(process.env.PYTHON ?? '/usr/bin/python3', ['-c', PYTHON, dir], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const replies = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
async function reply(): Promise<{ seconds?: number }> {
  const next = await replies.next();
  if (next.done === true) throw new Error('the scikit-learn process ended early');
  return JSON.parse(next.value as string) as { seconds?: number };
}
async function sklearn(task: string): Promise<number> {
  python.stdin.write(`${task}\n`);
  return (await reply()).seconds ?? NaN;
}

const time = async (run: () => unknown): Promise<number> => {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
};
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

await reply(); // scikit-learn has loaded the data and fitted its KNN (a copy of X)
const model = await new KNeighborsClassifier({ nNeighbors: 5 }).fit({ rows: knn.n, cols: p, data: knnX }, knnY);
const times: Record<string, { keel: number[]; sklearn: number[] }> = {
  knn: { keel: [], sklearn: [] },
  linear: { keel: [], sklearn: [] },
  ridge: { keel: [], sklearn: [] },
};
let knnPredictions: (string | number)[] = [];
const fitted: Record<string, LinearRegression | Ridge> = {};
for (let round = 0; round < rounds; round++) {
  times.knn.keel.push(await time(() => (knnPredictions = model.predict({ rows: knn.m, cols: p, data: knnQ }))));
  times.knn.sklearn.push(await sklearn('knn'));
  for (const task of ['linear', 'ridge'] as const) {
    const estimator = task === 'linear' ? new LinearRegression() : new Ridge({ alpha: 1 });
    times[task].keel.push(
      await time(async () => (fitted[task] = await estimator.fit({ rows: linear.n, cols: p, data: linX }, linY))),
    );
    times[task].sklearn.push(await sklearn(task));
  }
}
python.stdin.end();

// Copied out of the Buffer, whose memory may be a slice of a shared pool at any offset.
const read = (name: string): Float64Array => new Float64Array(new Uint8Array(readFileSync(join(dir, name))).buffer);
const skPredictions = read('sk_knn_pred');
const same = knnPredictions.filter((label, i) => label === skPredictions[i]).length / knn.m;
const coefficientError = (task: 'linear' | 'ridge'): number => {
  const theirs = read(`sk_${task}`);
  const ours = [...fitted[task].coef, fitted[task].intercept];
  return Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]) / Math.max(1, Math.abs(theirs[i]))));
};
const quality: Record<string, string> = {
  knn: `same predictions on ${(100 * same).toFixed(2)}% of queries`,
  linear: `max coefficient difference ${coefficientError('linear').toExponential(1)} (relative)`,
  ridge: `max coefficient difference ${coefficientError('ridge').toExponential(1)} (relative)`,
};
const labels: Record<string, string> = {
  knn: 'KNN predict, 100k train × 10k queries × 20, k=5',
  linear: 'LinearRegression fit, 1M × 20',
  ridge: 'Ridge fit, 1M × 20',
};
console.log(`${rounds} alternating rounds; medians in seconds`);
for (const [task, { keel, sklearn: theirs }] of Object.entries(times)) {
  const ratio = median(keel) / median(theirs);
  console.log(
    `${labels[task].padEnd(48)} keel ${median(keel).toFixed(3)}  scikit-learn ${median(theirs).toFixed(3)}  ratio ${ratio.toFixed(2)}  ${quality[task]}`,
  );
  console.log(
    `${''.padEnd(48)} keel runs ${keel.map((t) => t.toFixed(3)).join(' ')} | scikit-learn ${theirs.map((t) => t.toFixed(3)).join(' ')}`,
  );
}
rmSync(dir, { recursive: true, force: true });
