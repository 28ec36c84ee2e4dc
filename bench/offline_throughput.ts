/**
 * Offline throughput benchmark: every frame through user code, side by side with the Python
 * original's loop (OpenCV decoding in-process and resizing with `cv2.resize`), and against
 * what ffmpeg itself allows.
 *
 * The clip is car-detection.mp4 upscaled to 1920x1080 at 25 fps (754 frames). For each output
 * size, every round runs, back to back and in alternating order:
 *
 * - `null`: the producer's own ffmpeg arguments to `-f null -` (decode, scale, convert; no
 *   pipe);
 * - `| cat`: the same arguments writing raw bgr24 into `cat > /dev/null`: what a C reader gets
 *   from the pipe, the ceiling of the spawn-and-pipe design;
 * - `opencv bgr24` / `opencv rgb24`: bench/opencv_baseline.py (cv2.VideoCapture, cv2.resize
 *   INTER_LINEAR, cv2.cvtColor for rgb24, a no-op per frame);
 * - `ours bgr24` / `ours rgb24`: the pipeline (`Inference` + `Player` + `FFmpegProducer`) with a
 *   no-op algorithm run on every frame (`interval` 1/fps);
 * - `ours yuv420p`: the same with yuv420p frames (1.5 bytes per pixel; the no-op never asks
 *   for RGB, so nothing is converted);
 * - `ours 1 run/s`: bgr24, `interval` 1: ffmpeg `select`s only the frames read.
 *
 * Frames/s are clip frames per wall second. Each task also reports CPU seconds per frame over
 * its whole process tree (from /proc: this process's CPU for our pipeline plus its ffmpeg, or
 * the waited-for children's for the others) and peak RSS summed over its processes. Ratios
 * are medians of per-round ratios.
 *
 * Run: `deno task bench` (`--write` rewrites this benchmark's section of BENCHMARKS.md,
 * `--repeats=N` sets the rounds, default 5; `--sizes=640x360,1280x720` picks sizes). Needs
 * --allow-all (Deno reads /proc only then). Clips are cached in `STREAM_INFER_BENCH_DIR` or
 * `<tmp>/stream-infer-bench`.
 *
 * @module
 */
import {
  BaseAlgo,
  FFmpegProducer,
  type Frame,
  Inference,
  locateFfmpeg,
  type PixelFormat,
  Player,
  probe,
  type SourceInfo,
} from "../mod.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { carClip, cpuSeconds, PeakRss, run, stdoutOf } from "./tools.ts";

const ALL_SIZES: readonly [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];
const SECTION = "## Offline throughput";
const COMMAND = "deno task bench --repeats=5 --write";
const TARGET = 1.1;
const BASELINE_PY = new URL("./opencv_baseline.py", import.meta.url).pathname;

/** The no-op algorithm. */
class NoOp extends BaseAlgo<unknown, number> {
  run(frames: Frame[]): number {
    return frames.length;
  }
}

type Kind =
  | "null"
  | "cat"
  | "opencvBgr"
  | "oursBgr"
  | "opencvRgb"
  | "oursRgb"
  | "oursYuv"
  | "oursSparse";

const KINDS: readonly Kind[] = [
  "null",
  "cat",
  "opencvBgr",
  "oursBgr",
  "opencvRgb",
  "oursRgb",
  "oursYuv",
  "oursSparse",
];

const LABEL: Record<Kind, string> = {
  null: "ffmpeg → -f null",
  cat: "ffmpeg \\| cat",
  opencvBgr: "opencv bgr24",
  oursBgr: "ours bgr24",
  opencvRgb: "opencv rgb24",
  oursRgb: "ours rgb24",
  oursYuv: "ours yuv420p",
  oursSparse: "ours 1 run/s",
};

/** One measurement: wall seconds, CPU seconds of its process tree, peak RSS (MiB). */
interface Sample {
  seconds: number;
  cpu: number;
  rss: number;
}

interface Context {
  ffmpeg: string;
  clip: string;
  info: SourceInfo;
  python?: string;
}

/** A measurement's label outside Markdown. */
function plain(kind: Kind): string {
  return LABEL[kind].replace("\\|", "|");
}

function sizeKey(size: readonly [number, number]): string {
  return `${size[0]}x${size[1]}`;
}

function producer(size: readonly [number, number], format: PixelFormat): FFmpegProducer {
  return new FFmpegProducer({ width: size[0], height: size[1], format });
}

