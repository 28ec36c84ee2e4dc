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
 *   `plugins/yolo/mod.ts` loaded by path into its sandboxed worker (`frameCount` 1, `interval`
 *   1/fps: every frame); decoding overlaps inference.
 *
 * Each configuration of session options (the plugin's `threads` / `spinning` options, turned
 * into session options by `yoloSessionOptions`, which bare uses too) is measured `--repeats`
 * times, the three measurements back to back in each round, in alternating order, and every
 * configuration once per round (in reversed order every other round); ratios are the median of
 * the per-round ratios.
 *
 * The configuration `i2` runs two instances of the model: the pipeline loads the plugin with
 * `instances: 2` (two workers, runs round-robin, results in frame order), and bare is two bare
 * loops side by side, each in its own worker (bench/fixtures/bare_worker.ts) with a session
 * from `yoloSessionOptions({}, 2)`, the clip's frame count of runs in all, split evenly: the
 * ceiling for that configuration. A serial loop cannot use two instances: its serial
 * measurement is the serial loop with the plugin's default session options. Its pipeline is
 * also compared with the `default` configuration's bare and serial loops of the same rounds
 * (one session, onnxruntime's own thread count): the bare `session.run` loop of the target. Frames/s are frames per wall second. The clock starts
 * once the session exists (for the pipeline: once the worker is up and the model loaded) and
 * includes ffmpeg's start for serial and pipeline. The pipeline's detections are compared with
 * the serial loop's on every frame. Before the rounds, a quick bare-only sweep of other session
 * options (graph optimisation level, execution mode, spinning) and the cost of `letterbox` are
 * measured.
 *
 * Run (from anywhere; the pipeline's worker is sandboxed, hence the flag):
 *
 *   deno run -A --unstable-worker-options bench/yolo_offline.ts [--write] [--repeats=N]
 *     [--configs=default,i2,spin-run,t1,nospin,t2] [--frames=N] [--only=bare,serial,pipeline]
 *
 * The model is `STREAM_INFER_TEST_MODEL` (default ../shared/models/yolov8n_int8.onnx beside the
 * repository, if it exists), the clip `STREAM_INFER_BENCH_CLIP` (default
 * ../shared/media/car-detection.mp4).
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
} from "../plugins/yolo/mod.ts";
import { BareWorker } from "./fixtures/bare_client.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { CAR_CLIP, ffmpegBytes, isFile, TEST_MODEL } from "./tools.ts";

const DEFAULT_MODEL = TEST_MODEL;
const DEFAULT_CLIP = CAR_CLIP;
const PLUGIN = new URL("../plugins/yolo/mod.ts", import.meta.url);
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
  /** Instances of the model (workers), `loadAlgo`'s `instances`; default 1. */
  instances?: number;
}

/** onnxruntime intra-op threads per instance `yoloSessionOptions` picks for `instances`. */
const threadsPerInstance = (instances: number) =>
  Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / instances));
/** "1 intra-op thread", "2 intra-op threads", or onnxruntime's default. */
const threadsText = (threads: number | undefined) =>
  threads === undefined
    ? "onnxruntime's default intra-op threads"
    : `${threads} intra-op thread${threads === 1 ? "" : "s"}`;

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
  i2: {
    key: "i2",
    label: `\`instances: 2\` (two workers, ${threadsPerInstance(2)} onnxruntime thread` +
      `${threadsPerInstance(2) === 1 ? "" : "s"} each)`,
    options: {},
    instances: 2,
  },
};
const DEFAULT_CONFIGS = ["default", "i2"];

