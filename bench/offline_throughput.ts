/**
 * Offline throughput benchmark: every frame through user code, side by side with the Python
 * original's loop (OpenCV decoding in-process and resizing with `cv2.resize`), and against
 * what ffmpeg itself allows.
 *
 * The clip is car-detection.mp4 upscaled to 1920x1080 at 25 fps (754 frames). For each output
 * size, every round runs, back to back and in alternating order:
 *
 * - `null`: the producer's ffmpeg arguments for bgr24 converted by ffmpeg, to `-f null -`
 *   (decode, scale, convert; no pipe);
 * - `| cat`: the same arguments writing raw bgr24 into `cat > /dev/null`: what a C reader gets
 *   from the pipe when ffmpeg converts;
 * - `yuv | cat`: the arguments for yuv420p into `cat > /dev/null`: the pipe part of our bgr24
 *   and rgb24 frames when a spawned ffmpeg reads for this process (`decoding: "ffmpeg"`);
 * - `opencv bgr24` / `opencv rgb24`: bench/opencv_baseline.py (cv2.VideoCapture, cv2.resize
 *   INTER_LINEAR, cv2.cvtColor for rgb24, a no-op per frame);
 * - `ours bgr24` / `ours rgb24`: the pipeline (`Inference` + `Player` + `FFmpegProducer`) with a
 *   no-op algorithm run on every frame (`interval` 1/fps), decoding in this process (the
 *   default, `decoding: "auto"`);
 * - `ours bgr24, spawned ffmpeg` / `ours rgb24, spawned ffmpeg`: the same with
 *   `decoding: "ffmpeg"` (ffmpeg pipes yuv420p, this process converts);
 * - `ours yuv420p`: yuv420p frames (the no-op never asks for RGB, so nothing is converted);
 * - `ours 1 run/s`: bgr24, `interval` 1: only the pictures read are resized and converted.
 *
 * Both sides are timed the same way: from opening the source (our probe and decoder;
 * `cv2.VideoCapture`) to the last frame, without the runtime's start-up or imports. Frames/s
 * are clip frames per such second. CPU seconds per frame cover the whole process tree over
 * that span (this process and its ffmpeg for ours; the Python process's own count for OpenCV;
 * the waited-for children for the ffmpeg-only rows, start-up included), and peak RSS is summed
 * over the processes. Ratios are medians of per-round ratios.
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
import {
  carClip,
  cpuSeconds,
  findPython,
  opencvArgs,
  opencvResult,
  PeakRss,
  run,
} from "./tools.ts";

const ALL_SIZES: readonly [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];
const SECTION = "## Offline throughput";
const COMMAND = "deno task bench --repeats=5 --write";
const TARGET = 1.1;

/** The no-op algorithm. */
class NoOp extends BaseAlgo<unknown, number> {
  run(frames: Frame[]): number {
    return frames.length;
  }
}

const KINDS = [
  "null",
  "cat",
  "catYuv",
  "opencvBgr",
  "oursBgr",
  "oursBgrSpawn",
  "opencvRgb",
  "oursRgb",
  "oursRgbSpawn",
  "oursYuv",
  "oursSparse",
] as const;

type Kind = typeof KINDS[number];