/** Runs an external command tree; its CPU is that of the waited-for children. */
async function external(binary: string, args: string[]): Promise<Sample> {
  const rss = new PeakRss(false);
  const cpu0 = cpuSeconds().children;
  const began = performance.now();
  let peak = 0;
  try {
    await run(binary, args);
  } finally {
    peak = rss.stop();
  }
  const seconds = (performance.now() - began) / 1000;
  return { seconds, cpu: cpuSeconds().children - cpu0, rss: peak };
}

/** The pipeline with a no-op algorithm; its CPU is this process's plus its ffmpeg's. */
async function pipeline(
  ctx: Context,
  size: readonly [number, number],
  format: PixelFormat,
  interval: number,
): Promise<Sample> {
  const inference = new Inference();
  await inference.loadAlgo(new NoOp(), { frameCount: 1, frameStep: 0, interval });
  const player = new Player(producer(size, format), ctx.clip);
  await player.open(); // probe before the clock starts
  const rss = new PeakRss(true);
  const t0 = cpuSeconds();
  const began = performance.now();
  const summary = await inference.start(player, { mode: "offline" });
  const seconds = (performance.now() - began) / 1000;
  const t1 = cpuSeconds();
  const peak = rss.stop();
  await inference.dispose();
  const frames = ctx.info.frameCount!;
  const runs = summary.algos.NoOp?.runs ?? 0;
  const every = Math.round(interval * ctx.info.fps);
  const wanted = every <= 1 ? frames : Math.floor(frames / every);
  if (runs !== wanted) throw new Error(`${sizeKey(size)} ${format}: ${runs} runs, want ${wanted}`);
  const cpu = t1.self - t0.self + t1.children - t0.children;
  return { seconds, cpu, rss: peak };
}

