/**
 * YOLO offline benchmark: YOLOv8n on every frame of a clip, three ways, with the same
 * onnxruntime session options for all three:
 *
 * - **bare**: `session.run` in a loop over ready input tensors (frames spread over the clip,
 *   letterboxed once up front and used in turn): the model alone, the ceiling;
 * - **serial**: one loop on one thread: read a frame from a spawned ffmpeg
 *   (`FFmpegProducer.read`), then `YoloDetector.run` on it (letterbox, `session.run`, decode),
 *   one after the other;
 * - **pipeline**: `Inference` + `Player` + `FFmpegProducer` in offline mode with the plugin
 *   `plugins/yolo.ts` loaded by path into its sandboxed worker (`frameCount` 1, `interval`
 *   1/fps: every frame); decoding overlaps inference.
 *
 * Each configuration of session options (the plugin's `threads` / `spinning` options, turned
 * into session options by `yoloSessionOptions`, which bare uses too) is measured `--repeats`
 * times, the three measurements back to back in each round, in alternating order; ratios are
 * the median of the per-round ratios. Frames/s are frames per wall second. The clock starts
 * once the session exists (for the pipeline: once the worker is up and the model loaded) and
 * includes ffmpeg's start for serial and pipeline. The pipeline's detections are compared with
 * the serial loop's on every frame. Before the rounds, a quick bare-only sweep of other session
 * options (graph optimisation level, execution mode, spinning) and the cost of `letterbox` are
 * measured.
 *
 * Run (from anywhere; the pipeline's worker is sandboxed, hence the flag):
 *
 *   deno run -A --unstable-worker-options bench/yolo_offline.ts [--write] [--repeats=N]
 *     [--configs=default,spin-run,t1] [--frames=N] [--only=bare,serial,pipeline]
 *
 * The model is `STREAM_INFER_TEST_MODEL` (default /work/shared/models/yolov8n_int8.onnx if it
 * exists), the clip `STREAM_INFER_BENCH_CLIP` (default /work/shared/media/car-detection.mp4).
 * `--frames=N` uses the clip's first N frames (a stream copy in the temp dir) for quick runs.
 * `--write` rewrites the "## YOLO offline" section of BENCHMARKS.md (whole clip only).
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { FFmpegProducer, Inference, locateFfmpeg, Player, probe } from "../mod.ts";
import YoloDetector, {
  type Detection,
  letterbox,
  type YoloOptions,
  yoloSessionOptions,
} from "../plugins/yolo.ts";
import { writeSection } from "./report.ts";

const DEFAULT_MODEL = "/work/shared/models/yolov8n_int8.onnx";
const DEFAULT_CLIP = "/work/shared/media/car-detection.mp4";
const PLUGIN = new URL("../plugins/yolo.ts", import.meta.url);
const SECTION = "## YOLO offline";
const BENCHMARKS_MD = new URL("../BENCHMARKS.md", import.meta.url);
/** The pipeline must reach this fraction of bare `session.run` throughput. */
const TARGET = 0.95;
/** Distinct ready tensors the bare loop uses in turn (4.9 MB each: more than the L2 cache). */
const BARE_TENSORS = 8;
/** Runs per variant of the bare-only session options sweep. */
const SWEEP_RUNS = 60;

/** A set of session options, as the plugin options that produce it. */
interface Config {
  key: string;
  label: string;
  options: Pick<YoloOptions, "threads" | "spinning">;
}

const CONFIGS: Record<string, Config> = {
  default: {
    key: "default",
    label: "plugin defaults (onnxruntime's thread count, spinning)",
    options: {},
  },
  "spin-run": { key: "spin-run", label: '`spinning: "run"`', options: { spinning: "run" } },
  nospin: { key: "nospin", label: "`spinning: false`", options: { spinning: false } },
  t1: { key: "t1", label: "`threads: 1`", options: { threads: 1 } },
  t2: { key: "t2", label: "`threads: 2`", options: { threads: 2 } },
};
const DEFAULT_CONFIGS = ["default", "spin-run", "t1"];

type Kind = "bare" | "serial" | "pipeline";
const KINDS: readonly Kind[] = ["bare", "serial", "pipeline"];

/** Where a measurement's CPU time went, in ms per frame (from /proc/self/task). */
interface CpuSplit {
  /** The main thread: the serial loop, or the pipeline's reading and dispatching. */
  main: number;
  /** Every other thread of ours but V8's helpers: the plugin's worker, onnxruntime's pool. */
  inference: number;
  /** V8's platform threads (concurrent GC, compilation). */
  v8: number;
  /** ffmpeg (reaped children). */
  ffmpeg: number;
}

/** One measurement. */
interface Sample {
  frames: number;
  seconds: number;
  /** Median time per frame of: `session.run` (bare), one iteration (serial), one run of the
   * worker as the host sees it, messages included (pipeline). */
  stepMs: number;
  /** CPU cores this process and its reaped ffmpeg kept busy, on average. */
  ownCores?: number;
  /** CPU cores everything else on the machine kept busy, on average. */
  otherCores?: number;
  cpu?: CpuSplit;
  detections?: Detection[][];
}

