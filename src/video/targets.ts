/**
 * The ffmpeg output arguments of each video target: an mp4 file, an RTMP or RTSP push, an
 * HLS folder, and the one-second segments event clips are cut from. All are H.264 (libx264,
 * yuv420p).
 *
 * @module
 */
import { InputError } from "../errors.ts";

/** libx264 preset of offline recordings (the run waits for the encoder; see BENCHMARKS.md). */
export const DEFAULT_PRESET = "veryfast";

/**
 * The libx264 preset an output uses unless one is given: `veryfast` offline, `ultrafast` in
 * realtime (about half the CPU of `veryfast` in bench/recording.ts, so a busy machine drops
 * fewer frames; the files are bigger).
 *
 * @example
 * ```ts
 * import { defaultPreset } from "./targets.ts";
 * console.log(defaultPreset(true)); // ultrafast
 * ```
 */
export function defaultPreset(realtime: boolean): string {
  return realtime ? "ultrafast" : DEFAULT_PRESET;
}

/**
 * Replaces `{source}` in a path or URL by the source id.
 *
 * @example
 * ```ts
 * import { forSource } from "@stream-infer/stream-infer";
 * console.log(forSource("out/{source}.mp4", "gate")); // out/gate.mp4
 * ```
 */
export function forSource(template: string, source: string): string {
  return template.replaceAll("{source}", source);
}

function h264(preset: string, fps: number, live: boolean): string[] {
  return [
    "-an",
    "-c:v",
    "libx264",
    "-preset",
    preset,
    ...(live ? ["-tune", "zerolatency"] : []),
    "-pix_fmt",
    "yuv420p",
    // a keyframe every 2 s: players can join a live stream, and seeks in files stay cheap
    "-g",
    String(Math.max(1, Math.round(fps * 2))),
  ];
}

/**
 * Output arguments of an mp4 recording (`+faststart`: the index at the front once finished).
 *
 * @example
 * ```ts
 * import { fileArgs } from "@stream-infer/stream-infer";
 * console.log(fileArgs("out.mp4", 25).join(" "));
 * ```
 */
export function fileArgs(path: string, fps: number, preset = DEFAULT_PRESET): string[] {
  return [...h264(preset, fps, false), "-movflags", "+faststart", "-y", path];
}

/**
 * Output arguments of a live push: `rtmp://` or `rtmps://` (FLV) or `rtsp://` (RTSP over
 * TCP). Other schemes are an {@link InputError}.
 *
 * @example
 * ```ts
 * import { pushArgs } from "@stream-infer/stream-infer";
 * console.log(pushArgs("rtmp://127.0.0.1/live/gate", 25).slice(-3).join(" "));
 * ```
 */
export function pushArgs(url: string, fps: number, preset = DEFAULT_PRESET): string[] {
  if (/^rtmps?:\/\//i.test(url)) return [...h264(preset, fps, true), "-f", "flv", url];
  if (/^rtsp:\/\//i.test(url)) {
    return [...h264(preset, fps, true), "-f", "rtsp", "-rtsp_transport", "tcp", url];
  }
  throw new InputError(`restream must be an rtmp://, rtmps:// or rtsp:// URL (got '${url}')`);
}

/**
 * Options of an HLS output.
 *
 * @example
 * ```ts
 * import type { HlsOptions } from "@stream-infer/stream-infer";
 * const opts: HlsOptions = { segmentSeconds: 2, listSize: 6 };
 * ```
 */
export interface HlsOptions {
  /** Seconds per segment (`-hls_time`, default 2). */
  segmentSeconds?: number;
  /** Segments in the playlist (`-hls_list_size`, default 6); older ones are deleted. */
  listSize?: number;
}

/**
 * Output arguments of an HLS folder: `index.m3u8` and `seg<N>.ts` in `dir` (which must
 * exist). A keyframe starts every segment; segments that leave the playlist are deleted.
 *
 * @example
 * ```ts
 * import { hlsArgs } from "@stream-infer/stream-infer";
 * console.log(hlsArgs("hls/gate", 25).at(-1)); // hls/gate/index.m3u8
 * ```
 */
export function hlsArgs(
  dir: string,
  fps: number,
  options: HlsOptions = {},
  preset = DEFAULT_PRESET,
): string[] {
  const time = options.segmentSeconds ?? 2;
  const size = options.listSize ?? 6;
  return [
    ...h264(preset, fps, true),
    "-force_key_frames",
    `expr:gte(t,n_forced*${time})`,
    "-f",
    "hls",
    "-hls_time",
    String(time),
    "-hls_list_size",
    String(size),
    "-hls_flags",
    "delete_segments+independent_segments",
    "-hls_segment_filename",
    `${dir}/seg%06d.ts`,
    `${dir}/index.m3u8`,
  ];
}

/**
 * Output arguments of the clip segments: MPEG-TS files of `seconds` each, every one starting
 * with a keyframe, listed in `dir/segments.csv` (name, start, end) as each is finished.
 *
 * @example
 * ```ts
 * import { segmentArgs } from "@stream-infer/stream-infer";
 * console.log(segmentArgs("/tmp/seg", 25).includes("segment")); // true
 * ```
 */
export function segmentArgs(
  dir: string,
  fps: number,
  seconds = 1,
  preset = DEFAULT_PRESET,
): string[] {
  return [
    ...h264(preset, fps, false),
    "-force_key_frames",
    `expr:gte(t,n_forced*${seconds})`,
    "-f",
    "segment",
    "-segment_time",
    String(seconds),
    "-reset_timestamps",
    "1",
    "-segment_list",
    `${dir}/segments.csv`,
    "-segment_list_type",
    "csv",
    `${dir}/seg%06d.ts`,
  ];
}