function ffmpegArgs(ctx: Context, size: readonly [number, number], output: "null" | "pipe") {
  const args = producer(size, "bgr24").args(ctx.clip, { info: ctx.info });
  if (args.at(-1) !== "pipe:1") throw new Error(`unexpected producer arguments: ${args}`);
  if (output === "pipe") return args;
  const f = args.lastIndexOf("-f");
  return [...args.slice(0, f), "-f", "null", "-"];
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function measure(kind: Kind, ctx: Context, size: readonly [number, number]) {
  const [w, h] = size.map(String);
  switch (kind) {
    case "null":
      return await external(ctx.ffmpeg, ffmpegArgs(ctx, size, "null"));
    case "cat": {
      const line = [ctx.ffmpeg, ...ffmpegArgs(ctx, size, "pipe")].map(shellQuote).join(" ");
      return await external("sh", ["-c", `${line} 2>/dev/null | cat > /dev/null`]);
    }
    case "opencvBgr":
      return await external(ctx.python!, [BASELINE_PY, ctx.clip, w, h, "bgr24"]);
    case "opencvRgb":
      return await external(ctx.python!, [BASELINE_PY, ctx.clip, w, h, "rgb24"]);
    case "oursBgr":
      return await pipeline(ctx, size, "bgr24", 1 / ctx.info.fps);
    case "oursRgb":
      return await pipeline(ctx, size, "rgb24", 1 / ctx.info.fps);
    case "oursYuv":
      return await pipeline(ctx, size, "yuv420p", 1 / ctx.info.fps);
    case "oursSparse":
      return await pipeline(ctx, size, "bgr24", 1);
  }
}

/** A Python with OpenCV: python3, then Debian's; installs python3-opencv with apt if root. */
async function findPython(): Promise<string | undefined> {
  const works = async (py: string) =>
    (await stdoutOf(py, ["-c", "import cv2; print(cv2.__version__)"]))?.trim();
  for (const py of ["python3", "/usr/bin/python3"]) if (await works(py)) return py;
  if ((await stdoutOf("id", ["-u"]))?.trim() === "0" && await stdoutOf("apt-get", ["--version"])) {
    console.error("installing python3-opencv with apt-get ...");
    await stdoutOf("apt-get", ["install", "-y", "-q", "python3-opencv"]);
    if (await works("/usr/bin/python3")) return "/usr/bin/python3";
  }
  console.error(
    "warning: no Python with OpenCV (apt-get install python3-opencv): the opencv columns are " +
      "left out",
  );
  return undefined;
}

function parseArgs(args: string[]) {
  let write = false;
  let repeats = 5;
  let sizes = ALL_SIZES;
  for (const arg of args) {
    if (arg === "--write") write = true;
    else if (arg.startsWith("--repeats=")) repeats = Number(arg.slice("--repeats=".length));
    else if (arg.startsWith("--sizes=")) {
      sizes = arg.slice("--sizes=".length).split(",").map((s) => {
        const m = /^(\d+)x(\d+)$/.exec(s);
        if (!m) throw new Error(`--sizes: ${s} is not WxH`);
        return [Number(m[1]), Number(m[2])] as [number, number];
      });
    } else throw new Error(`unknown argument ${arg} (use --write, --repeats=N, --sizes=WxH,...)`);
  }
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error("--repeats must be >= 1");
  return { write, repeats, sizes };
}

const fps = (x: number) => x.toFixed(0);
const times = (x: number) => `${x.toFixed(2)}×`;
const ms = (x: number) => (x * 1000).toFixed(1);

async function main(): Promise<void> {
  const { write, repeats, sizes } = parseArgs(Deno.args);
  try {
    cpuSeconds();
  } catch {
    throw new Error("run with --allow-all (deno task bench): CPU times are read from /proc");
  }
  const ffmpeg = locateFfmpeg();
  const python = await findPython();
  const clip = await carClip(ffmpeg, 1920, 1080, 25);
  const info = await probe(clip);
  if (!info.frameCount) throw new Error(`${clip}: unknown frame count`);
  const ctx: Context = { ffmpeg, clip, info, python };
  const frames = info.frameCount;
  const kinds = KINDS.filter((k) => python || !k.startsWith("opencv"));

  // warm up: page cache, JIT, the Python imports
  await measure("oursBgr", ctx, sizes[0]);
  if (python) await measure("opencvBgr", ctx, sizes[0]);

  const samples = new Map<string, Sample[]>();
  const key = (kind: Kind, size: readonly [number, number]) => `${kind}@${sizeKey(size)}`;
  const loadBefore = loadAverage();
  const began = performance.now();
  for (let round = 0; round < repeats; round++) {
    const tasks = sizes.flatMap((size) => kinds.map((kind) => ({ kind, size })));
    for (const { kind, size } of round % 2 ? tasks.reverse() : tasks) {
      const s = await measure(kind, ctx, size);
      samples.set(key(kind, size), [...(samples.get(key(kind, size)) ?? []), s]);
      console.error(
        `round ${round + 1}/${repeats} ${sizeKey(size).padEnd(9)} ${plain(kind).padEnd(17)} ` +
          `${fps(frames / s.seconds).padStart(4)} fps ${
            ms(s.cpu / frames).padStart(5)
          } ms CPU/frame ` +
          `${s.rss.toFixed(0).padStart(4)} MiB`,
      );
    }
  }
  const wall = (performance.now() - began) / 1000;
  const loadAfter = loadAverage();

  const of = (kind: Kind, size: readonly [number, number]) => samples.get(key(kind, size)) ?? [];
  const medFps = (kind: Kind, size: readonly [number, number]) =>
    median(of(kind, size).map((s) => frames / s.seconds));
  const medCpu = (kind: Kind, size: readonly [number, number]) =>
    median(of(kind, size).map((s) => s.cpu / frames));
  const medRss = (kind: Kind, size: readonly [number, number]) =>
    median(of(kind, size).map((s) => s.rss));
  const paired = (top: Kind, bottom: Kind, size: readonly [number, number]) => {
    const x = of(top, size);
    const y = of(bottom, size);
    return median(x.map((s, i) => y[i].seconds / s.seconds));
  };

  const table: string[] = [
    "| output | ffmpeg → -f null | ffmpeg \\| cat | opencv bgr24 | ours bgr24 | **bgr24 ratio** | opencv rgb24 | ours rgb24 | **rgb24 ratio** | ours yuv420p | yuv420p / opencv bgr24 | ours 1 run/s |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  const verdicts: string[] = [];
  for (const size of sizes) {
    const cell = (kind: Kind) => (of(kind, size).length ? fps(medFps(kind, size)) : "–");
    const ratio = (top: Kind, bottom: Kind) =>
      of(bottom, size).length ? times(paired(top, bottom, size)) : "–";
    table.push(
      `| ${sizeKey(size)} | ${cell("null")} | ${cell("cat")} | ${cell("opencvBgr")} | ${
        cell("oursBgr")
      } | **${ratio("oursBgr", "opencvBgr")}** | ${cell("opencvRgb")} | ${cell("oursRgb")} | **${
        ratio("oursRgb", "opencvRgb")
      }** | ${cell("oursYuv")} | ${ratio("oursYuv", "opencvBgr")} | ${cell("oursSparse")} |`,
    );
    if (python) {
      for (const [ours, theirs] of [["oursBgr", "opencvBgr"], ["oursRgb", "opencvRgb"]] as const) {
        const r = paired(ours, theirs, size);
        verdicts.push(
          `${sizeKey(size)} ${plain(ours).slice(5)} ${r >= TARGET ? "meets" : "MISSES"} (${
            times(r)
          })`,
        );
      }
    }
  }
  const cpuTable: string[] = [
    "| output | measurement | frames/s | CPU ms/frame (all processes) | peak RSS MiB (sum) |",
    "| --- | --- | --: | --: | --: |",
  ];
  const runsTable: string[] = [
    "| output | measurement | frames/s, each round |",
    "| --- | --- | --- |",
  ];
  for (const size of sizes) {
    for (const kind of kinds) {
      cpuTable.push(
        `| ${sizeKey(size)} | ${LABEL[kind]} | ${fps(medFps(kind, size))} | ${
          ms(medCpu(kind, size))
        } | ${medRss(kind, size).toFixed(0)} |`,
      );
      runsTable.push(
        `| ${sizeKey(size)} | ${LABEL[kind]} | ${
          of(kind, size).map((s) => fps(frames / s.seconds)).join(", ")
        } |`,
      );
    }
  }
  console.log(table.join("\n"));
  console.log();
  console.log(cpuTable.join("\n"));
  console.log(`\ntarget ours ≥ ${TARGET}× opencv: ${verdicts.join("; ") || "no opencv column"}`);
  console.log(
    `(${repeats} rounds in ${wall.toFixed(0)} s; load ${loadBefore.toFixed(2)} → ${
      loadAfter.toFixed(2)
    })`,
  );
  if (!write) return;
  const section = [
    SECTION,
    "",
    "```sh",
    COMMAND,
    "```",
    "",
    // the bench itself keeps both CPUs busy: only load from before it started is other work
    ...(loadBefore > 1
      ? [
        `**Provisional**: other work was running when the bench started (1-minute load average ${
          loadBefore.toFixed(1)
        } on ${navigator.hardwareConcurrency} CPUs); re-run the command above on a quiet ` +
        "machine for figures to quote.",
        "",
      ]
      : []),
    `Measured ${new Date().toISOString().slice(0, 10)} on:`,
    "",
    ...(await machine(ffmpeg, [
      `- OpenCV: ${python ? `${python} (bench/opencv_baseline.py)` : "not found"}`,
    ])),
    `- 1-minute load average before / after: ${loadBefore.toFixed(2)} / ${
      loadAfter.toFixed(2)
    }; ${repeats} rounds in ${wall.toFixed(0)} s`,
    "",
    `Clip: car-detection.mp4 upscaled to 1920x1080 at 25 fps (${frames} frames, H.264 ` +
    "veryfast). Frames/s are clip frames per wall second, medians over the rounds; every " +
    "round runs every measurement of every size back to back, in alternating order, and the " +
    "ratios are medians of the per-round ratios (other work on the machine slows both sides " +
    "of a round alike).",
    "",
    "- **ffmpeg → -f null**: the producer's own ffmpeg arguments, decoding, scaling and " +
    "converting to bgr24 with no pipe.",
    "- **ffmpeg | cat**: the same arguments writing raw bgr24 into `cat > /dev/null`: what a C " +
    "reader gets through the pipe, the ceiling of spawn-and-pipe.",
    "- **opencv**: bench/opencv_baseline.py, the Python original's loop: `cv2.VideoCapture` " +
    "decoding in-process, `cv2.resize` (INTER_LINEAR) when the size differs, " +
    "`cv2.cvtColor` for rgb24, and a no-op per frame.",
    "- **ours**: `Inference` + `Player` + `FFmpegProducer` with a no-op algorithm run on every " +
    "frame (`interval` 1/fps). **yuv420p** pipes 1.5 bytes per pixel and converts nothing " +
    "(the no-op never asks for RGB); **1 run/s** is bgr24 with `interval` 1 (ffmpeg " +
    "`select`s only the frames read).",
    "",
    table.join("\n"),
    "",
    `Target: ours ≥ ${TARGET}× opencv in bgr24 and rgb24: ${verdicts.join("; ") || "–"}.`,
    "",
    "CPU per frame is the CPU time of the whole process tree (this Deno process and its " +
    "ffmpeg for ours; python; `sh`, ffmpeg and `cat`) over the clip's frames, from /proc. " +
    "Peak RSS is each process's VmHWM, sampled every 100 ms, summed over the tree.",
    "",
    cpuTable.join("\n"),
    "",
    "<details><summary>All rounds</summary>",
    "",
    runsTable.join("\n"),
    "",
    "</details>",
    "",
  ].join("\n");
  await writeSection(SECTION, section);
  console.error("wrote BENCHMARKS.md");
}

if (import.meta.main) await main();
