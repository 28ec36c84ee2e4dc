/**
 * Reading a source's size, frame rate, length and liveness.
 *
 * @module
 */
import { locateFfmpeg, locateFfprobe, runTool } from "./ffmpeg.ts";
import { inputBanner } from "./banner.ts";
import type { SourceInfo } from "./info.ts";

export type { SourceInfo } from "./info.ts";
import { SourceError } from "../errors.ts";
import { type ParsedSource, parseSource } from "./parse.ts";

/**
 * Options of {@link probe}.
 *
 * @example
 * ```ts
 * import type { ProbeOptions } from "@stream-infer/stream-infer";
 * const opts: ProbeOptions = { timeoutMs: 5000 };
 * ```
 */
export interface ProbeOptions {
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Extra ffmpeg input options, added after the defaults for the source's kind. */
  inputOptions?: string[];
  /** Give up after this many milliseconds (default 20000). */
  timeoutMs?: number;
}

function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [num, den] = rate.split("/").map(Number);
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** The last line ffmpeg printed, without the source name it repeats. */
export function lastErrorLine(text: string, source: string): string {
  const lines = text.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const line = lines.at(-1) ?? "unknown error";
  return line.startsWith(`${source}: `) ? line.slice(source.length + 2) : line;
}

interface ProbeStream {
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  pix_fmt?: string;
  color_space?: string;
}

/** The pixel format and colour matrix fields of a {@link SourceInfo}, when known. */
function colour(pixelFormat?: string, colorSpace?: string) {
  return {
    ...(pixelFormat ? { pixelFormat } : {}),
    ...(colorSpace ? { colorSpace } : {}),
  };
}

function fromFfprobe(json: string, source: string, liveKind: boolean): SourceInfo {
  const parsed = JSON.parse(json) as {
    streams?: ProbeStream[];
    format?: { duration?: string; format_name?: string };
  };
  const stream = parsed.streams?.[0];
  if (!stream || !stream.width || !stream.height) {
    throw new SourceError(`${source}: has no video stream`);
  }
  const avg = parseRate(stream.avg_frame_rate);
  const nominal = parseRate(stream.r_frame_rate);
  const fps = avg > 0 && avg < 1000 ? avg : nominal;
  if (!(fps > 0)) throw new SourceError(`${source}: cannot tell the frame rate`);
  const duration = Number(stream.duration ?? parsed.format?.duration);
  // a still image (PNG, JPEG, ...) has no duration: it plays as a one-frame file
  const image = /^(image2|\w+_pipe)$/.test(parsed.format?.format_name ?? "");
  if (image && !(duration > 0) && !liveKind) {
    return {
      width: stream.width,
      height: stream.height,
      fps,
      frameCount: 1,
      duration: 1 / fps,
      live: false,
      ...colour(stream.pix_fmt, stream.color_space),
    };
  }
  const known = Number.isFinite(duration) && duration > 0 && !liveKind;
  const frames = Number(stream.nb_frames);
  return {
    width: stream.width,
    height: stream.height,
    fps,
    frameCount: known ? (frames > 0 ? frames : Math.round(duration * fps)) : null,
    duration: known ? duration : null,
    live: !known,
    ...colour(stream.pix_fmt, stream.color_space),
  };
}

function fromFfmpegBanner(stderr: string, source: string, liveKind: boolean): SourceInfo {
  const banner = inputBanner(stderr);
  if (!banner) throw new SourceError(`${source}: ${lastErrorLine(stderr, source)}`);
  const { width, height, fps, seconds, pixelFormat, colorSpace } = banner;
  if (!(fps > 0)) throw new SourceError(`${source}: cannot tell the frame rate`);
  const known = seconds > 0 && !liveKind;
  return {
    width,
    height,
    fps,
    frameCount: known ? Math.round(seconds * fps) : null,
    duration: known ? seconds : null,
    live: !known,
    ...colour(pixelFormat, colorSpace),
  };
}

/**
 * Probes a source with ffprobe (or, without ffprobe, from ffmpeg's banner). Throws
 * {@link SourceError} when the source is missing or not a video.
 *
 * @example
 * ```ts
 * import { probe } from "@stream-infer/stream-infer";
 * const info = await probe("video.mp4");
 * console.log(info.width, info.height, info.fps, info.live);
 * ```
 */
export async function probe(
  source: string | ParsedSource,
  options: ProbeOptions = {},
): Promise<SourceInfo> {
  const parsed = parseSource(source);
  const url = parsed.url;
  const ffmpeg = locateFfmpeg(options.ffmpeg);
  const ffprobe = locateFfprobe(ffmpeg);
  const kind = parsed.kind;
  const liveKind = kind === "stream" || kind === "device";
  const input = [...parsed.inputOptions, ...(options.inputOptions ?? [])];
  const signal = AbortSignal.timeout(options.timeoutMs ?? 20_000);
  try {
    if (ffprobe) {
      const out = await runTool(ffprobe, [
        "-v",
        "error",
        ...input,
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,pix_fmt,color_space:" +
        "format=duration,format_name",
        "-of",
        "json",
        "--",
        url,
      ], signal);
      if (out.code !== 0) throw new SourceError(`${url}: ${lastErrorLine(out.stderr, url)}`);
      return fromFfprobe(out.stdout, url, liveKind);
    }
    const out = await runTool(ffmpeg, ["-hide_banner", ...input, "-i", url], signal);
    return fromFfmpegBanner(out.stderr, url, liveKind);
  } catch (e) {
    if (signal.aborted) {
      throw new SourceError(`${url}: no answer within ${options.timeoutMs ?? 20_000} ms`);
    }
    throw e;
  }
}
