/**
 * Offline throughput benchmark: how close the offline pipeline (`Inference` + `Player` +
 * `FFmpegProducer`) gets to what the spawned-ffmpeg design allows.
 *
 * For each output size it measures, on a generated 1920x1080 H.264 clip:
 *
 * - (a) the pipe ceiling: the producer's own ffmpeg arguments (`producer.args`) writing raw
 *   frames to `pipe:1`, read by a plain default reader that only counts the bytes;
 * - (b) the decode+convert limit: the same arguments with `-f null -` (no pipe at all); and,
 *   once, plain decode (no `-vf`) to `-f null -`;
 * - the pipeline with a no-op algorithm "every frame" (interval = 1/fps: every frame is
 *   piped, the like-for-like comparison with (a)) and "1 run/s" (interval 1: the runtime
 *   asks ffmpeg only for the frames the algorithm reads).
 *
 * Frames/s are source frames per wall second (source frame count / wall time), so variants
 * that move fewer frames stay comparable. Each measurement is repeated (default 3 times,
 * alternating the order) and the median is reported; ratios are the median of per-round
 * ratios (a size's measurements run back to back within a round).
 *
 * Run: `deno task bench` (add `--write` to update this benchmark's section of BENCHMARKS.md,
 * `--repeats=N` to change the repetitions; the clip's cache dir is `STREAM_INFER_BENCH_DIR`
 * or `<tmp>/stream-infer-bench`).
 *
 * @module
 */
import {
  BaseAlgo,
  FFmpegProducer,
  type Frame,
  frameBytes,
  Inference,
  locateFfmpeg,
  Player,
  probe,
  type SourceInfo,
} from "../mod.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { ensureClip, run, stdoutOf } from "./tools.ts";

/** Output sizes measured. */
const SIZES: readonly [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];
/** The generated clip: testsrc2, 1920x1080, 25 fps, 10 s, libx264 veryfast. */
const CLIP = { width: 1920, height: 1080, fps: 25, seconds: 10 };
/** The "every frame" variant must reach this fraction of the pipe ceiling (a). */
const TARGET = 0.9;
const SECTION = "## Offline throughput";
const BENCHMARKS_MD = new URL("../BENCHMARKS.md", import.meta.url);

/** The no-op algorithm: does nothing with its frames. */
class NoOp extends BaseAlgo<unknown, number> {
  run(frames: Frame[]): number {
    return frames.length;
  }
}

type Kind = "ceiling" | "nullScaled" | "nullPlain" | "every" | "perSecond";

interface Task {
  kind: Kind;
  /** Output size; `undefined` for plain decode, which does not depend on it. */
  size?: [number, number];
}

const KIND_LABEL: Record<Kind, string> = {
  ceiling: "(a) pipe ceiling",
  nullScaled: "(b) decode+convert",
  nullPlain: "plain decode",
  every: "pipeline every frame",
  perSecond: "pipeline 1 run/s",
};

function sizeKey(size?: [number, number]): string {
  return size ? `${size[0]}x${size[1]}` : "source";
}

function taskKey(task: Task): string {
  return `${task.kind}@${sizeKey(task.size)}`;
}

function producerFor(size: [number, number]): FFmpegProducer {
  return new FFmpegProducer({ width: size[0], height: size[1], format: "bgr24" });
}