interface Args {
  write: boolean;
  sweep: boolean;
  repeats: number;
  frames?: number;
  configs: Config[];
  only: Kind[];
}

function parseArgs(args: string[]): Args {
  let write = false;
  let sweep = true;
  let repeats = 3;
  let frames: number | undefined;
  let configs = DEFAULT_CONFIGS.map((k) => CONFIGS[k]);
  let only = [...KINDS];
  for (const arg of args) {
    const [key, value = ""] = arg.split("=", 2);
    if (arg === "--write") write = true;
    else if (arg === "--no-sweep") sweep = false;
    else if (key === "--repeats") repeats = Number(value);
    else if (key === "--frames") frames = Number(value);
    else if (key === "--configs") {
      configs = value.split(",").map((k) => {
        const c = CONFIGS[k];
        if (!c) throw new Error(`unknown config ${k} (use ${Object.keys(CONFIGS).join(", ")})`);
        return c;
      });
    } else if (key === "--only") {
      only = value.split(",").map((k) => {
        if (!KINDS.includes(k as Kind)) throw new Error(`unknown measurement ${k}`);
        return k as Kind;
      });
    } else {
      throw new Error(
        `unknown argument ${arg} (use --write, --repeats=N, --configs=a,b, --frames=N, ` +
          "--only=bare,serial,pipeline, --no-sweep)",
      );
    }
  }
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error("--repeats must be >= 1");
  if (frames !== undefined && !(Number.isInteger(frames) && frames >= 1)) {
    throw new Error("--frames must be an integer >= 1");
  }
  if (write && (frames !== undefined || only.length !== KINDS.length)) {
    throw new Error("--write records the whole clip and all three measurements");
  }
  if (write && !sweep) throw new Error("--write records the sweep too");
  return { write, sweep, repeats, frames, configs, only };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

// ---- CPU accounting (Linux /proc, readable with -A; skipped where unreadable) ----------------

const TICK_MS = 10; // USER_HZ = 100 on Linux

interface CpuMark {
  /** All CPUs' busy and total ticks (/proc/stat). */
  busy: number;
  total: number;
  /** This process's ticks: its threads plus reaped children (/proc/self/stat). */
  own: number;
  /** Ticks per thread of this process, by "tid:name", and of reaped children. */
  threads: Map<string, number>;
  children: number;
}

/** utime + stime (fields 14, 15) and cutime + cstime (16, 17) of a /proc stat line. */
function statTicks(stat: string): { self: number; children: number } {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { self: f[11] + f[12], children: f[13] + f[14] };
}

function cpuMark(): CpuMark | undefined {
  try {
    const ticks = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/)
      .slice(1).map(Number);
    const total = ticks.reduce((x, y) => x + y, 0);
    const idle = ticks[3] + ticks[4];
    const self = statTicks(Deno.readTextFileSync("/proc/self/stat"));
    const threads = new Map<string, number>();
    for (const entry of Deno.readDirSync("/proc/self/task")) {
      try {
        const stat = Deno.readTextFileSync(`/proc/self/task/${entry.name}/stat`);
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        threads.set(`${entry.name}:${name}`, statTicks(stat).self);
      } catch { /* the thread ended */ }
    }
    return {
      busy: total - idle,
      total,
      own: self.self + self.children,
      threads,
      children: self.children,
    };
  } catch {
    return undefined;
  }
}

