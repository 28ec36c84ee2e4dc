/**
 * Annotation cost per frame: `Annotator.draw` on a 1920x1080 bgr24 frame with 20 labelled
 * boxes and the overlay (copy into a pooled buffer included), p50 and p95 over many frames.
 * Also the copy alone, for scale.
 *
 *     deno task bench:annotate [--frames 300] [--write]
 *
 * `--write` rewrites the "## Annotation" section of BENCHMARKS.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type AlgoRecord, Annotator, type Frame, FramePool } from "../mod.ts";
import { loadAverage, machine, writeSection } from "./report.ts";

const SECTION = "## Annotation";
const NAMES = ["person", "car", "truck", "bicycle", "dog", "bus", "traffic light", "backpack"];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    frames: { type: "string", default: "300" },
    write: { type: "boolean", default: false },
  },
});
const frames = Number(values.frames);
if (!Number.isInteger(frames) || frames < 200) {
  console.error("--frames must be an integer >= 200");
  Deno.exit(2);
}

const [width, height] = [1920, 1080];
const base = new Uint8Array(width * height * 3);
for (let i = 0; i < base.length; i++) base[i] = (i * 2654435761) >>> 24; // busy, fixed pixels

/** 20 detections spread over the frame, with names, scores and track ids; they move a little. */
function detections(k: number) {
  return Array.from({ length: 20 }, (_, i) => {
    const x = 40 + (i % 5) * 370 + ((k * 3 + i) % 30);
    const y = 60 + Math.floor(i / 5) * 250 + ((k + i) % 20);
    return {
      name: NAMES[i % NAMES.length],
      score: 0.5 + (i % 50) / 100,
      track: i + 1,
      box: [x, y, x + 120 + (i % 4) * 60, y + 100 + (i % 3) * 50],
    };
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function measure(run: (k: number) => void): { p50: number; p95: number } {
  for (let k = 0; k < 30; k++) run(k); // warm-up
  const ms: number[] = [];
  for (let k = 0; k < frames; k++) {
    const t0 = performance.now();
    run(k);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) };
}

const loadBefore = loadAverage();
const pool = new FramePool();
const annotator = new Annotator({ pool });
const frameAt = (k: number): Frame => ({
  data: base,
  width,
  height,
  format: "bgr24",
  index: k,
  source: "cam1",
  time: k / 25,
});
const recordAt = (k: number): AlgoRecord => ({
  source: "cam1",
  algo: "det",
  frame: k,
  time: k / 25,
  position: Math.floor(k / 25),
  result: detections(k),
});
const records = Array.from({ length: frames + 30 }, (_, k) => recordAt(k));

const draw = measure((k) => annotator.release(annotator.draw(frameAt(k), [records[k]])));
const copy = measure(() => {
  const buffer = pool.acquire(base.byteLength);
  new Uint8Array(buffer).set(base);
  pool.release(buffer);
});
const loadAfter = loadAverage();

const fmt = (x: number) => x.toFixed(2);
const table = [
  "| measurement (1920x1080 bgr24) | p50 ms | p95 ms |",
  "| --- | ---: | ---: |",
  `| \`Annotator.draw\`: copy, 20 boxes with labels, overlay | ${fmt(draw.p50)} | ${
    fmt(draw.p95)
  } |`,
  `| the copy alone (6.2 MB, pooled buffer) | ${fmt(copy.p50)} | ${fmt(copy.p95)} |`,
];
const verdict = `Target ≤ 2 ms p50: ${draw.p50 <= 2 ? "met" : "not met"} (${fmt(draw.p50)} ms).`;
const section = [
  SECTION,
  "",
  "```sh",
  "deno task bench:annotate            # prints this section",
  "deno task bench:annotate --write    # also rewrites it",
  "```",
  "",
  `Measured ${new Date().toISOString().slice(0, 10)} on:`,
  "",
  ...(await machine("ffmpeg", [
    `- 1-minute load average before / after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`,
  ])),
  "",
  `${frames} frames after 30 warm-up frames; each frame has 20 boxes (thickness 3), labels` +
  " `name #track 0.87` at text scale 2, and the overlay.",
  "",
  ...table,
  "",
  verdict,
].join("\n");
console.log(section);
if (values.write) await writeSection(SECTION, section);