/** The session options of one instance of `config`. */
const sessionOptionsOf = (config: Config) =>
  yoloSessionOptions(config.options, config.instances ?? 1);

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
async function sampleFrames(clip: string, frames: number): Promise<Uint8Array> {
  const every = Math.max(1, Math.floor(frames / BARE_TENSORS));
  return await ffmpegBytes([
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
  ]);
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
  const all = await sampleFrames(clip, frames);
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

/**
 * (1') `instances` bare loops side by side, each in its own worker with its own session:
 * `session.run` over ready tensors, `frames` times in all (split evenly). The clock starts
 * once every session exists.
 */
async function bareWorkers(
  model: string,
  options: ort.InferenceSession.SessionOptions,
  tensors: ort.Tensor[],
  frames: number,
  instances: number,
): Promise<Sample> {
  const workers = Array.from({ length: instances }, () => new BareWorker());
  try {
    const dims = [...tensors[0].dims];
    const data = tensors.map((t) => (t.data as Float32Array).slice());
    await Promise.all(
      workers.map((w) => w.request({ type: "setup", model, options, tensors: data, dims })),
    );
    const mark = cpuMark();
    const began = performance.now();
    const replies = await Promise.all(workers.map((w, k) =>
      w.request({
        type: "run",
        runs: Math.floor(frames / instances) + (k < frames % instances ? 1 : 0),
        offset: k,
      })
    ));
    const seconds = (performance.now() - began) / 1000;
    const use = cpuUse(mark, cpuMark(), frames);
    await Promise.all(workers.map((w) => w.request({ type: "close" })));
    const steps = replies.flatMap((r) => (r.type === "done" ? r.steps : []));
    if (steps.length !== frames) throw new Error(`bare workers ran ${steps.length} of ${frames}`);
    return { frames, seconds, stepMs: median(steps), ...use };
  } finally {
    for (const w of workers) w.terminate();
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

/** (3) The offline pipeline with the plugin in its sandboxed worker (or `instances` of them). */
async function pipeline(model: string, config: Config, clip: string): Promise<Sample> {
  const inference = new Inference();
  const player = new Player(new FFmpegProducer(), clip);
  const info = (await player.open())!;
  await inference.loadAlgo(PLUGIN.href, {
    frameCount: 1,
    frameStep: 0,
    interval: 1 / info.fps,
    options: { model, ...config.options },
    permissions: { ffi: true, read: [model] },
    instances: config.instances ?? 1,
  });
  try {
    const loaded = inference.listAlgos().find((a) => a.name === "YoloDetector");
    if ((loaded?.instances ?? 1) !== (config.instances ?? 1)) {
      throw new Error(`pipeline: loaded ${JSON.stringify(inference.listAlgos())}`);
    }
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
  await ffmpegBytes(["-i", clip, "-map", "0:v:0", "-c", "copy", "-frames:v", String(frames), path]);
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

// ---- the machine ------------------------------------------------------------------------------

function ortVersion(): Promise<string> {
  return Deno.readTextFile(
    new URL("../node_modules/onnxruntime-node/package.json", import.meta.url),
  )
    .then((t) => JSON.parse(t).version as string).catch(() => "?");
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

  const loadBefore = loadAverage().toFixed(2);
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
    // Every configuration once per round (so that ratios across configurations pair
    // measurements of the same round), in reversed order every other round.
    const configOrder = [...args.configs.entries()];
    if (round % 2) configOrder.reverse();
    for (const [ci, config] of configOrder) {
      // Alternate the order of the three, so that none always runs first or last.
      const order = (round + ci) % 2 === 0 ? args.only : [...args.only].reverse();
      for (const kind of order) {
        let s: Sample;
        const instances = config.instances ?? 1;
        if (kind === "bare" && instances > 1) {
          s = await bareWorkers(model, sessionOptionsOf(config), inputs.tensors, frames, instances);
        } else if (kind === "bare") {
          s = await bare(model, sessionOptionsOf(config), inputs.tensors, frames);
        } else if (kind === "serial") s = await serial(model, config, clip);
        else s = await pipeline(model, config, clip);
        if (kind !== "bare") frames = s.frames; // bare runs as many times as the clip has frames
        samples.set(key(config, kind), [...(samples.get(key(config, kind)) ?? []), s]);
        console.error(
          `round ${round + 1}/${args.repeats} ${config.key.padEnd(8)} ${kind.padEnd(8)} ` +
            `${s.frames} frames ${fmtFps(s.frames / s.seconds).padStart(6)} fps, step ` +
            `${fmtMs(s.stepMs)} ms, cores own ${s.ownCores?.toFixed(2) ?? "?"} other ` +
            `${s.otherCores?.toFixed(2) ?? "?"} (load ${loadAverage().toFixed(2)})`,
        );
      }
    }
  }
  const wall = (performance.now() - began) / 1000;
  const loadAfter = loadAverage().toFixed(2);

  const fpsOf = (s: Sample) => s.frames / s.seconds;
  const has = (k: Kind) => args.only.includes(k);
  const med = (c: Config, k: Kind) => median(samples.get(key(c, k))!.map(fpsOf));
  // Ratios of measurements of the same round (any two configurations: every round measures
  // them all), and their median.
  const roundRatios = (c: Config, top: Kind, d: Config, bottom: Kind) => {
    const x = samples.get(key(c, top))!;
    const y = samples.get(key(d, bottom))!;
    return x.map((s, i) => fpsOf(s) / fpsOf(y[i]));
  };
  const crossPaired = (c: Config, top: Kind, d: Config, bottom: Kind) =>
    median(roundRatios(c, top, d, bottom));
  const crossRounds = (c: Config, top: Kind, d: Config, bottom: Kind) =>
    roundRatios(c, top, d, bottom).map(fmtRatio).join(", ");
  const paired = (c: Config, top: Kind, bottom: Kind) => crossPaired(c, top, c, bottom);
  const perRound = (c: Config, top: Kind, bottom: Kind) => crossRounds(c, top, c, bottom);
  const multi = (c: Config) => (c.instances ?? 1) > 1;
  /** The configuration of the target's "bare `session.run` loop": one session, plugin defaults. */
  const reference = args.configs.find((c) => c.key === "default");
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
  const tableNotes = args.configs.filter(multi).map((c) =>
    `${c.label}: bare is ${c.instances} bare loops side by side, each in its own worker with a ` +
    `session from \`yoloSessionOptions({}, ${c.instances})\` ` +
    `(${
      threadsText(sessionOptionsOf(c).intraOpNumThreads)
    } each), sharing the runs; serial is the serial loop with the ` +
    "plugin-default session options (a serial loop cannot use two instances), the same as " +
    "the plugin-default configuration's serial loop; pipeline loads the plugin with " +
    `\`instances: ${c.instances}\`.`
  );

  // Verdicts per configuration (its pipeline against its own bare and serial loops).
  const best = has("pipeline")
    ? args.configs.reduce((b, c) => (med(c, "pipeline") > med(b, "pipeline") ? c : b))
    : undefined;
  const met = (ratio: number) => (ratio >= TARGET ? "**met**" : "**missed**");
  const faster = (ratio: number) =>
    ratio > 1 ? "**faster** than serial" : "**not faster** than serial";
  const verdicts: string[] = [];
  if (all3) {
    for (const c of args.configs) {
      const pb = paired(c, "pipeline", "bare");
      const ps = paired(c, "pipeline", "serial");
      verdicts.push(
        `${c.label}${c === best ? " (the best pipeline)" : ""}: pipeline/bare ${fmtRatio(pb)} ` +
          `(rounds: ${perRound(c, "pipeline", "bare")}` +
          (multi(c) ? `; bare here: ${c.instances} bare loops side by side, its own ceiling` : "") +
          `), ≥ ${TARGET}× ${met(pb)}; pipeline/serial ${fmtRatio(ps)} ` +
          `(rounds: ${perRound(c, "pipeline", "serial")}` +
          (multi(c) ? "; serial here: the plugin-default serial loop" : "") +
          `): ${faster(ps)}`,
      );
    }
  }

  // Multi-instance pipelines against the plugin-default configuration's bare and serial loops
  // of the same rounds: the loops the targets name.
  const crossRows = [
    "| pipeline | against (same rounds) | ratio | per round | target |",
    "| --- | --- | ---: | --- | --- |",
  ];
  const crossLines: string[] = [];
  if (reference && has("pipeline")) {
    for (const c of args.configs.filter(multi)) {
      if (has("bare")) {
        const r = crossPaired(c, "pipeline", reference, "bare");
        crossRows.push(
          `| ${c.label} | ${reference.label}: bare (one session) | ${fmtRatio(r)} | ` +
            `${crossRounds(c, "pipeline", reference, "bare")} | ≥ ${TARGET}×: ` +
            `${r >= TARGET ? "met" : "missed"} |`,
        );
        crossLines.push(
          `${c.label}: pipeline / the plugin-default bare loop (one session, onnxruntime's own ` +
            `thread count: the bare \`session.run\` loop the target names) ${fmtRatio(r)} ` +
            `(rounds: ${crossRounds(c, "pipeline", reference, "bare")}), ≥ ${TARGET}× ${met(r)}`,
        );
      }
      if (has("serial")) {
        const r = crossPaired(c, "pipeline", reference, "serial");
        crossRows.push(
          `| ${c.label} | ${reference.label}: serial | ${fmtRatio(r)} | ` +
            `${crossRounds(c, "pipeline", reference, "serial")} | faster than serial: ` +
            `${r > 1 ? "met" : "missed"} |`,
        );
        crossLines.push(
          `${c.label}: pipeline / the plugin-default serial loop ${fmtRatio(r)} ` +
            `(rounds: ${crossRounds(c, "pipeline", reference, "serial")}): ${faster(r)}`,
        );
      }
    }
  }
  const crossTable = crossRows.length > 2 ? crossRows.join("\n") : "";

  // The targets, in one line each: which pipelines meet them against the plugin-default loops.
  const targets: string[] = [];
  if (reference && all3) {
    const against = (bottom: Kind) =>
      args.configs.filter((c) => c === reference || multi(c)).map((c) => {
        const r = crossPaired(c, "pipeline", reference, bottom);
        const ok = bottom === "bare" ? r >= TARGET : r > 1;
        return `${c.label} pipeline ${fmtRatio(r)} (${ok ? "**met**" : "**missed**"})`;
      }).join("; ");
    targets.push(
      `Target "pipeline ≥ ${TARGET}× a bare \`session.run\` loop" (the plugin-default bare ` +
        `loop: one session, onnxruntime's own thread count): ${against("bare")}.`,
      `Target "faster than a serial decode → pre-process → infer loop" (the plugin-default ` +
        `serial loop): ${against("serial")}.`,
    );
    for (const c of args.configs.filter(multi)) {
      const r = paired(c, "pipeline", "bare");
      targets.push(
        `Against its own configuration's ceiling (${c.instances} bare loops side by side, one ` +
          `session each), the ${c.label} pipeline reaches ${fmtRatio(r)}: ≥ ${TARGET}× ` +
          `${met(r)}.`,
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
  if (tableNotes.length) console.log(`\n${tableNotes.join("\n")}`);
  if (verdicts.length) console.log(`\n${verdicts.join("\n")}`);
  if (crossTable) console.log(`\n${crossTable}`);
  if (crossLines.length) console.log(`\n${crossLines.join("\n")}`);
  if (targets.length) console.log(`\n${targets.join("\n")}`);
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
    // The explanations are about the plugin-default configuration when it was measured.
    const base = reference ?? best ?? args.configs[0];
    const stepOf = (c: Config, k: Kind) => median(samples.get(key(c, k))!.map((s) => s.stepMs));
    const multiFindings = (): Findings["multi"] => {
      const c = args.configs.find(multi);
      if (!c || !reference) return undefined;
      const pip = samples.get(key(c, "pipeline"))!;
      return {
        label: c.label,
        instances: c.instances!,
        threads: sessionOptionsOf(c).intraOpNumThreads,
        bare: med(c, "bare"),
        bareStep: stepOf(c, "bare"),
        pipeline: med(c, "pipeline"),
        pipelineStep: stepOf(c, "pipeline"),
        refBare: med(reference, "bare"),
        own: paired(c, "pipeline", "bare"),
        vsBare: crossPaired(c, "pipeline", reference, "bare"),
        vsSerial: crossPaired(c, "pipeline", reference, "serial"),
        barePerReference: crossPaired(c, "bare", reference, "bare"),
        cpu: pip.every((s) => s.cpu)
          ? {
            main: median(pip.map((s) => s.cpu!.main)),
            ffmpeg: median(pip.map((s) => s.cpu!.ffmpeg)),
          }
          : undefined,
      };
    };
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
      ...(await machine(locateFfmpeg(), [
        `- onnxruntime-node ${await ortVersion()} (CPU execution provider)`,
      ])),
      `- 1-minute load average before / after: ${loadBefore} / ${loadAfter}`,
      "",
      `Model: \`${model.split("/").at(-1)}\` (input ${size[0]}x${size[1]}); clip: ` +
      `\`${fullClip.split("/").at(-1)}\`, ${info.width}x${info.height}, ${info.fps} fps, ` +
      `${frames} frames, every frame detected. Frames/s are frames per wall second, medians of ` +
      `${args.repeats} rounds; in each round a configuration's three measurements run back to ` +
      "back (alternating the order) and the ratios are the medians of the per-round ratios. " +
      "Every configuration is measured once per round (in reversed order every other round), " +
      "so ratios across configurations also pair measurements of the same round. Within a " +
      "configuration the three use the same session options (but see the multi-instance " +
      "configuration below): the plugin's options turned into session options by " +
      "`yoloSessionOptions` (exported by plugins/yolo/mod.ts).",
      "",
      `- **bare**: \`session.run\` ${frames} times over ${inputs.tensors.length} ready input ` +
      "tensors (frames spread over the clip, letterboxed once before the clock starts), used " +
      "in turn: the model alone.",
      "- **serial**: one loop on the main thread: read a frame from ffmpeg " +
      "(`FFmpegProducer.read`, bgr24 at the source size), `YoloDetector.run` on it " +
      "(letterbox, `session.run`, decode), next frame.",
      '- **pipeline**: `new Inference()`, `loadAlgo("plugins/yolo/mod.ts", {frameCount: 1, ' +
      `frameStep: 0, interval: 1/${info.fps}, options: {model, ...}, permissions: {ffi: true}})` +
      "`, `new Player(new FFmpegProducer(), clip)`, " +
      '`start(player, {mode: "offline"})`: the plugin runs in its sandboxed worker while ' +
      "the main thread decodes ahead (lookahead 8). The clock starts after `loadAlgo` (worker " +
      "and model loaded).",
      ...args.configs.filter(multi).map((c) =>
        `- **${c.label}**: the pipeline is the same with \`instances: ${c.instances}\` in ` +
        `\`loadAlgo\`'s options: ${c.instances} workers with the same init options, each ` +
        `session with \`yoloSessionOptions({}, ${c.instances})\` ` +
        `(${
          threadsText(sessionOptionsOf(c).intraOpNumThreads)
        } on this machine), runs round-robin (run k to worker k mod ` +
        `${c.instances}), records handed on in frame order. Its bare is ${c.instances} bare ` +
        "loops side by side, each in its own worker (bench/fixtures/bare_worker.ts) with such " +
        `a session, ${frames} runs in all (split evenly), the clock started once every ` +
        "session exists: the ceiling of this configuration. A serial loop cannot use two " +
        "instances: its serial is the serial loop with the plugin-default session options " +
        "(the same loop as the plugin-default configuration's serial, measured again). Its " +
        "pipeline is also compared with the plugin-default configuration's bare and serial " +
        "loops of the same rounds (second table): that bare loop (one session, onnxruntime's " +
        "own thread count) is the bare `session.run` loop of the target."
      ),
      "",
      table,
      "",
      ...verdicts.map((v) => `- ${v}`),
      ...agreements.map((v) => `- ${v}`),
      ...(crossTable ? ["", crossTable, ""] : []),
      ...crossLines.map((v) => `- ${v}`),
      ...targets.map((v) => `- ${v}`),
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
      "threads are the plugin's workers (pipeline), the bare loops' workers (multi-instance " +
      "bare) and onnxruntime's pool threads; main is the " +
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
        baseLabel: base.label,
        targets,
        bareRange: [
          Math.min(...samples.get(key(base, "bare"))!.map(fpsOf)),
          Math.max(...samples.get(key(base, "bare"))!.map(fpsOf)),
        ],
        pipelineBareRounds: perRound(base, "pipeline", "bare"),
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
        multi: multiFindings(),
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
  /** The configuration the per-frame explanations are about (the plugin defaults). */
  baseLabel: string;
  /** The target lines (which pipelines meet which target, against which loop). */
  targets: string[];
  t1?: { pipeline: number; bare: number; ratio: number };
  pipelineCpu?: { main: number; v8: number; ffmpeg: number };
  /** The multi-instance configuration, against the plugin-default one. */
  multi?: {
    label: string;
    instances: number;
    threads?: number;
    /** Frames/s of its bare loops side by side, and their median `session.run` ms. */
    bare: number;
    bareStep: number;
    pipeline: number;
    pipelineStep: number;
    /** Frames/s of the plugin-default bare loop. */
    refBare: number;
    /** Pipeline / its own bare; / the plugin-default bare; / the plugin-default serial. */
    own: number;
    vsBare: number;
    vsSerial: number;
    /** Its bare loops / the plugin-default bare loop (same rounds). */
    barePerReference: number;
    cpu?: { main: number; ffmpeg: number };
  };
}

function interpretation(f: Findings): string[] {
  const lines = [
    "- Targets (medians of the per-round ratios):",
    ...f.targets.map((t) => `  - ${t}`),
    "  - Read these with the spread in mind: this 2-vCPU VM's speed drifts from minute to " +
    `minute (the plugin-default bare loop alone ran at ${fmtFps(f.bareRange[0])} to ` +
    `${fmtFps(f.bareRange[1])} frames/s across the rounds, with nothing else running, and its ` +
    `per-round pipeline/bare ratios were ${f.pipelineBareRounds}): differences of a few ` +
    "percent are within that noise.",
    `- ${f.baseLabel}: per frame, bare is \`session.run\` alone (median ${
      fmtMs(f.bareStep)
    } ms, onnxruntime's ` +
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
  if (f.multi) {
    const m = f.multi;
    const threads = threadsText(m.threads);
    lines.push(
      `- ${m.label}: ${m.instances} sessions with ${threads} each, each in its own worker. ` +
        `Side by side, ${m.instances} bare loops reach ${fmtFps(m.bare)} frames/s (median ` +
        `\`session.run\` ${fmtMs(m.bareStep)} ms in each loop), ${fmtRatio(m.barePerReference)} ` +
        `the one session with onnxruntime's own thread count (${fmtFps(m.refBare)}): ` +
        "independent single-threaded sessions never wait for each other, where one session's " +
        "parallel sections wait for their slowest thread. The pipeline sends the runs " +
        `round-robin (run k to instance k mod ${m.instances}) and hands the records on in ` +
        "frame order, so its detections equal the serial loop's (checked above on every " +
        `frame). It reaches ${fmtFps(m.pipeline)} frames/s (median run as the host sees it ` +
        `${fmtMs(m.pipelineStep)} ms, ${m.instances} runs in flight): ${fmtRatio(m.own)} its ` +
        `own ceiling, ${fmtRatio(m.vsBare)} the plugin-default bare loop and ` +
        `${fmtRatio(m.vsSerial)} the plugin-default serial loop. The gap to its own ceiling is ` +
        `the work the bare loops do not do, now on cores the model runs already hold: ` +
        `letterbox (${f.letterboxMs.toFixed(1)} ms per run, on each worker's thread), the ` +
        "round trips, and the main thread's reading" +
        (m.cpu
          ? ` (${fmtMs(m.cpu.main)} ms of CPU per frame) and ffmpeg's decoding ` +
            `(${fmtMs(m.cpu.ffmpeg)} ms)`
          : " and ffmpeg's decoding") +
        ". The price: one session (model weights, arenas) per instance in memory. New for " +
        "this: `loadAlgo`'s `instances` option (worker plugins: N workers with the same init " +
        "options, `init(options, {instance, instances})`), and `yoloSessionOptions(options, " +
        "instances)`, which gives each session floor(cores / instances) intra-op threads when " +
        "`threads` is unset (the plugin passes its context's `instances`).",
    );
  }
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
      "decoding between runs; `--configs=default,spin-run` measures it end to end (in an " +
      "earlier run on this machine it was not faster: 13.68 frames/s for the pipeline).",
    "- What changed in plugins/yolo for this: the detector appends three outputs to the " +
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
