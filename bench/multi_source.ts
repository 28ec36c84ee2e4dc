/**
 * Many-sources benchmark: several paced files in one realtime `Inference`, sharing one pool of
 * algorithm instances.
 *
 * 1. **YOLO on four 1280x720 25 fps files** (`plugins/yolo/mod.ts` on
 *    `STREAM_INFER_TEST_MODEL`, `instances: 2`; skipped when the variable is unset). Reports
 *    total runs/s and its ratio to the ceiling of the same round (two 1-thread bare
 *    `session.run` loops side by side over ready input tensors, bench/fixtures/bare_worker.ts,
 *    as in bench/yolo_offline.ts), the runs of each source and their largest deviation from
 *    the mean (target ±15%), the frames the players dropped, and the RSS, also of the same
 *    setup with one source (target RSS(4) ≤ RSS(1) + 4 frame rings, a ring being its capacity
 *    from `metrics().sources[id].ring` × width × height × 3). Both with frames piped at
 *    1280x720 and with ffmpeg scaling them to 640x360.
 * 2. **Motion on sixteen 640x360 25 fps files** (`plugins/motion.ts`, interval 0.2): frames
 *    dropped per source (target 0), CPU seconds per source per second (this process and its
 *    ffmpeg children) and RSS.
 *
 * The clips are the car clip (`STREAM_INFER_BENCH_CLIP`, default the shared
 * car-detection.mp4 next to this repository) looped, resized and re-encoded to 25 fps once
 * into `STREAM_INFER_BENCH_DIR` (default `<tmp>/stream-infer-bench`); each source starts at a
 * different position so that their content differs. Every measurement runs in its own process
 * (bench/fixtures/ms_run.ts): a warm-up, then the measured window, then `stop()`. Rounds
 * interleave every measurement (in reversed order every other round); the tables show medians.
 *
 *   deno task bench:multi [--seconds N] [--rounds N] [--warmup N] [--only yolo,motion]
 *     [--write]
 *
 * `--seconds 5 --rounds 1` is a quick smoke run. `--write` rewrites the "## Many sources"
 * section of BENCHMARKS.md; without it the section is printed.
 *
 * @module
 */
import { locateFfmpeg, probe } from "../mod.ts";
import type { MsAlgo, MsResult, MsSpec } from "./fixtures/ms_run.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { cachedClip, isFile } from "./tools.ts";

const SECTION = "## Many sources";
const ROOT = new URL("../", import.meta.url);
const RUNNER = new URL("./fixtures/ms_run.ts", import.meta.url);
const YOLO_PLUGIN = new URL("../plugins/yolo/mod.ts", import.meta.url);
const MOTION_PLUGIN = new URL("../plugins/motion.ts", import.meta.url);
const DEFAULT_CLIP = new URL("../../shared/media/car-detection.mp4", import.meta.url);
const FPS = 25;
/** Part 1: sources, their size, the YOLO schedule and pool. */
const YOLO = { sources: 4, width: 1280, height: 720, interval: 0.02, instances: 2 };
/** Part 2: sources, their size, the motion schedule and options. */
const MOTION = {
  sources: 16,
  width: 640,
  height: 360,
  interval: 0.2,
  options: { width: 160, threshold: 25 },
};
/** Part 1's producer outputs: the clip's size, and scaled inside ffmpeg. */
const VARIANTS = [
  { key: "full", width: 1280, height: 720, label: "1280x720 (as decoded)" },
  { key: "scaled", width: 640, height: 360, label: "640x360 (scaled by ffmpeg)" },
] as const;
type VariantKey = (typeof VARIANTS)[number]["key"];
/** Fairness target: each source's runs within this fraction of the mean. */
const FAIR = 0.15;
/** Target: total runs/s as a share of the two bare loops of the same round. */
const RATIO = 0.9;
const MiB = 1024 * 1024;

// ---- arguments ----------------------------------------------------------------------------

