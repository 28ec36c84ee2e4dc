/**
 * Recording benchmark: a realtime run of a paced 1280x720 25 fps source with the motion plugin
 * (a 60 s testsrc2 clip; `plugins/motion.ts`, in its worker, `interval` 0.2 s), every frame annotated (the default
 * `Annotator`: boxes, labels, overlay) and recorded to mp4 by the `Recorder` (libx264, one row
 * per preset). Reports the frames the player dropped (target 0), the frames the recorder
 * dropped, the encoder's CPU share (its ffmpeg's utime + stime from /proc/<pid>/stat over the
 * measured wall time, in % of one core), the annotation time per frame (p50 / p95), and the
 * mp4's frames and duration against the wall time from the first frame. A first row runs the same
 * annotated realtime pipeline without a recorder: the player's baseline on the machine.
 *
 *   deno run -A --unstable-worker-options bench/recording.ts [--write] [--seconds N]
 *     [--presets none,veryfast,ultrafast]
 *
 * `--write` rewrites the "Recording" section of BENCHMARKS.md (only that section). The clip's
 * cache dir is `STREAM_INFER_BENCH_DIR` or `<tmp>/stream-infer-bench`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  Annotation,
  Annotator,
  FFmpegProducer,
  type Frame,
  type FrameDrawer,
  Inference,
  locateFfmpeg,
  Player,
  Recorder,
} from "../mod.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { ensureClip, stdoutOf } from "./tools.ts";

const SECTION = "## Recording";
const MOTION = new URL("../plugins/motion.ts", import.meta.url);
const CLIP = { width: 1280, height: 720, fps: 25, seconds: 60 };
/** Seconds played before the encoder's CPU time is first read. */
const WARMUP_S = 3;

interface Row {
  preset: string;
  wall: number;
  read: number;
  playerDropped: number;
  written: number;
  recorderDropped: number;
  cpu: number;
  drawP50: number;
  drawP95: number;
  frames: number;
  duration: number;
}

/** utime + stime of a process, seconds (via `cat`: Deno reads /proc only with -A). */
async function cpuSeconds(pid: number, tick: number): Promise<number> {
  const stat = await stdoutOf("cat", [`/proc/${pid}/stat`]);
  if (!stat) return NaN;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / tick; // utime, stime (fields 14, 15)
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function probe(path: string): Promise<{ frames: number; duration: number }> {
  const text = await stdoutOf("ffprobe", [
    "-v",
    "error",
    "-count_packets",
    "-show_entries",
    "stream=nb_read_packets:format=duration",
    "-of",
    "json",
    path,
  ]);
  const json = JSON.parse(text ?? "{}");
  return {
    frames: Number(json.streams?.[0]?.nb_read_packets ?? NaN),
    duration: Number(json.format?.duration ?? NaN),
  };
}

async function measure(clip: string, preset: string, seconds: number, tick: number): Promise<Row> {
  const dir = await Deno.makeTempDir({ prefix: "stream-infer-bench-rec-" });
  try {
    const inference = new Inference(undefined, { log: false });
    await inference.loadAlgo(MOTION.href, { frameCount: 1, frameStep: 0, interval: 0.2 });
    const annotator = new Annotator();
    const drawMs: number[] = [];
    const drawer: FrameDrawer = {
      draw(frame: Frame, records, info) {
        const t = performance.now();
        const out = annotator.draw(frame, records, info);
        drawMs.push(performance.now() - t);
        return out;
      },
      release: (frame: Frame) => annotator.release(frame),
    };
    const annotation = new Annotation({ drawer });
    // "none": the same run with the frames annotated but not recorded (the player's baseline)
    const recorder = preset === "none"
      ? undefined
      : new Recorder({ path: `${dir}/rec.mp4`, preset, annotation });
    if (recorder) inference.observe(recorder);
    else {
      inference.observe({ everyFrame: true, onFrame: (f, ran) => void annotation.shown(f, ran) });
    }
    let first = NaN;
    inference.observe({
      onFrame: () => void (first = Number.isNaN(first) ? performance.now() : first),
    });
    const producer = new FFmpegProducer();
    const done = inference.start(new Player(producer, clip), { mode: "realtime" });
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const pid = recorder?.pids().main;
    const cpu0 = pid ? await cpuSeconds(pid, tick) : NaN;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, (seconds - WARMUP_S) * 1000));
    const cpu1 = pid ? await cpuSeconds(pid, tick) : NaN;
    const t1 = performance.now();
    inference.stop();
    await done;
    const wall = (performance.now() - first) / 1000;
    const metrics = inference.metrics();
    await inference.dispose();
    const stats = recorder?.stats().main ?? { written: NaN, dropped: NaN };
    const out = recorder ? await probe(`${dir}/rec.mp4`) : { frames: NaN, duration: NaN };
    return {
      preset,
      wall,
      read: metrics.player.framesRead,
      playerDropped: metrics.player.framesDropped,
      written: stats.written,
      recorderDropped: stats.dropped,
      cpu: (cpu1 - cpu0) / ((t1 - t0) / 1000),
      drawP50: median(drawMs),
      drawP95: percentile(drawMs, 0.95),
      ...out,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    write: { type: "boolean", default: false },
    seconds: { type: "string", default: "30" },
    presets: { type: "string", default: "none,veryfast,ultrafast" },
  },
});
const seconds = Number(values.seconds);
const ffmpeg = locateFfmpeg();
if (!(seconds > WARMUP_S && seconds <= CLIP.seconds)) {
  throw new Error(`--seconds must be from ${WARMUP_S + 1} to ${CLIP.seconds}`);
}
const clip = await ensureClip(ffmpeg, CLIP);
const tick = Number((await stdoutOf("getconf", ["CLK_TCK"]))?.trim() ?? 100) || 100;
const loadBefore = loadAverage();
const rows: Row[] = [];
for (const preset of values.presets.split(",")) {
  console.error(`recording ${seconds} s with -preset ${preset} ...`);
  rows.push(await measure(clip, preset, seconds, tick));
}
const loadAfter = loadAverage();

const f1 = (v: number) => v.toFixed(1);
const f2 = (v: number) => v.toFixed(2);
/** One table row (dashes where the baseline run has no recorder). */
function line(r: Row): string {
  const recorded = r.preset !== "none";
  const cells = [
    recorded ? r.preset : "no recorder (baseline)",
    f1(r.wall),
    `${r.playerDropped} / ${r.read}`,
    recorded ? `${r.written} / ${r.recorderDropped}` : "-",
    recorded ? `${Math.round(r.cpu * 100)}%` : "-",
    `${f2(r.drawP50)} / ${f2(r.drawP95)}`,
    recorded ? String(r.frames) : "-",
    recorded ? f2(r.duration) : "-",
  ];
  return `| ${cells.join(" | ")} |`;
}
const table = [
  "| recorder preset | wall from the first frame (s) | player **dropped** / read | recorder written / **dropped** | encoder CPU (% of a core) | annotate p50 / p95 (ms) | mp4 frames | mp4 duration (s) |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map(line),
].join("\n");
console.log(table);

if (values.write) {
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    SECTION,
    "",
    "```sh",
    "deno task bench:recording --write",
    "```",
    "",
    `Measured ${date} on:`,
    "",
    ...(await machine(ffmpeg, [
      `- 1-minute load average before / after the runs: ${f2(loadBefore)} / ${f2(loadAfter)}`,
    ])),
    "",
    table,
  ].join("\n");
  await writeSection(SECTION, section);
}
