/**
 * Finding the ffmpeg and ffprobe binaries.
 *
 * Resolution order for ffmpeg: an explicit path, then the `STREAM_INFER_FFMPEG` environment
 * variable, then the binary of the npm package `ffmpeg-static` when its file exists, then
 * `ffmpeg` on `PATH`.
 *
 * @module
 */
import { FFmpegNotFoundError } from "../errors.ts";

const INSTALL_HINT = "install ffmpeg (Debian/Ubuntu: apt-get install -y ffmpeg; macOS: brew " +
  "install ffmpeg) or set STREAM_INFER_FFMPEG to its path";

const EXE = Deno.build.os === "windows" ? ".exe" : "";

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: treat as unset
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const sep = Deno.build.os === "windows" ? ";" : ":";
  for (const dir of (envVar("PATH") ?? "").split(sep)) {
    if (!dir) continue;
    const candidate = `${dir}/${name}${EXE}`;
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

function ffmpegStaticPath(): string | undefined {
  try {
    const candidate = `${Deno.cwd()}/node_modules/ffmpeg-static/ffmpeg${EXE}`;
    return isFile(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the path of the ffmpeg binary to run, or throws {@link FFmpegNotFoundError} with an
 * install hint.
 *
 * @example
 * ```ts
 * import { locateFfmpeg } from "@stream-infer/stream-infer";
 * console.log(locateFfmpeg()); // e.g. "/usr/bin/ffmpeg"
 * ```
 */
export function locateFfmpeg(explicit?: string): string {
  if (explicit) {
    if (!isFile(explicit)) {
      throw new FFmpegNotFoundError(`ffmpeg not found at '${explicit}': ${INSTALL_HINT}`);
    }
    return explicit;
  }
  const fromEnv = envVar("STREAM_INFER_FFMPEG");
  if (fromEnv) {
    if (!isFile(fromEnv)) {
      throw new FFmpegNotFoundError(
        `STREAM_INFER_FFMPEG points to '${fromEnv}', which does not exist: ${INSTALL_HINT}`,
      );
    }
    return fromEnv;
  }
  const found = ffmpegStaticPath() ?? onPath("ffmpeg");
  if (!found) throw new FFmpegNotFoundError(`ffmpeg not found on PATH: ${INSTALL_HINT}`);
  return found;
}

/**
 * Returns the path of ffprobe: `STREAM_INFER_FFPROBE`, then the sibling of the resolved ffmpeg,
 * then `PATH`. Returns `undefined` when there is none; probing then falls back to ffmpeg.
 *
 * @example
 * ```ts
 * import { locateFfprobe } from "@stream-infer/stream-infer";
 * console.log(locateFfprobe() ?? "no ffprobe: probing parses ffmpeg -i instead");
 * ```
 */
export function locateFfprobe(ffmpegPath?: string): string | undefined {
  const fromEnv = envVar("STREAM_INFER_FFPROBE");
  if (fromEnv && isFile(fromEnv)) return fromEnv;
  if (ffmpegPath) {
    const sibling = ffmpegPath.replace(/ffmpeg(\.exe)?$/, `ffprobe${EXE}`);
    if (sibling !== ffmpegPath && isFile(sibling)) return sibling;
  }
  return onPath("ffprobe");
}

/** What {@link runTool} returns: exit code and captured output. */
export interface ToolOutput {
  /** Exit code of the process. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/**
 * Runs ffmpeg or ffprobe to completion and captures its output; kills it when `signal` aborts.
 *
 * @example
 * ```ts
 * import { locateFfmpeg, runTool } from "@stream-infer/stream-infer";
 * const out = await runTool(locateFfmpeg(), ["-hide_banner", "-version"]);
 * console.log(out.stdout.split("\n")[0]);
 * ```
 */
export async function runTool(
  binary: string,
  args: string[],
  signal?: AbortSignal,
): Promise<ToolOutput> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(binary, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new FFmpegNotFoundError(`cannot start '${binary}': ${INSTALL_HINT}`);
    }
    throw e;
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * The ffmpeg arguments that read raw frames of one size and pixel format from stdin, as the
 * encoders (recorder, restream, snapshots, the dev UI's JPEGs) feed them: `-hide_banner
 * -loglevel error -f rawvideo -pix_fmt F -s WxH [-r FPS] -i pipe:0`.
 *
 * @example
 * ```ts
 * import { rawVideoInput } from "./ffmpeg.ts";
 * const args = [...rawVideoInput({ width: 640, height: 360, format: "bgr24" }, 25), "out.mp4"];
 * ```
 */
export function rawVideoInput(
  frame: { width: number; height: number; format: string },
  fps?: number,
): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    frame.format,
    "-s",
    `${frame.width}x${frame.height}`,
    ...(fps === undefined ? [] : ["-r", String(fps)]),
    "-i",
    "pipe:0",
  ];
}
