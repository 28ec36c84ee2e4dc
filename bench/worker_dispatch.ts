/**
 * Per-dispatch overhead of WorkerRunner: hand a 1920x1080 bgr24 frame (6 MB) to a worker
 * running a no-op plugin and get the result back. Prints p50 / p95 / mean in milliseconds for:
 *
 * - `copy (pooled)`: `run()`, the default: copy into a pooled buffer, transfer, get it back;
 * - `copy (no pool)`: `run()` with `poolSize: 0`: a new 6 MB buffer per dispatch;
 * - `transfer`: `runTransfer()` with the buffer recycled: no copy at all;
 *
 * then, with a bare echo worker (no runner), how 4 frames are best sent: copied into one
 * buffer or into one buffer each, and a structured clone without transfer as a baseline.
 *
 *   deno run -A --unstable-worker-options bench/worker_dispatch.ts [--n 300] [--warmup 30]
 *
 * @module
 */
import type { Frame } from "../src/frame.ts";
import { WorkerRunner } from "../src/worker/runner.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] ? Number(Deno.args[i + 1]) : fallback;
}

const N = arg("n", 300);
const WARMUP = arg("warmup", 30);
const WIDTH = 1920;
const HEIGHT = 1080;
const BYTES = WIDTH * HEIGHT * 3;

const NOOP = `data:text/javascript,${
  encodeURIComponent("export default class Noop { run(frames) { return frames.length; } }")
}`;

function makeFrame(index = 0, data = new Uint8Array(BYTES)): Frame {
  if (index === 0) data.fill(7);
  return {
    data,
    width: WIDTH,
    height: HEIGHT,
    format: "bgr24",
    index,
    source: "main",
    time: index / 30,
  };
}

interface Stats {
  p50: number;
  p95: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    p50: at(0.5),
    p95: at(0.95),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

async function measure(fn: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

const rows: [string, Stats][] = [];

// --- WorkerRunner ----------------------------------------------------------------------

{
  const runner = new WorkerRunner(NOOP, { name: "noop" });
  await runner.init({});
  const frames = [makeFrame()];
  rows.push(["runner copy (pooled), 1 frame", await measure(() => runner.run(frames))]);
  console.error(`sandboxed: ${runner.sandboxed}`);
  await runner.dispose();
}
{
  const runner = new WorkerRunner(NOOP, { name: "noop", poolSize: 0 });
  await runner.init({});
  const frames = [makeFrame()];
  rows.push(["runner copy (no pool), 1 frame", await measure(() => runner.run(frames))]);
  await runner.dispose();
}
{
  const runner = new WorkerRunner(NOOP, { name: "noop" });
  await runner.init({});
  let frame = makeFrame();
  const recycle = (buffer: ArrayBuffer) => (frame = { ...frame, data: new Uint8Array(buffer) });
  rows.push([
    "runner transfer (recycled), 1 frame",
    await measure(() => runner.runTransfer([frame], recycle)),
  ]);
  await runner.dispose();
}
{
  const runner = new WorkerRunner(NOOP, { name: "noop" });
  await runner.init({});
  const frames = [0, 1, 2, 3].map((i) => makeFrame(i));
  rows.push(["runner copy (pooled), 4 frames", await measure(() => runner.run(frames))]);
  await runner.dispose();
}

// --- bare worker: buffer layouts --------------------------------------------------------

const ECHO = `data:text/javascript,${
  encodeURIComponent(
    "self.onmessage = (e) => self.postMessage(e.data, e.data.buffers.filter((b) => b instanceof ArrayBuffer));",
  )
}`;
{
  const worker = new Worker(ECHO, { type: "module" });
  let resolve: (data: { buffers: ArrayBuffer[] }) => void = () => {};
  worker.onmessage = (e) => resolve(e.data);
  const roundTrip = (buffers: ArrayBuffer[], transfer: boolean) =>
    new Promise<{ buffers: ArrayBuffer[] }>((r) => {
      resolve = r;
      worker.postMessage({ buffers }, transfer ? buffers : []);
    });
  const sources = [0, 1, 2, 3].map(() => new Uint8Array(BYTES).fill(3));

  let single = [new ArrayBuffer(BYTES * 4)];
  rows.push([
    "bare: 4 frames copied into 1 buffer",
    await measure(async () => {
      const bytes = new Uint8Array(single[0]);
      sources.forEach((s, i) => bytes.set(s, i * BYTES));
      single = (await roundTrip(single, true)).buffers;
    }),
  ]);
  let perFrame = sources.map(() => new ArrayBuffer(BYTES));
  rows.push([
    "bare: 4 frames copied into 4 buffers",
    await measure(async () => {
      perFrame.forEach((b, i) => new Uint8Array(b).set(sources[i]));
      perFrame = (await roundTrip(perFrame, true)).buffers;
    }),
  ]);
  const one = [new Uint8Array(BYTES).fill(1).buffer];
  rows.push([
    "bare: 1 frame structured clone (no transfer)",
    await measure(() => roundTrip(one, false)),
  ]);
  worker.terminate();
}

console.log(
  `dispatch of ${WIDTH}x${HEIGHT} bgr24 (${(BYTES / 1e6).toFixed(1)} MB per frame), ` +
    `${N} dispatches after ${WARMUP} warm-up, ms`,
);
console.log("mode".padEnd(48) + "p50".padStart(8) + "p95".padStart(8) + "mean".padStart(8));
for (const [name, s] of rows) {
  console.log(
    name.padEnd(48) + s.p50.toFixed(2).padStart(8) + s.p95.toFixed(2).padStart(8) +
      s.mean.toFixed(2).padStart(8),
  );
}
