/**
 * Tracking and analytics benchmark, two measurements:
 *
 * - **stages**: the record stages alone (ByteTrack tracker, 3 lines, 2 zones) through the run's
 *   `RecordFlow` on synthetic detections: 100 boxes per frame moving on straight paths with a
 *   little noise, a few missed now and then; per-frame time p50 / p95 (target: p50 <= 1 ms).
 * - **pipeline**: YOLO on every frame of the first `--seconds` of car-detection.mp4, offline,
 *   with and without tracker + line, in interleaved rounds (ABBA); throughput ratio (target
 *   >= 0.95x) as the median of the per-round ratios.
 *
 * Run:
 *
 *   deno task bench:analytics [--frames=N] [--seconds=S] [--rounds=N] [--only=stages|pipeline]
 *     [--write]
 *
 * The model is `STREAM_INFER_TEST_MODEL` (default ../shared/models/yolov8n_int8.onnx), the
 * clip `STREAM_INFER_BENCH_CLIP` (default ../shared/media/car-detection.mp4). `--write`
 * rewrites the "## Tracking and analytics" section of BENCHMARKS.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type AlgoRecord,
  type AnalyticsOptions,
  FFmpegProducer,
  Inference,
  locateFfmpeg,
  Player,
} from "../mod.ts";
import { Observers } from "../src/observe/fanout.ts";
import { RecordFlow } from "../src/run/flow.ts";
import { RunStages } from "../src/run/stages.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { CAR_CLIP, run as runBinary, TEST_MODEL } from "./tools.ts";

const SECTION = "## Tracking and analytics";
const MODEL = TEST_MODEL;
const CLIP = CAR_CLIP;
const YOLO = new URL("../plugins/yolo/mod.ts", import.meta.url);

const LINES: AnalyticsOptions[] = [
  { type: "line", name: "l1", on: "det", points: [[0, 300], [1280, 300]] },
  { type: "line", name: "l2", on: "det", points: [[640, 0], [640, 720]] },
  { type: "line", name: "l3", on: "det", points: [[0, 0], [600, 300], [1280, 200]] },
  { type: "zone", name: "z1", on: "det", points: [[100, 100], [500, 100], [500, 500], [100, 500]] },
  {
    type: "zone",
    name: "z2",
    on: "det",
    points: [[700, 50], [1200, 80], [1100, 600], [650, 500]],
    loiterSeconds: 5,
  },
];

/** The stages on synthetic detections; per-frame times in ms. */
async function benchStages(frames: number): Promise<number[]> {
  const stages = new RunStages();
  stages.addTrack("det", { type: "bytetrack" });
  for (const entry of LINES) stages.addAnalytics(entry, (name) => name === "det");
  const flow = new RecordFlow(new Observers(), stages.list());
  let seed = 11;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const objects = Array.from({ length: 100 }, (_, k) => ({
    x: (k % 10) * 120 + 20,
    y: Math.floor(k / 10) * 68 + 10,
    vx: (rand() - 0.5) * 6,
    vy: (rand() - 0.5) * 6,
    cls: k % 3 === 0 ? "truck" : "car",
  }));
  const key = { id: "main" };
  const timing = { runMs: 0, lagMs: 0, instance: 0 };
  const times: number[] = [];
  for (let i = 0; i < frames; i++) {
    const detections = [];
    for (const o of objects) {
      o.x = (o.x + o.vx + 1280) % 1280;
      o.y = (o.y + o.vy + 720) % 720;
      if (rand() < 0.05) continue; // missed
      const jitter = () => (rand() - 0.5) * 2;
      detections.push({
        name: o.cls,
        score: 0.3 + 0.7 * rand(),
        box: [o.x + jitter(), o.y + jitter(), o.x + 40 + jitter(), o.y + 40 + jitter()],
      });
    }
    const time = i / 25;
    const record: AlgoRecord = {
      source: "main",
      algo: "det",
      frame: i,
      time,
      position: Math.floor(time),
      result: detections,
    };
    const started = performance.now();
    await flow.push(key, record, timing);
    times.push(performance.now() - started);
  }
  await flow.end(key);
  return times.slice(Math.min(100, Math.floor(frames / 10))); // after warm-up
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** YOLO on every frame of `clip`, with or without tracking + a line: frames per second. */
async function benchPipeline(clip: string, tracked: boolean): Promise<number> {
  const inference = new Inference(undefined, { log: false });
  try {
    await inference.loadAlgo(YOLO.href, {
      name: "det",
      frameCount: 1,
      frameStep: 0,
      interval: 0.08,
      options: { model: MODEL, confidence: 0.1, classes: ["car", "truck", "bus", "motorcycle"] },
      permissions: { ffi: true, read: [MODEL] },
      instances: 2,
      ...(tracked ? { track: { type: "bytetrack" as const } } : {}),
    });
    if (tracked) {
      inference.addAnalytics({
        type: "line",
        name: "gate",
        on: "det",
        points: [[0, 216], [768, 216]],
      });
    }
    const player = new Player(new FFmpegProducer({ format: "bgr24" }), clip, { id: "main" });
    const started = performance.now();
    const summary = await inference.start(player, { mode: "offline" });
    return summary.sources.main.frames / ((performance.now() - started) / 1000);
  } finally {
    await inference.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      frames: { type: "string", default: "3000" },
      seconds: { type: "string", default: "10" },
      rounds: { type: "string", default: "2" },
      only: { type: "string" },
      write: { type: "boolean", default: false },
    },
  });
  const rows: string[] = [];
  const only = values.only;
  let stageP50 = NaN;
  const ffmpeg = await locateFfmpeg();
  if (!only || only === "stages") {
    const times = await benchStages(Number(values.frames));
    const p50 = stageP50 = percentile(times, 0.5), p95 = percentile(times, 0.95);
    console.error(`stages: p50 ${p50.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms per frame`);
    rows.push(
      `| tracker + 3 lines + 2 zones, 100 detections/frame (${times.length} frames) | ` +
        `p50 ${p50.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms per frame | p50 <= 1 ms |`,
    );
  }
  if (!only || only === "pipeline") {
    const dir = await Deno.makeTempDir({ prefix: "stream-infer-bench-" });
    try {
      const clip = `${dir}/clip.mp4`;
      const args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", CLIP];
      await runBinary(ffmpeg, [...args, "-t", values.seconds, "-c", "copy", clip]);
      const ratios: number[] = [];
      const alone: number[] = [], tracked: number[] = [];
      for (let round = 0; round < Number(values.rounds); round++) {
        const order = round % 2 ? [true, false] : [false, true]; // ABBA
        const got: Record<string, number> = {};
        for (const t of order) got[String(t)] = await benchPipeline(clip, t);
        alone.push(got.false);
        tracked.push(got.true);
        ratios.push(got.true / got.false);
        console.error(
          `round ${round + 1}: YOLO ${got.false.toFixed(2)} fps, + tracker + line ` +
            `${got.true.toFixed(2)} fps (${(got.true / got.false).toFixed(3)}x)`,
        );
      }
      const list = (v: number[]) => v.map((x) => x.toFixed(2)).join(", ");
      rows.push(
        `| YOLO alone, car-detection.mp4 first ${values.seconds} s, offline (frames/s per round) | ` +
          `${list(alone)} | |`,
        `| YOLO + tracker + line (frames/s per round) | ${list(tracked)} | |`,
        `| ratio, median of rounds | ${median(ratios).toFixed(3)}x | >= 0.95x |`,
      );
      if (Number.isFinite(stageP50)) {
        // the stages run on the main thread between YOLO runs: their share of a frame's time
        const frameMs = 1000 / median(alone);
        rows.push(
          `| ratio bound from the stage cost: 1 / (1 + stages p50 / YOLO ms per frame) | ` +
            `${(1 / (1 + stageP50 / frameMs)).toFixed(4)}x (${stageP50.toFixed(3)} ms of ` +
            `${frameMs.toFixed(0)} ms) | >= 0.95x |`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const command = `deno task bench:analytics${Deno.args.length ? " " + Deno.args.join(" ") : ""}`;
  const section = [
    SECTION,
    "",
    `Command: \`${command.replace(/ --write/, "")}\`; ${new Date().toISOString().slice(0, 10)}; ` +
    `load average ${loadAverage().toFixed(2)} at the end.`,
    "",
    ...(await machine(ffmpeg, [`- model: ${MODEL.split("/").pop()}`])),
    "",
    "| measurement | result | target |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
  console.log(section);
  if (values.write) await writeSection(SECTION, section);
}

if (import.meta.main) await main();
