/**
 * Shared by the benchmarks: running commands and ffmpeg, and the generated test clip.
 *
 * @module
 */
import { tmpdir } from "node:os";
import { locateFfmpeg } from "../mod.ts";

/** Runs a command to completion; returns its stdout and stderr, throws when it fails. */
export async function run(binary: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${binary} ${args.join(" ")} failed (${out.code}): ${text}`);
  return text;
}

/** Runs a command and returns its stdout, or `undefined` when it cannot run. */
export async function stdoutOf(binary: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(binary, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs ffmpeg (quiet, no stdin) with `args` and returns its stdout bytes; throws on failure. */
export async function ffmpegBytes(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(locateFfmpeg(), {
    args: ["-hide_banner", "-nostdin", "-loglevel", "error", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

/** Whether `path` is an existing file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Size, rate and length of a generated testsrc2 clip. */
export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

/**
 * A clip made once by ffmpeg into a cache dir (`STREAM_INFER_BENCH_DIR` or the temp dir):
 * `name` is its file name, `args` the ffmpeg arguments that make it, up to the output (written
 * to a partial file first, so an interrupted run leaves no broken clip).
 */
export async function cachedClip(ffmpeg: string, name: string, args: string[]): Promise<string> {
  const dir = Deno.env.get("STREAM_INFER_BENCH_DIR") ?? `${tmpdir()}/stream-infer-bench`;
  const path = `${dir}/${name}`;
  if (await isFile(path)) return path;
  await Deno.mkdir(dir, { recursive: true });
  const partial = `${path}.${Deno.pid}.partial`;
  console.error(`generating ${path} ...`);
  await run(ffmpeg, [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-y",
    ...args,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-f",
    "mp4",
    partial,
  ]);
  await Deno.rename(partial, path);
  return path;
}

/** The Python original's clip, `../shared/media/car-detection.mp4` beside the repository (`STREAM_INFER_BENCH_CLIP`). */
export const CAR_CLIP: string = Deno.env.get("STREAM_INFER_BENCH_CLIP") ??
  new URL("../../shared/media/car-detection.mp4", import.meta.url).pathname;

/** The YOLO model: `STREAM_INFER_TEST_MODEL`, else `../shared/models/yolov8n_int8.onnx` beside the repository. */
export const TEST_MODEL: string = Deno.env.get("STREAM_INFER_TEST_MODEL") ??
  new URL("../../shared/models/yolov8n_int8.onnx", import.meta.url).pathname;

/**
 * The car clip upscaled (bicubic) to `width`x`height` at `fps`, H.264 veryfast, made once (see
 * {@link cachedClip}): at 1920x1080 25 fps, 754 frames.
 */
export function carClip(
  ffmpeg: string,
  width: number,
  height: number,
  fps: number,
): Promise<string> {
  return cachedClip(ffmpeg, `car-detection-${width}x${height}-${fps}fps-x264-veryfast.mp4`, [
    "-i",
    CAR_CLIP,
    "-an",
    "-vf",
    `fps=${fps},scale=${width}:${height}:flags=bicubic`,
  ]);
}

/** Generates a testsrc2 H.264 clip once (see {@link cachedClip}) and returns its path. */
export function ensureClip(ffmpeg: string, clip: ClipSpec): Promise<string> {
  const { width, height, fps, seconds } = clip;
  return cachedClip(ffmpeg, `testsrc2-${width}x${height}-${fps}fps-${seconds}s-x264-veryfast.mp4`, [
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
  ]);
}

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux). */
const TICKS = 100;

/**
 * CPU seconds of this process (user + system, all threads) and of its children that have been
 * waited for (each child's own waited-for children included), from /proc/self/stat (Linux;
 * Deno reads /proc only with --allow-all).
 */
export function cpuSeconds(): { self: number; children: number } {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // after the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
  return { self: (+f[11] + +f[12]) / TICKS, children: (+f[13] + +f[14]) / TICKS };
}

function readProc(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined; // the process ended
  }
}

/** The pids of a process's children, over all its threads. */
function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = readProc(`/proc/${pid}/task/${task.name}/children`) ?? "";
      for (const p of text.trim().split(/\s+/)) if (p) pids.push(Number(p));
    }
  } catch { /* the process ended */ }
  return pids;
}

/**
 * The peak resident memory of a process tree, summed over its processes: each process's own
 * peak (VmHWM), sampled every `intervalMs` while it runs. With `includeSelf`, this process's
 * peak is reset first (/proc/self/clear_refs) and counted; otherwise only its descendants.
 */
export class PeakRss {
  readonly #peaks = new Map<number, number>();
  readonly #includeSelf: boolean;
  #timer?: ReturnType<typeof setInterval>;

  /** Starts sampling. */
  constructor(includeSelf: boolean, intervalMs = 100) {
    this.#includeSelf = includeSelf;
    if (includeSelf) {
      try {
        Deno.writeTextFileSync("/proc/self/clear_refs", "5");
      } catch { /* old kernel: the peak since the process started */ }
    }
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const queue = this.#includeSelf ? [Deno.pid] : childrenOf(Deno.pid);
    while (queue.length) {
      const pid = queue.pop()!;
      const kib = Number(/VmHWM:\s*(\d+)/.exec(readProc(`/proc/${pid}/status`) ?? "")?.[1]);
      if (kib > (this.#peaks.get(pid) ?? 0)) this.#peaks.set(pid, kib);
      queue.push(...childrenOf(pid));
    }
  }

  /** Stops sampling; returns the sum of the processes' peaks, in MiB. */
  stop(): number {
    this.#sample();
    clearInterval(this.#timer);
    let kib = 0;
    for (const v of this.#peaks.values()) kib += v;
    return kib / 1024;
  }
}

/** A Python with OpenCV: python3, then Debian's; installs python3-opencv with apt if root. */
export async function findPython(): Promise<string | undefined> {
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

const OPENCV_BASELINE = new URL("./opencv_baseline.py", import.meta.url).pathname;

/** bench/opencv_baseline.py and its arguments, to run with a Python from {@link findPython}. */
export function opencvArgs(
  clip: string,
  size: readonly [number, number],
  format: "bgr24" | "rgb24",
): string[] {
  return [OPENCV_BASELINE, clip, String(size[0]), String(size[1]), format];
}

/** What bench/opencv_baseline.py printed: frames, and seconds and CPU seconds of its loop. */
export function opencvResult(out: string): { frames: number; seconds: number; cpu: number } {
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`opencv_baseline.py printed no result: ${out}`);
  return JSON.parse(line);
}
