/**
 * {@link parseSource}: a source string read once into what the rest of the pipeline needs:
 * its kind, the path of a file, and the ffmpeg input options that suit it.
 *
 * @module
 */
import { SourceError } from "../errors.ts";

/** Protocols read as live streams. */
const LIVE_PROTOCOLS = ["rtsp", "rtsps", "rtmp", "rtmps", "udp", "rtp", "srt", "tcp"];

/** The kind of a source. */
export type SourceKind = "file" | "device" | "stream" | "http";

/**
 * Classifies a source string. `http(s)` is its own kind: it may be a file or a live stream,
 * which probing decides.
 *
 * @example
 * ```ts
 * import { sourceKind } from "@stream-infer/stream-infer";
 * console.log(sourceKind("rtsp://cam/1")); // "stream"
 * console.log(sourceKind("clip.mp4")); // "file"
 * ```
 */
export function sourceKind(source: string): SourceKind {
  const protocol = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
  if (protocol === "http" || protocol === "https") return "http";
  if (protocol && LIVE_PROTOCOLS.includes(protocol)) return "stream";
  if (/^\/dev\/video\d+$/.test(source)) return "device";
  return "file";
}

/**
 * Checks that a source can be handed to ffmpeg: not empty, not an option, and an existing
 * file when it is a path. Throws {@link SourceError} otherwise.
 *
 * @example
 * ```ts
 * import { validateSource } from "@stream-infer/stream-infer";
 * try {
 *   validateSource("-i");
 * } catch (e) {
 *   console.log((e as Error).message);
 * }
 * ```
 */
export function validateSource(source: string): void {
  if (typeof source !== "string" || source.trim() === "") {
    throw new SourceError("the source is empty");
  }
  if (source.startsWith("-")) {
    throw new SourceError(
      `source '${source}' starts with '-': ffmpeg would read it as an option (use ./${source})`,
    );
  }
  const kind = sourceKind(source);
  if (kind === "device") {
    // a missing camera is bad input, not a live source to reconnect to
    try {
      Deno.statSync(source);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new SourceError(`${source}: no such device`);
      // any other trouble (no read permission for the check) is left to ffmpeg to report
    }
    return;
  }
  if (kind !== "file") return;
  if (source.startsWith("file:")) source = decodeURIComponent(new URL(source).pathname);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(source);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new SourceError(`${source}: no such file`);
    throw new SourceError(`${source}: cannot read (${(e as Error).message})`);
  }
  if (info.isDirectory) throw new SourceError(`${source}: is a directory, not a video`);
}

/**
 * ffmpeg input options that suit a source: TCP transport and low delay for RTSP, a read
 * timeout for network streams, the v4l2 demuxer for capture devices.
 *
 * @example
 * ```ts
 * import { inputOptionsFor } from "@stream-infer/stream-infer";
 * console.log(inputOptionsFor("rtsp://cam/1"));
 * ```
 */
export function inputOptionsFor(source: string): string[] {
  const kind = sourceKind(source);
  if (kind === "device") return ["-f", "v4l2"];
  if (kind === "file") return [];
  // Start after 1 s of stream analysis instead of ffmpeg's default 5 s.
  const lowDelay = ["-fflags", "nobuffer", "-flags", "low_delay", "-analyzeduration", "1000000"];
  if (/^rtsps?:/i.test(source)) {
    return ["-rtsp_transport", "tcp", "-timeout", "10000000", ...lowDelay];
  }
  if (kind === "http") return ["-rw_timeout", "10000000", "-analyzeduration", "1000000"];
  if (/^udp:/i.test(source)) return lowDelay;
  return ["-rw_timeout", "10000000", ...lowDelay];
}

/**
 * A source, validated and classified once. The player, the producer and the probe all take
 * it, so a source string is checked in one place.
 *
 * @example
 * ```ts
 * import type { ParsedSource } from "@stream-infer/stream-infer";
 * const cam: ParsedSource = {
 *   url: "rtsp://127.0.0.1:8554/cam",
 *   kind: "stream",
 *   inputOptions: ["-rtsp_transport", "tcp"],
 * };
 * ```
 */
export interface ParsedSource {
  /** The source as given: path, URL or device. */
  readonly url: string;
  /** What kind of source it is. */
  readonly kind: SourceKind;
  /** The ffmpeg input options that suit its kind. */
  readonly inputOptions: readonly string[];
}

/**
 * Validates a source string and classifies it. Throws {@link SourceError} for an empty
 * source, one that ffmpeg would read as an option, or a missing file.
 *
 * @example
 * ```ts
 * import { parseSource } from "@stream-infer/stream-infer";
 * const cam = parseSource("rtsp://127.0.0.1:8554/cam");
 * console.log(cam.kind, cam.inputOptions.includes("tcp")); // "stream" true
 * ```
 */
export function parseSource(source: string | ParsedSource): ParsedSource {
  if (typeof source === "object" && source !== null) return source;
  validateSource(source);
  return { url: source, kind: sourceKind(source), inputOptions: inputOptionsFor(source) };
}