interface Args {
  seconds: number;
  warmup: number;
  rounds: number;
  only: Set<string>;
  write: boolean;
}

function parseArgs(args: string[]): Args {
  const out: Args = {
    seconds: 30,
    warmup: 5,
    rounds: 3,
    only: new Set(["yolo", "motion"]),
    write: false,
  };
  const positive = (flag: string, value: string | undefined, integer = false): number => {
    const n = Number(value);
    if (value === undefined || !(n > 0) || (integer && !Number.isInteger(n))) {
      throw new Error(`${flag} needs ${integer ? "an integer" : "a number"} > 0`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case "--write":
        out.write = true;
        break;
      case "--seconds":
        out.seconds = positive(flag, value());
        break;
      case "--warmup":
        out.warmup = positive(flag, value());
        break;
      case "--rounds":
        out.rounds = positive(flag, value(), true);
        break;
      case "--only": {
        out.only = new Set(value().split(","));
        for (const part of out.only) {
          if (part !== "yolo" && part !== "motion") throw new Error(`unknown part ${part}`);
        }
        break;
      }
      default:
        throw new Error(
          `unknown argument ${args[i]} (use --seconds N, --warmup N, --rounds N, ` +
            "--only yolo,motion, --write)",
        );
    }
  }
  return out;
}

// ---- clips --------------------------------------------------------------------------------

/**
 * The car clip looped to at least `seconds`, resized to `width`x`height` at 25 fps (libx264
 * veryfast, a keyframe every 2 s so that the sources' seeks are cheap), cached by size and
 * length (at least 120 s, so that runs of up to about a minute share one clip).
 */
function ensureClip(
  ffmpeg: string,
  source: string,
  width: number,
  height: number,
  seconds: number,
): Promise<string> {
  const length = Math.max(120, Math.ceil(seconds / 30) * 30);
  const name = (source.split("/").at(-1) ?? "clip").replace(/\.[^.]*$/, "");
  return cachedClip(
    ffmpeg,
    `${name}-${width}x${height}-${FPS}fps-${length}s-g${2 * FPS}-x264.mp4`,
    [
      "-stream_loop",
      "-1",
      "-i",
      source,
      "-t",
      String(length),
      "-an",
      "-vf",
      `fps=${FPS},scale=${width}:${height}:flags=bicubic`,
      "-g",
      String(2 * FPS),
    ],
  );
}

/** Start positions of `n` sources spread over one pass of the source content. */
const offsetsOf = (n: number, content: number) =>
  Array.from({ length: n }, (_, k) => Math.round((k * content / n) * 100) / 100);

// ---- one measurement, in its own process --------------------------------------------------

/** Whether a process with this pid exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function measure(spec: MsSpec, timeoutS: number): Promise<MsResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", RUNNER.pathname, JSON.stringify(spec)],
    cwd: ROOT.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => {
    console.error(`multi_source: measurement over ${timeoutS} s: killing it`);
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, timeoutS * 1000);
  const [text, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
  clearTimeout(timer);
  if (!status.success) throw new Error(`measurement failed (exit ${status.code})`);
  const result = JSON.parse(text.trim().split("\n").at(-1) ?? "") as MsResult;
  if (result.kind === "pipeline") {
    const left = result.ffmpegPids.filter(alive);
    if (left.length) throw new Error(`ffmpeg still running after the measurement: ${left}`);
  }
  return result;
}

// ---- numbers ------------------------------------------------------------------------------

type Pipeline = Extract<MsResult, { kind: "pipeline" }>;
type Ceiling = Extract<MsResult, { kind: "ceiling" }>;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const srcs = (r: Pipeline) => Object.values(r.sources);
const runsPerS = (r: Pipeline) => sum(srcs(r).map((s) => s.runs)) / r.window;
/** Largest deviation of a source's runs from the mean over the sources, as a fraction. */
function maxDeviation(r: Pipeline): number {
  const runs = srcs(r).map((s) => s.runs);
  const mean = sum(runs) / runs.length;
  return mean > 0 ? Math.max(...runs.map((x) => Math.abs(x - mean) / mean)) : NaN;
}
/** Sources that were not playing any more at the end of the window (failed or ended). */
const notPlaying = (r: Pipeline) => srcs(r).filter((s) => s.state !== "playing").length;
const errors = (r: Pipeline) => sum(srcs(r).map((s) => s.errors));
const dropped = (r: Pipeline) => sum(srcs(r).map((s) => s.dropped));
const read = (r: Pipeline) => sum(srcs(r).map((s) => s.read));
const droppedTotal = (r: Pipeline) => sum(srcs(r).map((s) => s.droppedTotal));
const readTotal = (r: Pipeline) => sum(srcs(r).map((s) => s.readTotal));
const cores = (r: Pipeline) => (r.cpu.deno + r.cpu.ffmpeg) / r.window;
const ringBytes = (r: Pipeline) => Math.max(...srcs(r).map((s) => s.ring)) * r.frameBytes;

const f0 = (x: number) => Number.isFinite(x) ? x.toFixed(0) : "–";
const f1 = (x: number) => Number.isFinite(x) ? x.toFixed(1) : "–";
const f2 = (x: number) => Number.isFinite(x) ? x.toFixed(2) : "–";
const f3 = (x: number) => Number.isFinite(x) ? x.toFixed(3) : "–";
const ratio = (x: number) => Number.isFinite(x) ? `${x.toFixed(3)}×` : "–";
const pct = (x: number) => Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "–";
const mb = (bytes: number) => f0(bytes / MiB);
const ms = (x: number | null) => x === null ? "–" : f1(x);
const list = (xs: string[]) => xs.join(", ");
const verdict = (ok: boolean) => ok ? "met" : "**missed**";
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

function ortVersion(): Promise<string> {
  return Deno.readTextFile(new URL("node_modules/onnxruntime-node/package.json", ROOT))
    .then((t) => JSON.parse(t).version as string).catch(() => "?");
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  const ffmpeg = locateFfmpeg();
  const model = Deno.env.get("STREAM_INFER_TEST_MODEL") || undefined;
  if (model && !(await isFile(model))) throw new Error(`STREAM_INFER_TEST_MODEL: no file ${model}`);
  const source = Deno.env.get("STREAM_INFER_BENCH_CLIP") ?? DEFAULT_CLIP.pathname;
  if (!(await isFile(source))) {
    throw new Error(`no clip at ${source}: set STREAM_INFER_BENCH_CLIP to a video file`);
  }
  const sourceInfo = await probe(source);
  const content = sourceInfo.duration ?? 30;
  const yoloOffsets = offsetsOf(YOLO.sources, content);
  const motionOffsets = offsetsOf(MOTION.sources, content);
  const margin = 15; // ffmpeg start-up and stop, beyond warm-up + window
  const doYolo = args.only.has("yolo") && model !== undefined;
  const doMotion = args.only.has("motion");
  const length = (offsets: number[]) => args.warmup + args.seconds + Math.max(...offsets) + margin;
  const yoloClip = doYolo
    ? await ensureClip(ffmpeg, source, YOLO.width, YOLO.height, length(yoloOffsets))
    : "";
  const motionClip = doMotion
    ? await ensureClip(ffmpeg, source, MOTION.width, MOTION.height, length(motionOffsets))
    : "";

  const loadBefore = loadAverage();
  if (loadBefore > 0.5) {
    console.error(
      `warning: 1-minute load average ${loadBefore.toFixed(2)}: other work on the machine ` +
        "will show up in the numbers",
    );
  }

  const yoloAlgo: MsAlgo = {
    plugin: YOLO_PLUGIN.href,
    name: "yolo",
    interval: YOLO.interval,
    instances: YOLO.instances,
    options: { model },
    permissions: { ffi: true, read: model ? [model] : [] },
  };
  const motionAlgo: MsAlgo = {
    plugin: MOTION_PLUGIN.href,
    name: "motion",
    interval: MOTION.interval,
    instances: 1,
    options: MOTION.options,
  };
  // Ceiling: 2 bare loops, about half the window long.
  const runsPerLoop = Math.max(10, Math.ceil(4 * args.seconds));
  type Job = { key: string; spec: MsSpec };
  const jobs: Job[] = [];
  if (doYolo) {
    jobs.push({
      key: "ceiling",
      spec: {
        kind: "ceiling",
        clip: yoloClip,
        width: YOLO.width,
        height: YOLO.height,
        model: model!,
        loops: YOLO.instances,
        runsPerLoop,
        warmupRuns: 3,
      },
    });
    for (const v of VARIANTS) {
      for (const n of [1, YOLO.sources]) {
        jobs.push({
          key: `${v.key}/${n}`,
          spec: {
            kind: "pipeline",
            clip: yoloClip,
            offsets: yoloOffsets.slice(0, n),
            width: v.width,
            height: v.height,
            fps: FPS,
            algo: yoloAlgo,
            warmup: args.warmup,
            seconds: args.seconds,
          },
        });
      }
    }
  }
  if (doMotion) {
    jobs.push({
      key: "motion",
      spec: {
        kind: "pipeline",
        clip: motionClip,
        offsets: motionOffsets,
        width: MOTION.width,
        height: MOTION.height,
        fps: FPS,
        algo: motionAlgo,
        warmup: args.warmup,
        seconds: args.seconds,
      },
    });
  }

  const results = new Map<string, MsResult[]>();
  const timeout = args.warmup + args.seconds + 180;
  for (let round = 0; round < args.rounds; round++) {
    const order = round % 2 === 0 ? jobs : [...jobs].reverse();
    for (const job of order) {
      const r = await measure(job.spec, timeout);
      results.set(job.key, [...(results.get(job.key) ?? []), r]);
      console.error(
        `round ${round + 1}/${args.rounds} ${job.key.padEnd(9)} ` +
          (r.kind === "ceiling"
            ? `${f2(r.runs / r.seconds)} runs/s (bare, ${r.runs} runs)`
            : `${f2(runsPerS(r))} runs/s, dropped ${dropped(r)}/${read(r)}, ` +
              `RSS ${mb(r.rss.median)} MiB, CPU ${f2(cores(r))} cores` +
              (r.unhandled ? `, ${r.unhandled} unhandled rejections` : "") +
              (notPlaying(r) ? `, ${notPlaying(r)} sources not playing at the end` : "")) +
          ` (load ${loadAverage().toFixed(2)})`,
      );
    }
  }
  const loads = `${loadBefore.toFixed(2)} / ${loadAverage().toFixed(2)}`;

  const out: string[] = [];
  const pipe = (key: string) => results.get(key) as Pipeline[];
  const ceilings = doYolo ? (results.get("ceiling") as Ceiling[]) : [];
  const ceilingRate = (i: number) => ceilings[i].runs / ceilings[i].seconds;
  const medianOf = (key: string, f: (r: Pipeline) => number) => median(pipe(key).map(f));
  const perRound = (key: string, f: (r: Pipeline) => string) => list(pipe(key).map(f));
  const toCeiling = (key: string) => pipe(key).map((r, i) => runsPerS(r) / ceilingRate(i));

  out.push(
    "| setting | value |",
    "| --- | --- |",
    `| source content | \`${
      source.split("/").at(-1)
    }\` (${sourceInfo.width}x${sourceInfo.height}, ` +
      `${sourceInfo.fps} fps, ${f2(content)} s), looped, resized and re-encoded to ${FPS} fps ` +
      `(libx264 veryfast, keyframe every 2 s) |`,
    `| mode | \`realtime\`: each file paced at ${FPS} fps; a frame more than one frame period ` +
      "late is dropped by its player |",
    `| each measurement | its own process (bench/fixtures/ms_run.ts): load, \`start()\`, ` +
      `every source playing, ${args.warmup} s warm-up, ${args.seconds} s measured window, ` +
      "`stop()` |",
    `| rounds | ${args.rounds}, every measurement once per round, reversed order every other ` +
      "round; medians over the rounds |",
    "| runs, skipped, dropped, read | differences of `inference.metrics()` between the start " +
      "and the end of the window; *whole run*: from `start()` to `stop()` |",
    "| memory | RSS: `Deno.memoryUsage().rss` of the measuring process (workers included), " +
      "median of 1 s samples over the window; ffmpeg PSS: sum of the children's proportional " +
      "set sizes (`/proc/<pid>/smaps_rollup`: shared pages divided among their sharers) at " +
      "the end of the window |",
    "| CPU | utime + stime over the window: the measuring process (/proc/self/stat, all " +
      "threads; its main thread from /proc/self/task) and its ffmpeg children " +
      "(`/proc/<pid>/stat`) |",
  );
  if (args.only.has("yolo")) {
    out.push(
      `| YOLO | \`plugins/yolo/mod.ts\`, model \`${
        model ? model.split("/").at(-1) : "–"
      }\`, \`instances: ${YOLO.instances}\`, \`frameCount\` 1, \`interval\` ${YOLO.interval}, ` +
        "permissions `{ ffi: true }` |",
      `| YOLO sources | ${YOLO.sources} files ${YOLO.width}x${YOLO.height}, starting at ` +
        `${list(yoloOffsets.map(String))} s; 1-source runs start at 0 s |`,
      `| ceiling | ${YOLO.instances} bare \`session.run\` loops side by side ` +
        "(bench/fixtures/bare_worker.ts), one worker and one session each with " +
        `\`yoloSessionOptions({}, ${YOLO.instances})\`, over 8 letterboxed frames of the ` +
        `clip; ${runsPerLoop} runs per loop after 3 warm-up runs, measured in every round |`,
    );
  }
  if (doMotion) {
    out.push(
      `| motion | \`plugins/motion.ts\`, options \`${JSON.stringify(MOTION.options)}\`, ` +
        `1 instance, \`frameCount\` 1, \`interval\` ${MOTION.interval} |`,
      `| motion sources | ${MOTION.sources} files ${MOTION.width}x${MOTION.height}, producer ` +
        `output ${MOTION.width}x${MOTION.height}, starting at ${
          list(motionOffsets.map(String))
        } s |`,
    );
  }
  out.push("");

  // ---- 1 ----
  out.push(
    `### 1. YOLO, ${YOLO.sources} paced ${YOLO.width}x${YOLO.height} ${FPS} fps files, ` +
      `\`instances: ${YOLO.instances}\``,
    "",
  );
  const targets: string[][] = [];
  if (!args.only.has("yolo")) {
    out.push("Not run (`--only`).", "");
  } else if (!model) {
    out.push("Skipped: `STREAM_INFER_TEST_MODEL` is not set.", "");
  } else {
    out.push(
      "| producer output | sources | runs/s | ceiling runs/s | **runs/s / ceiling** | " +
        "runs per source | **max deviation from mean** | dropped / read (window, all rounds) " +
        "| dropped / read (whole run, all rounds) | run p50 / p95 (ms) | lag p50 / p95 (ms) | " +
        "CPU (cores): main thread + other threads + ffmpeg | RSS (MiB) | ffmpeg PSS (MiB) | run errors (window, " +
        "all rounds) | unhandled rejections (all rounds) | sources not playing at the end (all " +
        "rounds) |",
      "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    const ceilingMedian = median(ceilings.map((_, i) => ceilingRate(i)));
    for (const v of VARIANTS) {
      for (const n of [1, YOLO.sources]) {
        const key = `${v.key}/${n}`;
        const rs = pipe(key);
        const ids = Object.keys(rs[0].sources);
        const perSource = ids.map((id) => f0(median(rs.map((r) => r.sources[id].runs))));
        out.push(row([
          v.label,
          n,
          f2(medianOf(key, runsPerS)),
          f2(ceilingMedian),
          ratio(median(toCeiling(key))),
          list(perSource),
          n > 1 ? pct(medianOf(key, maxDeviation)) : "–",
          `${sum(rs.map(dropped))} / ${sum(rs.map(read))}`,
          `${sum(rs.map(droppedTotal))} / ${sum(rs.map(readTotal))}`,
          `${ms(median(rs.map((r) => r.runMs.p50 ?? NaN)))} / ${
            ms(median(rs.map((r) => r.runMs.p95 ?? NaN)))
          }`,
          `${ms(median(rs.map((r) => r.lagMs.p50 ?? NaN)))} / ${
            ms(median(rs.map((r) => r.lagMs.p95 ?? NaN)))
          }`,
          `${f2(medianOf(key, (r) => r.cpu.main / r.window))} + ${
            f2(medianOf(key, (r) => (r.cpu.deno - r.cpu.main) / r.window))
          } + ${f2(medianOf(key, (r) => r.cpu.ffmpeg / r.window))}`,
          mb(medianOf(key, (r) => r.rss.median)),
          mb(medianOf(key, (r) => r.ffmpegPss)),
          sum(rs.map(errors)),
          sum(rs.map((r) => r.unhandled)),
          sum(rs.map(notPlaying)),
        ]));
      }
    }
    out.push(
      "",
      "| producer output | frame (MiB) | ring (frames) | 4 rings (MiB) | RSS(1) (MiB) | RSS(4) (MiB) " +
        "| RSS(1) + 4 rings (MiB) | RSS(4) − RSS(1) (MiB) | per added source (MiB) | per added " +
        "source (frames) | **RSS(4) ≤ RSS(1) + 4 rings** |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const v of VARIANTS) {
      const one = pipe(`${v.key}/1`);
      const four = pipe(`${v.key}/${YOLO.sources}`);
      const frame = four[0].frameBytes;
      const ring = Math.max(...srcs(four[0]).map((s) => s.ring));
      const rings = YOLO.sources * ringBytes(four[0]);
      const rss1 = median(one.map((r) => r.rss.median));
      const rss4 = median(four.map((r) => r.rss.median));
      const added = (rss4 - rss1) / (YOLO.sources - 1);
      const ok = rss4 <= rss1 + rings;
      out.push(row([
        v.label,
        f2(frame / MiB),
        ring,
        f1(rings / MiB),
        mb(rss1),
        mb(rss4),
        mb(rss1 + rings),
        f0((rss4 - rss1) / MiB),
        f1(added / MiB),
        f1(added / frame),
        verdict(ok),
      ]));
      const ratios = toCeiling(`${v.key}/${YOLO.sources}`);
      targets.push(
        [
          `${v.label}: total runs/s ≥ ${RATIO}× the two-instance bare loop (same round)`,
          `${median(ratios).toFixed(3)}× (rounds: ${ratios.map((r) => r.toFixed(3)).join(", ")})`,
          verdict(median(ratios) >= RATIO),
        ],
        [
          `${v.label}: each source's runs within ±${FAIR * 100}% of the mean`,
          `max deviation ${pct(median(pipe(`${v.key}/${YOLO.sources}`).map(maxDeviation)))} ` +
          `(rounds: ${perRound(`${v.key}/${YOLO.sources}`, (r) => pct(maxDeviation(r)))})`,
          verdict(median(pipe(`${v.key}/${YOLO.sources}`).map(maxDeviation)) <= FAIR),
        ],
        [
          `${v.label}: RSS(4) ≤ RSS(1) + 4 rings`,
          `${mb(rss4)} MiB vs ${mb(rss1)} + ${f1(rings / MiB)} MiB`,
          verdict(ok),
        ],
      );
    }
    out.push(
      "",
      "| round | measurement | runs/s | / ceiling of the round | max deviation | runs per source " +
        "| dropped / read (window) | CPU (cores) | RSS (MiB) | all sources playing after (s) |",
      "| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    );
    for (let i = 0; i < args.rounds; i++) {
      const c = ceilings[i];
      out.push(row([
        i + 1,
        `ceiling: ${YOLO.instances} bare loops (median \`session.run\` ${f1(c.stepMs)} ms)`,
        f2(ceilingRate(i)),
        "–",
        "–",
        "–",
        "–",
        "–",
        mb(c.rss),
        "–",
      ]));
      for (const v of VARIANTS) {
        for (const n of [1, YOLO.sources]) {
          const key = `${v.key}/${n}`;
          const r = pipe(key)[i];
          out.push(row([
            i + 1,
            `${v.label}, ${n} source${n > 1 ? "s" : ""}`,
            f2(runsPerS(r)),
            ratio(toCeiling(key)[i]),
            n > 1 ? pct(maxDeviation(r)) : "–",
            list(srcs(r).map((s) => String(s.runs))),
            `${dropped(r)} / ${read(r)}`,
            f2(cores(r)),
            mb(r.rss.median),
            f1(r.openAfter),
          ]));
        }
      }
    }
    out.push("");
  }

  // ---- 2 ----
  out.push(
    `### 2. Motion, ${MOTION.sources} paced ${MOTION.width}x${MOTION.height} ${FPS} fps files`,
    "",
  );
  if (!doMotion) {
    out.push("Not run (`--only`).", "");
  } else {
    const rs = pipe("motion");
    const n = MOTION.sources;
    const perSourceCpu = (r: Pipeline, part: "deno" | "ffmpeg" | "both") =>
      (part === "both" ? r.cpu.deno + r.cpu.ffmpeg : r.cpu[part]) / r.window / n;
    out.push(
      "| round | runs/s (all sources) | skipped/s | **dropped** / read (window) | dropped / " +
        "read (whole run) | sources with drops | all playing after (s) | **CPU s per source " +
        "per s**: process + ffmpeg = total | RSS (MiB) | ffmpeg PSS (MiB): all / per source | " +
        "run errors (window) | unhandled rejections | sources not playing at the end |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    const line = (label: string, pick: (f: (r: Pipeline) => number) => number) =>
      row([
        label,
        f1(pick(runsPerS)),
        f1(pick((r) => sum(srcs(r).map((s) => s.skipped)) / r.window)),
        `${f0(pick(dropped))} / ${f0(pick(read))}`,
        `${f0(pick(droppedTotal))} / ${f0(pick(readTotal))}`,
        f0(pick((r) => srcs(r).filter((s) => s.droppedTotal > 0).length)),
        f1(pick((r) => r.openAfter)),
        `${f3(pick((r) => perSourceCpu(r, "deno")))} + ${
          f3(pick((r) => perSourceCpu(r, "ffmpeg")))
        } = ${f3(pick((r) => perSourceCpu(r, "both")))}`,
        mb(pick((r) => r.rss.median)),
        `${mb(pick((r) => r.ffmpegPss))} / ${f1(pick((r) => r.ffmpegPss / n) / MiB)}`,
        f0(pick(errors)),
        f0(pick((r) => r.unhandled)),
        f0(pick(notPlaying)),
      ]);
    rs.forEach((r, i) => out.push(line(String(i + 1), (f) => f(r))));
    if (rs.length > 1) out.push(line("median", (f) => median(rs.map(f))));
    out.push(
      "",
      "| source | starts at (s) | read (window), per round | dropped (window), per round | " +
        "dropped (whole run), per round | runs (window), per round | state at the end, per " +
        "round |",
      "| --- | ---: | --- | --- | --- | --- | --- |",
    );
    for (const id of Object.keys(rs[0].sources)) {
      const each = (f: (s: Pipeline["sources"][string]) => number) =>
        list(rs.map((r) => String(f(r.sources[id]))));
      out.push(row([
        id,
        rs[0].sources[id].offset,
        each((s) => s.read),
        each((s) => s.dropped),
        each((s) => s.droppedTotal),
        each((s) => s.runs),
        list(rs.map((r) => r.sources[id].state)),
      ]));
    }
    out.push("");
    targets.push([
      `${n} sources: no frame dropped by the players, in the measured windows`,
      `${sum(rs.map(dropped))} of ${sum(rs.map(read))} read`,
      verdict(sum(rs.map(dropped)) === 0),
    ], [
      `${n} sources: no frame dropped by the players, from \`start()\` (start-up included)`,
      `${sum(rs.map(droppedTotal))} of ${sum(rs.map(readTotal))} read`,
      verdict(sum(rs.map(droppedTotal)) === 0),
    ]);
  }

  const all = [...results.values()].flat().filter((r): r is Pipeline => r.kind === "pipeline");
  if (all.length) {
    const stopped = all.flatMap((r) => srcs(r).filter((s) => s.state !== "playing"));
    const why = stopped.find((s) => s.error)?.error;
    targets.push([
      "every source still playing at the end of its window",
      `${stopped.length} of ${sum(all.map((r) => srcs(r).length))} sources were not` +
      (why ? ` (first: \`${why.replaceAll("|", "\\|").replaceAll("`", "'")}\`)` : ""),
      verdict(stopped.length === 0),
    ]);
    targets.push([
      "no run ended in an error (in the measured windows)",
      `${sum(all.map(errors))} errors in ${
        all.filter((r) => errors(r)).length
      } of ${all.length} runs`,
      verdict(sum(all.map(errors)) === 0),
    ]);
    const first = all.find((r) => r.firstUnhandled)?.firstUnhandled;
    const count = sum(all.map((r) => r.unhandled));
    targets.push([
      "no unhandled rejection in any run (each would end a process that does not catch it)",
      `${count} in ${all.filter((r) => r.unhandled).length} of ${all.length} runs` +
      (first ? ` (first: \`${first.replaceAll("|", "\\|").replaceAll("`", "'")}\`)` : ""),
      verdict(count === 0),
    ]);
  }
  if (targets.length) {
    out.push("### Targets", "", "| target | measured | |", "| --- | --- | --- |");
    for (const t of targets) out.push(row(t));
    out.push("");
  }

  const flags = [
    ...(args.seconds !== 30 ? [`--seconds ${args.seconds}`] : []),
    ...(args.warmup !== 5 ? [`--warmup ${args.warmup}`] : []),
    ...(args.rounds !== 3 ? [`--rounds ${args.rounds}`] : []),
    ...(args.only.size !== 2 ? [`--only ${[...args.only].join(",")}`] : []),
  ].join(" ");
  const command = `deno task bench:multi${flags ? ` ${flags}` : ""}`;
  const section = [
    SECTION,
    "",
    "```sh",
    `STREAM_INFER_TEST_MODEL=path/to/yolov8n_int8.onnx ${command}          # prints this section`,
    `STREAM_INFER_TEST_MODEL=path/to/yolov8n_int8.onnx ${command} --write  # also rewrites it`,
    "```",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on:`,
    "",
    ...(await machine(ffmpeg, [
      `- onnxruntime-node ${await ortVersion()} (CPU execution provider)`,
    ])),
    `- 1-minute load average before / after the runs: ${loads}`,
    "",
    ...out,
  ].join("\n");
  if (args.write) {
    await writeSection(SECTION, section);
    console.error(`wrote ${new URL("BENCHMARKS.md", ROOT).pathname}`);
  } else {
    console.log(section);
  }
}

if (import.meta.main) await main();
