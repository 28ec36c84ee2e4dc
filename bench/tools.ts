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