const LABEL: Record<Kind, string> = {
  null: "ffmpeg → -f null",
  cat: "ffmpeg \\| cat",
  catYuv: "ffmpeg yuv420p \\| cat",
  opencvBgr: "opencv bgr24",
  oursBgr: "ours bgr24",
  oursBgrSpawn: "ours bgr24, spawned ffmpeg",
  opencvRgb: "opencv rgb24",
  oursRgb: "ours rgb24",
  oursRgbSpawn: "ours rgb24, spawned ffmpeg",
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

function producer(
  size: readonly [number, number],
  format: PixelFormat,
  decoding: "auto" | "ffmpeg" = "auto",
): FFmpegProducer {
  return new FFmpegProducer({ width: size[0], height: size[1], format, decoding });
}

/** Runs an external command tree; its CPU is that of the waited-for children. */
async function external(binary: string, args: string[]): Promise<Sample & { out: string }> {
  const rss = new PeakRss(false);
  const cpu0 = cpuSeconds().children;
  const began = performance.now();
  let peak = 0;
  let out: string;
  try {
    out = await run(binary, args);
  } finally {
    peak = rss.stop();
  }
  const seconds = (performance.now() - began) / 1000;
  return { seconds, cpu: cpuSeconds().children - cpu0, rss: peak, out };
}

/** The OpenCV loop: its own time and CPU from opening the capture, as ours is timed. */
async function opencv(ctx: Context, size: readonly [number, number], format: "bgr24" | "rgb24") {
  const s = await external(ctx.python!, opencvArgs(ctx.clip, size, format));
  const { frames, seconds, cpu } = opencvResult(s.out);
  if (frames !== ctx.info.frameCount) throw new Error(`opencv read ${frames} frames: ${s.out}`);
  return { seconds, cpu, rss: s.rss };
}

/** The pipeline with a no-op algorithm; its CPU is this process's plus its ffmpeg's. */
async function pipeline(
  ctx: Context,
  size: readonly [number, number],
  format: PixelFormat,
  interval: number,
  decoding: "auto" | "ffmpeg" = "auto",
): Promise<Sample> {
  const inference = new Inference();
  await inference.loadAlgo(new NoOp(), { frameCount: 1, frameStep: 0, interval });
  const rss = new PeakRss(true);
  const t0 = cpuSeconds();
  const began = performance.now();
  // the probe is timed, as OpenCV's is (cv2.VideoCapture opens and probes)
  const player = new Player(producer(size, format, decoding), ctx.clip);
  await player.open();
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

function ffmpegArgs(
  ctx: Context,
  size: readonly [number, number],
  output: "null" | "pipe",
  format: PixelFormat = "bgr24",
) {
  const args = producer(size, format, "ffmpeg").args(ctx.clip, { info: ctx.info });
  if (args.at(-1) !== "pipe:1") throw new Error(`unexpected producer arguments: ${args}`);
  if (output === "pipe") return args;
  const f = args.lastIndexOf("-f");
  return [...args.slice(0, f), "-f", "null", "-"];
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function measure(kind: Kind, ctx: Context, size: readonly [number, number]) {
  switch (kind) {
    case "null":
      return await external(ctx.ffmpeg, ffmpegArgs(ctx, size, "null"));
    case "cat":
    case "catYuv": {
      const format = kind === "cat" ? "bgr24" : "yuv420p";
      const args = ffmpegArgs(ctx, size, "pipe", format);
      const line = [ctx.ffmpeg, ...args].map(shellQuote).join(" ");
      return await external("sh", ["-c", `${line} 2>/dev/null | cat > /dev/null`]);
    }
    case "opencvBgr":
      return await opencv(ctx, size, "bgr24");
    case "opencvRgb":
      return await opencv(ctx, size, "rgb24");
    case "oursBgr":
      return await pipeline(ctx, size, "bgr24", 1 / ctx.info.fps);
    case "oursBgrSpawn":
      return await pipeline(ctx, size, "bgr24", 1 / ctx.info.fps, "ffmpeg");
    case "oursRgb":
      return await pipeline(ctx, size, "rgb24", 1 / ctx.info.fps);
    case "oursRgbSpawn":
      return await pipeline(ctx, size, "rgb24", 1 / ctx.info.fps, "ffmpeg");
    case "oursYuv":
      return await pipeline(ctx, size, "yuv420p", 1 / ctx.info.fps);
    case "oursSparse":
      return await pipeline(ctx, size, "bgr24", 1);
  }
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
  if (!producer(sizes[0], "bgr24").decodesInProcess(clip, { info })) {
    throw new Error(
      "frames would come from a spawned ffmpeg: run with --allow-all and ffmpeg 5.1's libraries",
    );
  }
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
    "| output | ffmpeg → -f null | ffmpeg \\| cat | ffmpeg yuv420p \\| cat | opencv bgr24 | ours bgr24 | **bgr24 ratio** | opencv rgb24 | ours rgb24 | **rgb24 ratio** | ours yuv420p | yuv420p / opencv bgr24 | ours 1 run/s |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  const verdicts: string[] = [];
  for (const size of sizes) {
    const cell = (kind: Kind) => (of(kind, size).length ? fps(medFps(kind, size)) : "–");
    const ratio = (top: Kind, bottom: Kind) =>
      of(bottom, size).length ? times(paired(top, bottom, size)) : "–";
    table.push(
      `| ${sizeKey(size)} | ${cell("null")} | ${cell("cat")} | ${cell("catYuv")} | ${
        cell("opencvBgr")
      } | ${cell("oursBgr")} | **${ratio("oursBgr", "opencvBgr")}** | ${cell("opencvRgb")} | ${
        cell("oursRgb")
      } | **${ratio("oursRgb", "opencvRgb")}** | ${cell("oursYuv")} | ${
        ratio("oursYuv", "opencvBgr")
      } | ${cell("oursSparse")} |`,
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
  const leverTable: string[] = [
    "| output | bgr24, spawned ffmpeg | bgr24, decoded here | gain | rgb24, spawned ffmpeg | rgb24, decoded here | gain |",
    "| --- | --: | --: | --: | --: | --: | --: |",
  ];
  for (const size of sizes) {
    const cell = (kind: Kind) => fps(medFps(kind, size));
    leverTable.push(
      `| ${sizeKey(size)} | ${cell("oursBgrSpawn")} | ${cell("oursBgr")} | ${
        times(paired("oursBgr", "oursBgrSpawn", size))
      } | ${cell("oursRgbSpawn")} | ${cell("oursRgb")} | ${
        times(paired("oursRgb", "oursRgbSpawn", size))
      } |`,
    );
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
  console.log(leverTable.join("\n"));
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
      // the interpreter's name, not its path (no machine paths in BENCHMARKS.md)
      `- OpenCV: ${python ? `${python.split("/").pop()} (bench/opencv_baseline.py)` : "not found"}`,
    ])),
    `- 1-minute load average before / after: ${loadBefore.toFixed(2)} / ${
      loadAfter.toFixed(2)
    }; ${repeats} rounds in ${wall.toFixed(0)} s`,
    "",
    `Clip: car-detection.mp4 upscaled to 1920x1080 at 25 fps (${frames} frames, H.264 ` +
    "veryfast). Both sides are timed alike: from opening the source (our probe and " +
    "decoder; `cv2.VideoCapture`) to the last frame, without the runtime's start-up or " +
    "imports. Frames/s are clip frames per such second, medians over the rounds; every round " +
    "runs every measurement of every size back to back, in alternating order, and the ratios " +
    "are medians of the per-round ratios (other work on the machine slows both sides of a " +
    "round alike).",
    "",
    "- **ffmpeg → -f null**: the producer's ffmpeg arguments for bgr24 converted by ffmpeg, " +
    "decoding, scaling and converting with no pipe.",
    "- **ffmpeg | cat**: the same arguments writing raw bgr24 into `cat > /dev/null`: what a C " +
    "reader gets through the pipe when ffmpeg converts.",
    "- **ffmpeg yuv420p | cat**: the arguments for yuv420p (1.5 bytes per pixel) into `cat`: " +
    "the ceiling of a spawned ffmpeg's pipe for our bgr24 and rgb24 frames " +
    '(`decoding: "ffmpeg"`).',
    "- **opencv**: bench/opencv_baseline.py, the Python original's loop: `cv2.VideoCapture` " +
    "decoding in-process, `cv2.resize` (INTER_LINEAR) when the size differs, " +
    "`cv2.cvtColor` for rgb24, and a no-op per frame.",
    "- **ours**: `Inference` + `Player` + `FFmpegProducer` with a no-op algorithm run on every " +
    'frame (`interval` 1/fps), decoding in this process (`decoding: "auto"`, the default): ' +
    "libavformat and libavcodec through FFI, libswscale resizing (`area`, the default) and " +
    "converting. **yuv420p** frames are " +
    "resized only (the no-op never asks for RGB); **1 run/s** is bgr24 with `interval` 1 " +
    "(only the pictures read are resized and converted).",
    "",
    table.join("\n"),
    "",
    `Target: ours ≥ ${TARGET}× opencv in bgr24 and rgb24: ${verdicts.join("; ") || "–"}.`,
    "",
    "The decoding lever, in the same rounds: our pipeline reading from a spawned ffmpeg " +
    '(`decoding: "ffmpeg"`: ffmpeg decodes and resizes, pipes yuv420p, and this process ' +
    "converts) against decoding here (the default):",
    "",
    leverTable.join("\n"),
    "",
    "CPU per frame is the CPU time of the whole process tree (this Deno process, and its " +
    "ffmpeg when spawned, for ours; python; `sh`, ffmpeg and `cat`) over the clip's frames, " +
    "from /proc. " +
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