/** (a): the producer's ffmpeg arguments into a plain default reader that counts bytes. */
async function ceiling(ffmpeg: string, clip: string, info: SourceInfo, size: [number, number]) {
  const producer = producerFor(size);
  const args = producer.args(clip, { info });
  const began = performance.now();
  const child = new Deno.Command(ffmpeg, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let bytes = 0;
  for await (const chunk of child.stdout) bytes += chunk.byteLength;
  const status = await child.status;
  const seconds = (performance.now() - began) / 1000;
  const expected = frameBytes(size[0], size[1], "bgr24") * info.frameCount!;
  if (!status.success || bytes !== expected) {
    throw new Error(`ceiling ${sizeKey(size)}: exit ${status.code}, ${bytes}/${expected} bytes`);
  }
  return seconds;
}

/** (b): the same arguments to `-f null -`; without a size, plain decode (no `-vf`). */
async function nullOutput(
  ffmpeg: string,
  clip: string,
  info: SourceInfo,
  size: [number, number] | undefined,
): Promise<number> {
  const args = producerFor(size ?? [info.width, info.height]).args(clip, { info });
  const f = args.lastIndexOf("-f");
  if (f < 0 || args[f + 1] !== "rawvideo" || args.at(-1) !== "pipe:1") {
    throw new Error(`unexpected producer arguments: ${args.join(" ")}`);
  }
  // Same input, mapping and filters; only the output changes: `-f null -` instead of the pipe.
  const out = [...args.slice(0, f), "-f", "null", "-pix_fmt", "bgr24", "-"];
  if (!size) {
    // Plain decode: drop `-vf <filters>` and `-pix_fmt bgr24` (no scale, no conversion).
    const vf = out.indexOf("-vf");
    out.splice(vf, 2);
    out.splice(out.indexOf("-pix_fmt"), 2);
  }
  const began = performance.now();
  await run(ffmpeg, out);
  return (performance.now() - began) / 1000;
}

/** The pipeline with a no-op algorithm; `interval` 1/fps runs it (and pipes) every frame. */
async function pipeline(
  clip: string,
  info: SourceInfo,
  size: [number, number],
  interval: number,
): Promise<number> {
  const inference = new Inference();
  await inference.loadAlgo(new NoOp(), { frameCount: 1, frameStep: 0, interval });
  const player = new Player(producerFor(size), clip);
  await player.open(); // probe before the clock starts: (a) gets `info` up front too
  const began = performance.now();
  const summary = await inference.start(player, { mode: "offline" });
  const seconds = (performance.now() - began) / 1000;
  await inference.dispose();
  const runs = summary.algos.NoOp?.runs ?? 0;
  const wanted = interval * info.fps <= 1
    ? info.frameCount!
    : Math.floor(info.frameCount! / Math.round(interval * info.fps));
  if (runs !== wanted) {
    throw new Error(`pipeline ${sizeKey(size)} interval ${interval}: ${runs} runs, want ${wanted}`);
  }
  return seconds;
}

async function measure(
  task: Task,
  ffmpeg: string,
  clip: string,
  info: SourceInfo,
): Promise<number> {
  switch (task.kind) {
    case "ceiling":
      return await ceiling(ffmpeg, clip, info, task.size!);
    case "nullScaled":
      return await nullOutput(ffmpeg, clip, info, task.size!);
    case "nullPlain":
      return await nullOutput(ffmpeg, clip, info, undefined);
    case "every":
      return await pipeline(clip, info, task.size!, 1 / info.fps);
    case "perSecond":
      return await pipeline(clip, info, task.size!, 1);
  }
}

/** The fraction of all CPUs busy over one second (from /proc/stat), before we start. */
async function otherCpuUse(): Promise<number | undefined> {
  const sample = async () => {
    const line = (await stdoutOf("cat", ["/proc/stat"]))?.split("\n")[0];
    const ticks = line?.trim().split(/\s+/).slice(1).map(Number);
    if (!ticks || ticks.length < 5 || ticks.some(Number.isNaN)) return undefined;
    const total = ticks.reduce((x, y) => x + y, 0);
    return { total, idle: ticks[3] + ticks[4] };
  };
  const first = await sample();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const second = await sample();
  if (!first || !second || second.total <= first.total) return undefined;
  return 1 - (second.idle - first.idle) / (second.total - first.total);
}

function fmt(fps: number): string {
  return fps.toFixed(0);
}

function ratio(x: number): string {
  return `${x.toFixed(2)}×`;
}

function parseArgs(args: string[]): { write: boolean; repeats: number } {
  let write = false;
  let repeats = 3;
  for (const arg of args) {
    if (arg === "--write") write = true;
    else if (arg.startsWith("--repeats=")) repeats = Number(arg.slice("--repeats=".length));
    else throw new Error(`unknown argument ${arg} (use --write, --repeats=N)`);
  }
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error("--repeats must be >= 1");
  return { write, repeats };
}

async function main(): Promise<void> {
  const { write, repeats } = parseArgs(Deno.args);
  const ffmpeg = locateFfmpeg();
  const busy = await otherCpuUse();
  if (busy !== undefined && busy > 0.25) {
    console.error(
      `warning: the CPUs were ${(busy * 100).toFixed(0)}% busy before the run: other work ` +
        "will make the numbers low and noisy",
    );
  }
  const clip = await ensureClip(ffmpeg, CLIP);
  const info = await probe(clip);
  const frames = info.frameCount;
  if (!frames) throw new Error(`${clip}: unknown frame count`);

  const tasks: Task[] = [{ kind: "nullPlain" }];
  for (const size of SIZES) {
    // (a) and "every frame" are adjacent in both orders: their ratio is the target.
    for (const kind of ["ceiling", "every", "nullScaled", "perSecond"] as const) {
      tasks.push({ kind, size: [...size] });
    }
  }

  // Warm up (JIT, page cache, ffmpeg binary) without recording.
  await measure({ kind: "every", size: [...SIZES[0]] }, ffmpeg, clip, info);
  await measure({ kind: "ceiling", size: [...SIZES[0]] }, ffmpeg, clip, info);

  const samples = new Map<string, number[]>();
  const loadBefore = loadAverage().toFixed(2);
  const began = performance.now();
  for (let round = 0; round < repeats; round++) {
    // Alternate the order so that no measurement always runs first or after a heavy one.
    const order = round % 2 === 0 ? tasks : [...tasks].reverse();
    for (const task of order) {
      const seconds = await measure(task, ffmpeg, clip, info);
      const fps = frames / seconds;
      const key = taskKey(task);
      samples.set(key, [...(samples.get(key) ?? []), fps]);
      console.error(
        `round ${round + 1}/${repeats} ${KIND_LABEL[task.kind].padEnd(22)} ${
          sizeKey(task.size).padEnd(9)
        } ${fmt(fps).padStart(5)} fps`,
      );
    }
  }
  const wall = (performance.now() - began) / 1000;
  const med = (kind: Kind, size?: [number, number]) =>
    median(samples.get(taskKey({ kind, size }))!);

  // A size's four measurements run back to back in every round, so the ratio of two of them
  // is taken per round and the median of those is reported: other work on the machine slows
  // both sides of a round alike and cancels out better than in a ratio of medians.
  const pairedRatio = (top: Kind, bottom: Kind, size: [number, number]) => {
    const x = samples.get(taskKey({ kind: top, size }))!;
    const y = samples.get(taskKey({ kind: bottom, size }))!;
    return median(x.map((v, i) => v / y[i]));
  };
  const rows: string[] = [
    "| output (bgr24) | MB/frame | (a) pipe ceiling | (b) decode+convert | every frame | every/(a) | every/(b) | 1 run/s | 1 run/s/(a) | 1 run/s/(b) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const verdicts: string[] = [];
  const everyToCeiling: number[] = [];
  for (const size of SIZES) {
    const mb = frameBytes(size[0], size[1], "bgr24") / 1e6;
    const cells = [
      sizeKey(size),
      mb.toFixed(2),
      fmt(med("ceiling", size)),
      fmt(med("nullScaled", size)),
      fmt(med("every", size)),
      ratio(pairedRatio("every", "ceiling", size)),
      ratio(pairedRatio("every", "nullScaled", size)),
      fmt(med("perSecond", size)),
      ratio(pairedRatio("perSecond", "ceiling", size)),
      ratio(pairedRatio("perSecond", "nullScaled", size)),
    ];
    rows.push(`| ${cells.join(" | ")} |`);
    const r = pairedRatio("every", "ceiling", size);
    everyToCeiling.push(r);
    verdicts.push(`${sizeKey(size)} ${r >= TARGET ? "meets" : "MISSES"} it (${ratio(r)})`);
  }
  const plain = med("nullPlain");
  const runsTable: string[] = [
    "| measurement | output | runs (frames/s) | median |",
    "| --- | --- | --- | ---: |",
  ];
  for (const task of tasks) {
    const values = samples.get(taskKey(task))!;
    runsTable.push(
      `| ${KIND_LABEL[task.kind]} | ${sizeKey(task.size)} | ${values.map(fmt).join(", ")} | ${
        fmt(median(values))
      } |`,
    );
  }
  for (const size of SIZES) {
    const a = samples.get(taskKey({ kind: "ceiling", size }))!;
    const every = samples.get(taskKey({ kind: "every", size }))!;
    const ratios = a.map((x, i) => every[i] / x);
    runsTable.push(
      `| every/(a), per round | ${sizeKey(size)} | ${ratios.map(ratio).join(", ")} | ${
        ratio(median(ratios))
      } |`,
    );
  }

  const table = rows.join("\n");
  const allMet = everyToCeiling.every((r) => r >= TARGET);
  console.log(table);
  console.log(`\nplain decode (no -vf) to -f null: ${fmt(plain)} frames/s`);
  console.log(`target every/(a) >= ${TARGET}: ${verdicts.join("; ")}`);
  console.log(`(${repeats} rounds in ${wall.toFixed(0)} s)`);

  if (write) {
    const section = [
      SECTION,
      "",
      "```sh",
      "deno task bench            # prints the table",
      "deno task bench --write    # also rewrites this section",
      "```",
      "",
      `Measured ${new Date().toISOString().slice(0, 10)} on:`,
      "",
      ...(await machine(ffmpeg)),
      `- CPUs busy just before the run: ${busy === undefined ? "?" : (busy * 100).toFixed(0)}%; ` +
      `1-minute load average before / after the runs: ${loadBefore} / ${
        loadAverage().toFixed(2)
      } (other work on the machine shows up as spread in the runs below)`,
      "",
      `Clip: ffmpeg \`testsrc2\`, ${CLIP.width}x${CLIP.height}, ${CLIP.fps} fps, ${CLIP.seconds} s ` +
      `(${frames} frames), libx264 \`-preset veryfast\`, generated once into the temp dir. ` +
      `Numbers are source frames per wall second (${frames} / wall time), median of ${repeats} ` +
      "runs taken in alternating order. A size's four measurements run back to back in each " +
      "round; ratios are the median of the per-round ratios, which cancels out other work on " +
      "the machine better than a ratio of medians.",
      "",
      "- **(a) pipe ceiling**: the producer's own ffmpeg arguments (`producer.args`) writing " +
      "`-f rawvideo pipe:1`, read by a plain default reader that only counts bytes: the most " +
      "the spawn-and-pipe design can deliver.",
      "- **(b) decode+convert**: the same arguments with `-f null -`: decode, scale and convert " +
      "to bgr24 with no pipe.",
      "- **every frame**: the pipeline with a no-op algorithm, `frameCount` 1, `interval` = " +
      "1/fps: it runs on every frame, so every frame is piped (like-for-like with (a)). The " +
      "probe (`player.open()`) runs before the clock starts.",
      "- **1 run/s**: the same with `interval` 1: the runtime asks ffmpeg (a `select` filter) " +
      `only for the ${Math.floor(frames / Math.round(info.fps))} frames the algorithm reads.`,
      "",
      table,
      "",
      `Plain decode (no \`-vf\`) to \`-f null\`: **${fmt(plain)}** frames/s.`,
      "",
      `Target every frame ≥ ${TARGET}×(a): ${verdicts.join("; ")}.`,
      "",
      "<details><summary>All runs</summary>",
      "",
      ...runsTable,
      "",
      "</details>",
      "",
      "### Interpretation",
      "",
      ...interpretation(
        allMet,
        pairedRatio("ceiling", "nullScaled", SIZES.at(-1)!),
        Math.round(info.fps),
      ),
      "",
    ].join("\n");
    await writeSection(SECTION, section);
    console.error(`wrote ${BENCHMARKS_MD.pathname}`);
  }
}

function interpretation(allMet: boolean, pipeShare: number, everyNth: number): string[] {
  return [
    "- (a) is below (b) by the cost of getting raw frames out of ffmpeg at all: the rawvideo " +
    "encoder copies every frame into a packet, ffmpeg writes it through a pipe (64 KiB on " +
    "Linux), and the reader competes with ffmpeg's decoding threads for the cores. The gap " +
    "grows with the frame size: at 1920x1080 (6.2 MB per bgr24 frame) (a) runs at " +
    `${ratio(pipeShare)} (b). Checked by hand on this machine, ` +
    "`ffmpeg ... pipe:1 | cat > /dev/null` is no faster than (a), so the ceiling is the " +
    "spawn-and-pipe design's, not Deno's.",
    allMet
      ? `- The pipeline keeps up with the pipe ceiling at every size (≥ ${TARGET}×(a)): the ` +
        "runtime's per-frame work (a BYOB read into a pooled buffer, schedule, dispatch, the " +
        "no-op run) is small next to moving the bytes. (It can even edge past (a): the BYOB " +
        "read fills a few pooled frame buffers, where the default reader allocates a new " +
        "chunk per read.)"
      : `- The pipeline misses ${TARGET}×(a) at some size: since (a) runs the same ffmpeg ` +
        "arguments, the loss is in how the runtime reads or handles frames, not in ffmpeg " +
        "(unless the runs below show interference from other work).",
    `- 1 run/s pipes one frame in ${everyNth} (the \`select\` filter drops the rest before ` +
    "scaling), so it is bounded by decoding, close to plain decode, and can beat (b), which scales and " +
    "converts every frame.",
  ];
}

if (import.meta.main) await main();