function cpuUse(
  before: CpuMark | undefined,
  after: CpuMark | undefined,
  frames: number,
): Pick<Sample, "ownCores" | "otherCores" | "cpu"> {
  if (!before || !after || after.total <= before.total) return {};
  const cpus = navigator.hardwareConcurrency || 1;
  const wallTicks = (after.total - before.total) / cpus; // total advances by cpus per tick
  const own = (after.own - before.own) / wallTicks;
  const all = (after.busy - before.busy) / wallTicks;
  const cpu: CpuSplit = { main: 0, inference: 0, v8: 0, ffmpeg: 0 };
  for (const [key, ticks] of after.threads) {
    const ms = ((ticks - (before.threads.get(key) ?? 0)) * TICK_MS) / frames;
    const [tid, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    if (tid === String(Deno.pid)) cpu.main += ms;
    else if (name.startsWith("V8 ")) cpu.v8 += ms;
    else if (!name.startsWith("tokio")) cpu.inference += ms;
  }
  cpu.ffmpeg = ((after.children - before.children) * TICK_MS) / frames;
  return { ownCores: own, otherCores: Math.max(0, all - own), cpu };
}

// ---- the three measurements -------------------------------------------------------------------

/** Frames spread over the clip, decoded once: the bare loop's inputs and letterbox's. */
async function sampleFrames(clip: string, frames: number): Promise<Uint8Array[]> {
  const every = Math.max(1, Math.floor(frames / BARE_TENSORS));
  const out = await new Deno.Command(locateFfmpeg(), {
    args: [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-i",
      clip,
      "-vf",
      `select='not(mod(n\\,${every}))'`,
      "-fps_mode",
      "passthrough",
      "-frames:v",
      String(BARE_TENSORS),
      "-f",
      "rawvideo",
      "-pix_fmt",
      "bgr24",
      "pipe:1",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr)}`);
  return [out.stdout];
}

interface Inputs {
  tensors: ort.Tensor[];
  /** Median ms of one `letterbox` of a frame of the clip into a reused buffer. */
  letterboxMs: number;
}

async function readyInputs(
  clip: string,
  width: number,
  height: number,
  frames: number,
  size: [number, number],
): Promise<Inputs> {
  const [all] = await sampleFrames(clip, frames);
  const bytes = width * height * 3;
  const images = [];
  for (let at = 0; at + bytes <= all.length; at += bytes) {
    images.push({ data: all.subarray(at, at + bytes), width, height, format: "bgr24" as const });
  }
  if (!images.length) throw new Error(`no frames decoded from ${clip}`);
  const tensors = images.map((image) =>
    new ort.Tensor("float32", letterbox(image, size).tensor, [1, 3, size[0], size[1]])
  );
  const buffer = new Float32Array(3 * size[0] * size[1]);
  const times: number[] = [];
  for (let i = 0; i < 20 * images.length; i++) {
    const t = performance.now();
    letterbox(images[i % images.length], size, buffer);
    times.push(performance.now() - t);
  }
  return { tensors, letterboxMs: median(times.slice(images.length)) };
}

/** (1) `session.run` over ready tensors, `frames` times. */
async function bare(
  model: string,
  options: ort.InferenceSession.SessionOptions,
  tensors: ort.Tensor[],
  frames: number,
): Promise<Sample> {
  const session = await ort.InferenceSession.create(model, options);
  const input = session.inputNames[0];
  const steps: number[] = [];
  try {
    const mark = cpuMark();
    const began = performance.now();
    for (let i = 0; i < frames; i++) {
      const t = performance.now();
      await session.run({ [input]: tensors[i % tensors.length] });
      steps.push(performance.now() - t);
    }
    const seconds = (performance.now() - began) / 1000;
    return { frames, seconds, stepMs: median(steps), ...cpuUse(mark, cpuMark(), frames) };
  } finally {
    await session.release();
  }
}

/** (2) One loop on this thread: read a frame from ffmpeg, then `YoloDetector.run` on it. */
async function serial(model: string, config: Config, clip: string): Promise<Sample> {
  const info = await probe(clip);
  const producer = new FFmpegProducer();
  const yolo = new YoloDetector();
  await yolo.init({ model, ...config.options });
  const detections: Detection[][] = [];
  const steps: number[] = [];
  try {
    const mark = cpuMark();
    const began = performance.now();
    let last = began;
    for await (const frame of producer.read(clip, { info, buffers: 2 })) {
      detections.push(await yolo.run([frame]));
      const now = performance.now();
      steps.push(now - last);
      last = now;
    }
    const seconds = (performance.now() - began) / 1000;
    const frames = detections.length;
    return {
      frames,
      seconds,
      stepMs: median(steps),
      detections,
      ...cpuUse(mark, cpuMark(), frames),
    };
  } finally {
    await yolo.dispose();
  }
}

/** (3) The offline pipeline with the plugin in its sandboxed worker. */
async function pipeline(model: string, config: Config, clip: string): Promise<Sample> {
  const inference = new Inference();
  const player = new Player(new FFmpegProducer(), clip, { progress: false });
  const info = (await player.open())!;
  await inference.loadAlgo(PLUGIN.href, {
    frameCount: 1,
    frameStep: 0,
    interval: 1 / info.fps,
    options: { model, ...config.options },
    permissions: { ffi: true },
  });
  try {
    const mark = cpuMark();
    const began = performance.now();
    const summary = await inference.start(player, { mode: "offline" });
    const seconds = (performance.now() - began) / 1000;
    const use = cpuUse(mark, cpuMark(), summary.frames);
    const stats = summary.algos["YoloDetector"];
    if (!stats || stats.errors || stats.runs !== summary.frames) {
      throw new Error(`pipeline: ${JSON.stringify(summary.algos)} for ${summary.frames} frames`);
    }
    const detections: Detection[][] = [];
    for (const r of inference.dispatcher.getResults("YoloDetector")) {
      detections[r.frame] = r.result as Detection[];
    }
    return {
      frames: summary.frames,
      seconds,
      stepMs: inference.metrics().algos["YoloDetector"].runMs.p50 ?? NaN,
      detections,
      ...use,
    };
  } finally {
    await inference.dispose();
  }
}

/** For quick runs: the clip's first `frames` frames, stream-copied into the temp dir. */
async function trimmed(clip: string, frames: number): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "yolo_offline_" })}/first-${frames}.mp4`;
  const out = await new Deno.Command(locateFfmpeg(), {
    args: [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-i",
      clip,
      "-map",
      "0:v:0",
      "-c",
      "copy",
      "-frames:v",
      String(frames),
      path,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

// ---- the bare-only sweep of other session options ---------------------------------------------

interface SweepVariant {
  label: string;
  options: ort.InferenceSession.SessionOptions;
  /** Run on one tensor over and over (its data stays in the cache) instead of `tensors`. */
  oneTensor?: boolean;
}

function sweepVariants(): SweepVariant[] {
  const plugin = yoloSessionOptions({});
  return [
    { label: "plugin defaults: `graphOptimizationLevel: all`, sequential", options: plugin },
    {
      label: "the same, one input tensor over and over (stays in the cache)",
      options: plugin,
      oneTensor: true,
    },
    {
      label: "`graphOptimizationLevel: extended`",
      options: { ...plugin, graphOptimizationLevel: "extended" },
    },
    {
      label: "`graphOptimizationLevel: basic`",
      options: { ...plugin, graphOptimizationLevel: "basic" },
    },
    {
      label: "`graphOptimizationLevel: disabled`",
      options: { ...plugin, graphOptimizationLevel: "disabled" },
    },
    { label: "`executionMode: parallel`", options: { ...plugin, executionMode: "parallel" } },
    {
      label: '`spinning: "run"` (force_spinning_stop)',
      options: yoloSessionOptions({ spinning: "run" }),
    },
    {
      label: "`spinning: false` (allow_spinning 0)",
      options: yoloSessionOptions({ spinning: false }),
    },
    { label: "`threads: 1`", options: yoloSessionOptions({ threads: 1 }) },
  ];
}

async function sweep(model: string, tensors: ort.Tensor[]): Promise<Map<string, number[]>> {
  const variants = sweepVariants();
  const results = new Map<string, number[]>();
  for (let round = 0; round < 2; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const s = await bare(
        model,
        v.options,
        v.oneTensor ? tensors.slice(0, 1) : tensors,
        SWEEP_RUNS,
      );
      const fps = s.frames / s.seconds;
      results.set(v.label, [...(results.get(v.label) ?? []), fps]);
      console.error(`sweep ${round + 1}/2 ${v.label}: ${fps.toFixed(2)} fps`);
    }
  }
  return results;
}

// ---- comparison of detections -----------------------------------------------------------------

interface Agreement {
  frames: number;
  identical: number;
  detections: number;
  /** Frames whose detections differ. */
  differing: number[];
}

function compare(serialDets: Detection[][], pipelineDets: Detection[][]): Agreement {
  const frames = Math.max(serialDets.length, pipelineDets.length);
  const agreement: Agreement = { frames, identical: 0, detections: 0, differing: [] };
  for (let i = 0; i < frames; i++) {
    const a = serialDets[i] ?? [];
    agreement.detections += a.length;
    if (JSON.stringify(a) === JSON.stringify(pipelineDets[i] ?? [])) agreement.identical++;
    else agreement.differing.push(i);
  }
  return agreement;
}

function showDetections(dets: Detection[]): string {
  return dets.map((d) => `${d.name} ${d.score.toFixed(2)} [${d.box.join(", ")}]`).join("; ") ||
    "none";
}

// ---- the machine ------------------------------------------------------------------------------

async function stdoutOf(binary: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(binary, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

function loadAverage(): string {
  try {
    return Deno.loadavg()[0].toFixed(2);
  } catch {
    return "?";
  }
}

async function machine(loads: string): Promise<string[]> {
  const nproc = (await stdoutOf("nproc", []))?.trim() ?? String(navigator.hardwareConcurrency);
  const cpuinfo = (await stdoutOf("cat", ["/proc/cpuinfo"])) ?? "";
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  const ram = `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`;
  const ffmpeg = (await stdoutOf(locateFfmpeg(), ["-hide_banner", "-version"]))?.split("\n")[0]
    .replace(/ Copyright.*$/, "") ?? "ffmpeg ?";
  const ortVersion = await Deno.readTextFile(
    new URL("../node_modules/onnxruntime-node/package.json", import.meta.url),
  ).then((t) => JSON.parse(t).version as string).catch(() => "?");
  return [
    `- CPU: ${cpu}, nproc ${nproc}`,
    `- RAM: ${ram}`,
    `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${Deno.build.target}`,
    `- onnxruntime-node ${ortVersion} (CPU execution provider)`,
    `- ${ffmpeg}`,
    `- 1-minute load average before / after: ${loads}`,
  ];
}

// ---- main -------------------------------------------------------------------------------------

const fmtFps = (x: number) => x.toFixed(2);
const fmtRatio = (x: number) => `${x.toFixed(3)}×`;
const fmtMs = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  const envModel = Deno.env.get("STREAM_INFER_TEST_MODEL");
  const model = envModel || (await isFile(DEFAULT_MODEL) ? DEFAULT_MODEL : "");
  if (!model || !(await isFile(model))) {
    console.error(
      model
        ? `yolo_offline: the model ${model} (STREAM_INFER_TEST_MODEL) is not a file`
        : "yolo_offline: no model: set STREAM_INFER_TEST_MODEL=/path/to/yolov8n.onnx " +
          `(the default ${DEFAULT_MODEL} does not exist)`,
    );
    Deno.exit(2);
  }
  const fullClip = Deno.env.get("STREAM_INFER_BENCH_CLIP") ?? DEFAULT_CLIP;
  if (!(await isFile(fullClip))) {
    console.error(`yolo_offline: the clip ${fullClip} (STREAM_INFER_BENCH_CLIP) is not a file`);
    Deno.exit(2);
  }
  const clip = args.frames === undefined ? fullClip : await trimmed(fullClip, args.frames);
  const info = await probe(clip);
  if (!info.frameCount) throw new Error(`${clip}: unknown frame count`);

  // The model's input size, from a throwaway session.
  const first = await ort.InferenceSession.create(model, yoloSessionOptions({}));
  const meta = first.inputMetadata[0];
  const shape = meta.isTensor ? meta.shape : [];
  const size: [number, number] = [
    typeof shape[2] === "number" ? shape[2] : 640,
    typeof shape[3] === "number" ? shape[3] : 640,
  ];
  await first.release();
  const inputs = await readyInputs(clip, info.width, info.height, info.frameCount, size);

  const loadBefore = loadAverage();
  if (Number(loadBefore) > 0.5) {
    console.error(`warning: load average ${loadBefore}: other work will slow the runs down`);
  }
  // Warm up (page cache, JIT, onnxruntime's first runs) without recording.
  await bare(model, yoloSessionOptions({}), inputs.tensors, 10);
  const began = performance.now();
  const sweepResults = args.sweep && args.only.includes("bare")
    ? await sweep(model, inputs.tensors)
    : new Map<string, number[]>();

  const samples = new Map<string, Sample[]>();
  const key = (c: Config, k: Kind) => `${c.key}/${k}`;
  let frames = info.frameCount;
  for (let round = 0; round < args.repeats; round++) {
    for (const [ci, config] of args.configs.entries()) {
      // Alternate the order of the three, so that none always runs first or last.
      const order = (round + ci) % 2 === 0 ? args.only : [...args.only].reverse();
      for (const kind of order) {
        let s: Sample;
        if (kind === "bare") {
          s = await bare(model, yoloSessionOptions(config.options), inputs.tensors, frames);
        } else if (kind === "serial") s = await serial(model, config, clip);
        else s = await pipeline(model, config, clip);
        if (kind !== "bare") frames = s.frames; // bare runs as many times as the clip has frames
        samples.set(key(config, kind), [...(samples.get(key(config, kind)) ?? []), s]);
        console.error(
          `round ${round + 1}/${args.repeats} ${config.key.padEnd(8)} ${kind.padEnd(8)} ` +
            `${s.frames} frames ${fmtFps(s.frames / s.seconds).padStart(6)} fps, step ` +
            `${fmtMs(s.stepMs)} ms, cores own ${s.ownCores?.toFixed(2) ?? "?"} other ` +
            `${s.otherCores?.toFixed(2) ?? "?"} (load ${loadAverage()})`,
        );
      }
    }
  }
  const wall = (performance.now() - began) / 1000;
  const loadAfter = loadAverage();

  const fpsOf = (s: Sample) => s.frames / s.seconds;
  const has = (k: Kind) => args.only.includes(k);
  const med = (c: Config, k: Kind) => median(samples.get(key(c, k))!.map(fpsOf));
  const paired = (c: Config, top: Kind, bottom: Kind) => {
    const x = samples.get(key(c, top))!;
    const y = samples.get(key(c, bottom))!;
    return median(x.map((s, i) => fpsOf(s) / fpsOf(y[i])));
  };
  const perRound = (c: Config, top: Kind, bottom: Kind) => {
    const x = samples.get(key(c, top))!;
    const y = samples.get(key(c, bottom))!;
    return x.map((s, i) => fmtRatio(fpsOf(s) / fpsOf(y[i]))).join(", ");
  };
  const all3 = has("bare") && has("serial") && has("pipeline");

  // The main table.
  const rows = [
    "| session options | bare | serial | pipeline | pipeline/bare | pipeline/serial | serial/bare |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const cell = (c: Config, k: Kind) => (has(k) ? fmtFps(med(c, k)) : "–");
  const ratioCell = (c: Config, top: Kind, bottom: Kind) =>
    has(top) && has(bottom) ? fmtRatio(paired(c, top, bottom)) : "–";
  for (const c of args.configs) {
    rows.push(
      `| ${c.label} | ${cell(c, "bare")} | ${cell(c, "serial")} | ${cell(c, "pipeline")} | ` +
        `${ratioCell(c, "pipeline", "bare")} | ${ratioCell(c, "pipeline", "serial")} | ` +
        `${ratioCell(c, "serial", "bare")} |`,
    );
  }
  const table = rows.join("\n");

  // Targets, for the configuration with the best pipeline.
  const best = has("pipeline")
    ? args.configs.reduce((b, c) => (med(c, "pipeline") > med(b, "pipeline") ? c : b))
    : undefined;
  const verdicts: string[] = [];
  if (all3) {
    for (const c of args.configs) {
      const pb = paired(c, "pipeline", "bare");
      const ps = paired(c, "pipeline", "serial");
      verdicts.push(
        `${c.label}${c === best ? " (the best pipeline)" : ""}: pipeline/bare ${fmtRatio(pb)} ` +
          `(rounds: ${perRound(c, "pipeline", "bare")}), target ≥ ${TARGET}× ` +
          `${pb >= TARGET ? "**met**" : "**missed**"}; pipeline/serial ${fmtRatio(ps)} ` +
          `(rounds: ${perRound(c, "pipeline", "serial")}): ` +
          `${ps > 1 ? "**faster** than serial" : "**not faster** than serial"}`,
      );
    }
  }

  // Detections: pipeline vs serial, same configuration, same round.
  const agreements: string[] = [];
  const examples: string[] = [];
  if (has("serial") && has("pipeline")) {
    for (const c of args.configs) {
      const ser = samples.get(key(c, "serial"))!;
      const pip = samples.get(key(c, "pipeline"))!;
      let identical = 0, total = 0, detections = 0;
      const differing: number[] = [];
      for (let r = 0; r < ser.length; r++) {
        const a = compare(ser[r].detections!, pip[r].detections!);
        identical += a.identical;
        total += a.frames;
        detections += a.detections;
        differing.push(...a.differing);
      }
      agreements.push(
        `${c.label}: the pipeline's detections equal the serial loop's on ${identical} of ` +
          `${total} frames (${ser.length} round${ser.length === 1 ? "" : "s"}, ${detections} ` +
          `detections in the serial runs)` +
          (differing.length ? `; they differ on frames ${differing.slice(0, 10).join(", ")}` : ""),
      );
    }
    const ser = samples.get(key(args.configs[0], "serial"))![0].detections!;
    const pip = samples.get(key(args.configs[0], "pipeline"))![0].detections!;
    const n = ser.length;
    const shown = new Set([0, Math.floor(n / 4), Math.floor(n / 2), Math.floor(3 * n / 4), n - 1]);
    // and the first frames with two or more detections
    for (let i = 0, more = 0; i < n && more < 2; i++) {
      if (ser[i].length >= 2 && !shown.has(i)) shown.add(i), more++;
    }
    for (const i of [...shown].sort((x, y) => x - y)) {
      const same = JSON.stringify(ser[i]) === JSON.stringify(pip[i]);
      examples.push(
        `| ${i} | ${showDetections(ser[i])} | ${same ? "same" : showDetections(pip[i])} |`,
      );
    }
  }

  // The sweep table.
  const sweepRows = [
    "| session options (bare only) | frames/s (2 runs) | median |",
    "| --- | --- | ---: |",
  ];
  for (const [label, values] of sweepResults) {
    sweepRows.push(`| ${label} | ${values.map(fmtFps).join(", ")} | ${fmtFps(median(values))} |`);
  }

  // All runs, with the CPU split.
  const runsTable = [
    "| session options | measurement | runs (frames/s) | median step ms | CPU ms/frame: inference threads / main / V8 helpers / ffmpeg | cores: own / others |",
    "| --- | --- | --- | ---: | --- | --- |",
  ];
  const split = (list: Sample[], part: keyof CpuSplit) =>
    list.every((s) => s.cpu) ? fmtMs(median(list.map((s) => s.cpu![part]))) : "?";
  for (const c of args.configs) {
    for (const k of args.only) {
      const list = samples.get(key(c, k))!;
      runsTable.push(
        `| ${c.label} | ${k} | ${list.map((s) => fmtFps(fpsOf(s))).join(", ")} | ` +
          `${fmtMs(median(list.map((s) => s.stepMs)))} | ${split(list, "inference")} / ` +
          `${split(list, "main")} / ${split(list, "v8")} / ${split(list, "ffmpeg")} | ` +
          `${
            list.map((s) => `${s.ownCores?.toFixed(2) ?? "?"} / ${s.otherCores?.toFixed(2) ?? "?"}`)
              .join(", ")
          } |`,
      );
    }
  }

  console.log(table);
  if (verdicts.length) console.log(`\n${verdicts.join("\n")}`);
  if (agreements.length) console.log(`\n${agreements.join("\n")}`);
  if (sweepResults.size) console.log(`\n${sweepRows.join("\n")}`);
  console.log(`\n${runsTable.join("\n")}`);
  console.log(
    `\nletterbox of a ${info.width}x${info.height} frame: ${inputs.letterboxMs.toFixed(2)} ms`,
  );
  console.log(
    `(${args.repeats} rounds in ${wall.toFixed(0)} s; load ${loadBefore} / ${loadAfter})`,
  );

  if (args.write) {
    const base = best ?? args.configs[0];
    const stepOf = (c: Config, k: Kind) => median(samples.get(key(c, k))!.map((s) => s.stepMs));
    const section = [
      SECTION,
      "",
      "```sh",
      "deno run -A --unstable-worker-options bench/yolo_offline.ts          # prints the tables",
      "deno run -A --unstable-worker-options bench/yolo_offline.ts --write  # also rewrites this section",
      "```",
      "",
      `Measured ${new Date().toISOString().slice(0, 10)} on:`,
      "",
      ...(await machine(`${loadBefore} / ${loadAfter}`)),
      "",
      `Model: \`${model.split("/").at(-1)}\` (input ${size[0]}x${size[1]}); clip: ` +
      `\`${fullClip.split("/").at(-1)}\`, ${info.width}x${info.height}, ${info.fps} fps, ` +
      `${frames} frames, every frame detected. Frames/s are frames per wall second, medians of ` +
      `${args.repeats} rounds; in each round a configuration's three measurements run back to ` +
      "back (alternating the order) and the ratios are the medians of the per-round ratios. " +
      "All three use the same session options: the plugin's options turned into session " +
      "options by `yoloSessionOptions` (exported by plugins/yolo.ts).",
      "",
      `- **bare**: \`session.run\` ${frames} times over ${inputs.tensors.length} ready input ` +
      "tensors (frames spread over the clip, letterboxed once before the clock starts), used " +
      "in turn: the model alone.",
      "- **serial**: one loop on the main thread: read a frame from ffmpeg " +
      "(`FFmpegProducer.read`, bgr24 at the source size), `YoloDetector.run` on it " +
      "(letterbox, `session.run`, decode), next frame.",
      '- **pipeline**: `new Inference()`, `loadAlgo("plugins/yolo.ts", {frameCount: 1, ' +
      `frameStep: 0, interval: 1/${info.fps}, options: {model, ...}, permissions: {ffi: true}})` +
      "`, `new Player(new FFmpegProducer(), clip, {progress: false})`, " +
      '`start(player, {mode: "offline"})`: the plugin runs in its sandboxed worker while ' +
      "the main thread decodes ahead (lookahead 8). The clock starts after `loadAlgo` (worker " +
      "and model loaded).",
      "",
      table,
      "",
      ...verdicts.map((v) => `- ${v}`),
      ...agreements.map((v) => `- ${v}`),
      "",
      "| frame | serial | pipeline |",
      "| ---: | --- | --- |",
      ...examples,
      "",
      `Other session options, bare only (${SWEEP_RUNS} runs each, 2 rounds in alternating ` +
      "order; the first row is the plugin's default, the second the same session on one input " +
      "tensor over and over):",
      "",
      ...sweepRows,
      "",
      `\`letterbox\` of a ${info.width}x${info.height} frame to ${size[1]}x${size[0]}: ` +
      `${inputs.letterboxMs.toFixed(2)} ms (median, main thread).`,
      "",
      "<details><summary>All runs</summary>",
      "",
      "CPU ms/frame: CPU time per frame by thread, from /proc/self/task: the inference " +
      "threads are the plugin's worker (pipeline) and onnxruntime's pool threads; main is the " +
      "main thread (serial: the whole loop, so also onnxruntime's calling thread); V8 helpers " +
      "are V8's platform threads (concurrent GC); ffmpeg is the reaped child. Cores: CPU " +
      "cores kept busy on average by this process (and ffmpeg) / by everything else.",
      "",
      ...runsTable,
      "",
      "</details>",
      "",
      "### Interpretation",
      "",
      ...interpretation({
        bareStep: stepOf(base, "bare"),
        serialStep: stepOf(base, "serial"),
        pipelineStep: stepOf(base, "pipeline"),
        letterboxMs: inputs.letterboxMs,
        pipelineBare: paired(base, "pipeline", "bare"),
        bareRange: [
          Math.min(...samples.get(key(base, "bare"))!.map(fpsOf)),
          Math.max(...samples.get(key(base, "bare"))!.map(fpsOf)),
        ],
        pipelineBareRounds: perRound(base, "pipeline", "bare"),
        pipelineSerial: paired(base, "pipeline", "serial"),
        best: base.label,
        t1: CONFIGS.t1 && samples.has(key(CONFIGS.t1, "pipeline"))
          ? {
            pipeline: med(CONFIGS.t1, "pipeline"),
            bare: med(CONFIGS.t1, "bare"),
            ratio: paired(CONFIGS.t1, "pipeline", "bare"),
          }
          : undefined,
        pipelineCpu: samples.get(key(base, "pipeline"))!.every((s) => s.cpu)
          ? {
            main: median(samples.get(key(base, "pipeline"))!.map((s) => s.cpu!.main)),
            v8: median(samples.get(key(base, "pipeline"))!.map((s) => s.cpu!.v8)),
            ffmpeg: median(samples.get(key(base, "pipeline"))!.map((s) => s.cpu!.ffmpeg)),
          }
          : undefined,
      }),
      "",
    ].join("\n");
    await writeSection(SECTION, section);
    console.error(`wrote ${BENCHMARKS_MD.pathname}`);
  }
}

interface Findings {
  bareRange: [number, number];
  pipelineBareRounds: string;
  bareStep: number;
  serialStep: number;
  pipelineStep: number;
  letterboxMs: number;
  pipelineBare: number;
  pipelineSerial: number;
  best: string;
  t1?: { pipeline: number; bare: number; ratio: number };
  pipelineCpu?: { main: number; v8: number; ffmpeg: number };
}

function interpretation(f: Findings): string[] {
  const met = f.pipelineBare >= TARGET;
  const faster = f.pipelineSerial > 1;
  const lines = [
    `- Targets (with ${f.best}, the best pipeline): pipeline ≥ ${TARGET}× bare ` +
    `${met ? "met" : "missed"} (${fmtRatio(f.pipelineBare)}); faster than serial ` +
    `${faster ? "met" : "missed"} (${fmtRatio(f.pipelineSerial)}). Read these with the ` +
    `spread in mind: this 2-vCPU VM's speed drifts from minute to minute (bare alone ran at ` +
    `${fmtFps(f.bareRange[0])} to ${fmtFps(f.bareRange[1])} frames/s across the rounds, with ` +
    `nothing else running), and the per-round pipeline/bare ratios were ${f.pipelineBareRounds}: ` +
    "differences of a few percent between the three are within that noise.",
    `- Per frame, bare is \`session.run\` alone (median ${fmtMs(f.bareStep)} ms, onnxruntime's ` +
    "intra-op threads on both cores). The plugin's run adds, on the worker's thread and in " +
    `series with \`session.run\`: \`letterbox\` (${f.letterboxMs.toFixed(1)} ms) and the ` +
    "decode of the compact outputs (well under 0.1 ms). onnxruntime-node's `session.run` is " +
    "synchronous on the calling thread (the promise only defers the call with `setImmediate`), " +
    "so a plugin cannot pre-process the next frame while the model runs, and the runtime only " +
    "sends a worker its next run once the previous one has replied, so every run also waits " +
    "for a round trip to the main thread. The median worker run as the host sees it is " +
    `${fmtMs(f.pipelineStep)} ms; the serial loop's iteration ${fmtMs(f.serialStep)} ms.`,
    "- The serial loop already overlaps decoding: ffmpeg is a separate process that decodes " +
    "ahead while the loop runs the model, so the loop only pays for copying a frame out of " +
    "the pipe. The pipeline moves that copy (and its own snapshot copy and messages) to the " +
    "main thread, where it runs *during* `session.run`" +
    (f.pipelineCpu
      ? ` (main thread ${fmtMs(f.pipelineCpu.main)} ms, ffmpeg ${fmtMs(f.pipelineCpu.ffmpeg)} ` +
        `ms, V8 helpers ${fmtMs(f.pipelineCpu.v8)} ms of CPU per frame)`
      : "") +
    ". With 2 cores and onnxruntime's two threads busy, that work competes with the model, " +
    "whose parallel sections wait for their slowest thread: the overlap is worth about what " +
    "it costs, hence pipeline ≈ serial on this machine.",
  ];
  if (f.t1) {
    lines.push(
      `- \`threads: 1\` leaves a core free for decoding, so the pipeline overlaps it fully ` +
        `(pipeline/bare ${fmtRatio(f.t1.ratio)}, the rest being letterbox and the round trip ` +
        `on the worker's thread), but the model alone drops to ${fmtFps(f.t1.bare)} frames/s: ` +
        "two threads win by far. Other session options barely matter or hurt (bare-only " +
        "table): `graphOptimizationLevel` `all` ≈ `extended` > `basic` ≈ `disabled`, and " +
        "`executionMode: parallel` (inter-op threads on top of the intra-op ones) halves " +
        "throughput on 2 cores; the plugin keeps `all`, sequential.",
    );
  }
  lines.push(
    "- Spinning: onnxruntime's pool threads busy-wait for work by default. `spinning: false` " +
      'makes the model markedly slower (bare-only table). `spinning: "run"` (new plugin ' +
      "option: `session.force_spinning_stop`) keeps the spinning during a run but stops it " +
      "when the run ends, leaving the cores to the worker's letterbox, its reply and the " +
      "decoding between runs; see the main table for what it is worth end to end.",
    "- What changed in plugins/yolo.ts for this: the detector appends three outputs to the " +
      "model when it loads it (boxes, each anchor's best class score and class, via `Slice`, " +
      "`ArgMax`, `GatherElements`, `Cast`; the extra graph is a second protobuf `graph` field, " +
      "merged by the parser) and fetches only those: about 200 KB per run instead of the 2.8 MB " +
      "`[1, 84, 8400]` output, and no 672 000-score scan in JavaScript. Detections are " +
      "identical to decoding the full output (checked on all frames of this clip); models it " +
      "cannot extend fall back to the JavaScript decode. Also new: the `spinning` option and " +
      "`yoloSessionOptions` (the session options, exported so this benchmark uses the same).",
  );
  return lines;
}

if (import.meta.main) await main();
