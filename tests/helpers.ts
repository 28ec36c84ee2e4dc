/**
 * Shared test helpers: temp dirs, clips generated with real ffmpeg (lavfi), running the CLI
 * as a subprocess, looking for leftover ffmpeg processes, and the frame-number pixel code.
 *
 * Everything here is independent of `src/` on purpose, except the `Frame` type: expected
 * values in the tests are computed from scratch, not with the library's own helpers.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Frame } from "../src/frame.ts";

/** Absolute path of the project root (the directory holding deno.json). */
export const ROOT: string = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
/** Absolute path of the CLI entry point. */
export const CLI: string = `${ROOT}/src/cli/main.ts`;
/** Absolute path of the fixture plugins. */
export const FIXTURES: string = `${ROOT}/tests/fixtures`;
/** The real traffic clip beside the repository (768x432, 12.5 fps, 30 s). */
export const CAR_CLIP: string = `${ROOT}/../shared/media/car-detection.mp4`;

/** Creates a temp dir, runs `fn` with it and removes it afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "stream-infer-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs ffmpeg to completion; throws with its stderr when it fails. */
export async function ffmpeg(args: string[]): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `ffmpeg ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Frame-number clips
// ---------------------------------------------------------------------------------------------

/**
 * A clip whose frames carry their own source frame number N (0..255) in their pixels, in two
 * blocks: the left half has grey level `hi*16 + 8`, the right half `lo*16 + 8`, with
 * `N = hi*16 + lo`. The code survives scaling, colour conversion and small coding errors
 * (anything within ±7 levels decodes right); with the lossless codecs used here it is exact.
 */
export interface NumberedClipOptions {
  /** Frames per second, a number or a rational like "30000/1001" (default 25). */
  fps?: number | string;
  /** Length in seconds (default 6). */
  seconds?: number;
  /** Size (default 64x48). */
  width?: number;
  height?: number;
  /**
   * `ffv1` (lossless, all-intra, in .mkv; default) or `x264` (lossless H.264 with a GOP of
   * 12 and B-frames, full-range 4:4:4, in .mp4: seeks land mid-GOP).
   */
  codec?: "ffv1" | "x264";
}

/** The geq expression that paints the frame number (see {@link NumberedClipOptions}). */
const NUMBER_EXPR = "if(lt(X,W/2),trunc(mod(N,256)/16)*16+8,mod(N,16)*16+8)";

/** Generates a frame-number clip at `path` (.mkv for ffv1, .mp4 for x264). */
export async function makeNumberedClip(
  path: string,
  options: NumberedClipOptions = {},
): Promise<string> {
  const { fps = 25, seconds = 6, width = 64, height = 48, codec = "ffv1" } = options;
  const source = `color=black:s=${width}x${height}:r=${fps}:d=${seconds},format=gray,` +
    `geq=lum='${NUMBER_EXPR}'`;
  const encode = codec === "ffv1"
    ? ["-c:v", "ffv1"]
    : ["-vf", "format=yuvj444p", "-c:v", "libx264", "-qp", "0", "-g", "12", "-bf", "2"];
  await ffmpeg(["-f", "lavfi", "-i", source, ...encode, path]);
  return path;
}

/** Grey level (first channel, or full-range luma from a YUV frame's Y plane) at (x, y). */
function levelAt(frame: Frame, x: number, y: number): number {
  if (frame.format === "yuv420p" || frame.format === "nv12") {
    return Math.round((frame.data[y * frame.width + x] - 16) * 255 / 219);
  }
  const channels = frame.format === "gray" ? 1 : 3;
  return frame.data[(y * frame.width + x) * channels];
}

function nibble(level: number, what: string): number {
  const n = Math.round((level - 8) / 16);
  if (n < 0 || n > 15 || Math.abs(level - (n * 16 + 8)) > 7) {
    throw new Error(`pixel level ${level} of the ${what} block is not a frame-number code`);
  }
  return n;
}

/** Decodes the source frame number painted by {@link makeNumberedClip}. */
export function frameNumber(frame: Frame): number {
  const y = Math.floor(frame.height / 2);
  const hi = nibble(levelAt(frame, Math.floor(frame.width / 4), y), "left");
  const lo = nibble(levelAt(frame, Math.floor((frame.width * 3) / 4), y), "right");
  return hi * 16 + lo;
}

/**
 * Source frames played from a clip of `total` frames at `srcFps`, written down from the
 * original Python player: start at the first frame at or after `position`, then keep source
 * frame j (counted from the start) once j reaches an accumulator that grows by
 * `srcFps / fps`. At or above the source's fps every frame is played.
 */
export function expectedPlayedFrames(
  total: number,
  srcFps: number,
  fps: number | undefined,
  position: number,
): number[] {
  let start = 0;
  while (start / srcFps < position - 1e-9) start++;
  const played: number[] = [];
  if (fps === undefined || fps >= srcFps) {
    for (let j = start; j < total; j++) played.push(j);
    return played;
  }
  const step = srcFps / fps;
  let acc = 0;
  for (let j = 0; start + j < total; j++) {
    if (j >= acc - 1e-9) {
      played.push(start + j);
      acc += step;
    }
  }
  return played;
}

// ---------------------------------------------------------------------------------------------
// Other clips
// ---------------------------------------------------------------------------------------------

/** A clip of one flat RGB colour, encoded losslessly in RGB (libx264rgb, qp 0). */
export async function makeColorClip(
  path: string,
  rgb: [number, number, number],
  options: { width?: number; height?: number; fps?: number; seconds?: number } = {},
): Promise<string> {
  const { width = 64, height = 48, fps = 25, seconds = 0.4 } = options;
  const hex = rgb.map((v) => v.toString(16).padStart(2, "0")).join("");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `color=c=0x${hex}:s=${width}x${height}:r=${fps}:d=${seconds},format=gbrp`,
    "-c:v",
    "libx264rgb",
    "-qp",
    "0",
    path,
  ]);
  return path;
}

/**
 * A testsrc2 clip in ordinary H.264 (yuv420p). `faststart: false` leaves the moov at the end;
 * `preset` (e.g. `ultrafast`) makes long clips quick to encode.
 */
export async function makeTestsrc(
  path: string,
  options: {
    width?: number;
    height?: number;
    fps?: number;
    seconds?: number;
    faststart?: boolean;
    preset?: string;
  } = {},
): Promise<string> {
  const { width = 160, height = 120, fps = 25, seconds = 2, faststart = true } = options;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `testsrc2=s=${width}x${height}:r=${fps}:d=${seconds}`,
    "-pix_fmt",
    "yuv420p",
    "-c:v",
    "libx264",
    ...(options.preset ? ["-preset", options.preset] : []),
    ...(faststart ? ["-movflags", "+faststart"] : []),
    path,
  ]);
  return path;
}

/**
 * pts of source frame n of {@link makeVfrClip}'s clip: 20 frames at 25 fps, then 20 at 8 1/3 fps
 * (all on the 1/25 s grid the encoder keeps).
 */
export const VFR_PTS = (n: number): number => (n < 20 ? n : 20 + (n - 20) * 3) / 25;

/** A 40-frame variable-rate testsrc clip (see {@link VFR_PTS}) encoded with `codec`, such as
 * `["-c:v", "ffv1"]` or `["-pix_fmt", "yuv420p", "-c:v", "libx264"]`. */
export async function makeVfrClip(path: string, codec: string[]): Promise<string> {
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc=s=64x48:r=25",
    "-frames:v",
    "40",
    "-vf",
    "setpts='if(lt(N,20),N,20+(N-20)*3)/(25*TB)'",
    "-fps_mode",
    "vfr",
    ...codec,
    path,
  ]);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/** What {@link runCli} returns. */
export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `deno` arguments that run the CLI (`src/cli/main.ts`) with `args`: all permissions, the
 * project's config, no download messages.
 */
export function cliArgs(args: string[]): string[] {
  return [
    "run",
    "-A",
    "--unstable-worker-options",
    "--quiet",
    "--config",
    `${ROOT}/deno.json`,
    CLI,
    ...args,
  ];
}

/**
 * Runs `deno run -A src/cli/main.ts ...args` as a subprocess (cwd: the project root by default;
 * `env`: extra environment variables).
 */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Command lines of the ffmpeg processes that are children of this test process. */
export async function childFfmpeg(): Promise<string[]> {
  const out = await new Deno.Command("pgrep", {
    args: ["-a", "-P", String(Deno.pid), "ffmpeg"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim());
}

/** Command lines of running ffmpeg/ffprobe processes that mention `text` (a temp dir, say). */
export async function ffmpegProcessesMentioning(text: string): Promise<string[]> {
  const out = await new Deno.Command("pgrep", {
    args: ["-a", "-f", "ff(mpeg|probe)"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) =>
    line.includes(text) && !/\bpgrep\b/.test(line)
  );
}

/** Asserts that no ffmpeg or ffprobe mentioning `text` is still running. */
export async function assertNoFfmpeg(text: string): Promise<void> {
  assert.deepEqual(await ffmpegProcessesMentioning(text), [], "leftover ffmpeg processes");
}

/**
 * Asserts a clear CLI error: exactly one non-empty line on stderr, prefixed `stream-infer: `,
 * and no stack trace.
 */
export function assertOneLineError(out: CliOutput): string {
  const lines = out.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.ok(!/^\s{4}at /m.test(out.stderr), `stack trace on stderr:\n${out.stderr}`);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${out.stderr}`);
  assert.match(lines[0], /^stream-infer: /);
  return lines[0];
}

/** Writes a text file and returns its path. */
export async function writeText(path: string, text: string): Promise<string> {
  await Deno.writeTextFile(path, text);
  return path;
}
