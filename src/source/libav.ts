/**
 * ffmpeg's demuxing and decoding libraries (libavformat, libavcodec, libavutil) through Deno's
 * FFI, for decoding files in this process as OpenCV's capture does.
 *
 * The few struct fields read here sit at offsets that change between library versions, so the
 * libraries are used only when their versions are ones whose layout is written below (ffmpeg
 * 5.1: libavformat 59.27, libavcodec 59.37, libavutil 57.28, as Debian 12 ships). Anything
 * else, or no FFI permission, and {@link openLibav} returns `null`: the producer then spawns
 * ffmpeg instead.
 *
 * @module
 */
import { openFirst } from "./ffi.ts";

/** Where the fields read here sit, for one set of library versions. */
export interface LibavLayout {
  /** `AVFormatContext`: `streams`, `start_time`. */
  formatStreams: number;
  formatStartTime: number;
  /** `AVStream`: `index`, `time_base` (num, den), `codecpar`. */
  streamIndex: number;
  streamTimeBase: number;
  streamCodecpar: number;
  /** `AVPacket.stream_index`. */
  packetStreamIndex: number;
  /** `AVFrame`: `data[8]`, `linesize[8]`, `width`, `height`, `format`, `flags`,
   * `color_range`, `best_effort_timestamp`, `decode_error_flags`. */
  frameData: number;
  frameLinesize: number;
  frameWidth: number;
  frameHeight: number;
  frameFormat: number;
  frameFlags: number;
  frameColorRange: number;
  frameBestEffortTimestamp: number;
  frameDecodeErrorFlags: number;
}

/** Layouts by `major.minor` of libavformat, libavcodec and libavutil, checked with `offsetof`
 * against the headers of the same versions. */
const LAYOUTS: Record<string, LibavLayout> = {
  // ffmpeg 5.1
  "59.27 59.37 57.28": {
    formatStreams: 48,
    formatStartTime: 64,
    streamIndex: 0,
    streamTimeBase: 16,
    streamCodecpar: 208,
    packetStreamIndex: 36,
    frameData: 0,
    frameLinesize: 64,
    frameWidth: 104,
    frameHeight: 108,
    frameFormat: 116,
    frameFlags: 316,
    frameColorRange: 320,
    frameBestEffortTimestamp: 344,
    frameDecodeErrorFlags: 376,
  },
};

const FORMAT_SYMBOLS = {
  avformat_version: { parameters: [], result: "u32" },
  avformat_open_input: {
    parameters: ["buffer", "buffer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  avformat_find_stream_info: {
    parameters: ["pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  av_find_best_stream: {
    parameters: ["pointer", "i32", "i32", "i32", "buffer", "i32"],
    result: "i32",
  },
  av_read_frame: { parameters: ["pointer", "pointer"], result: "i32" },
  avformat_seek_file: {
    parameters: ["pointer", "i32", "i64", "i64", "i64", "i32"],
    result: "i32",
  },
  avformat_close_input: { parameters: ["buffer"], result: "void" },
} as const;

const CODEC_SYMBOLS = {
  avcodec_version: { parameters: [], result: "u32" },
  avcodec_alloc_context3: { parameters: ["pointer"], result: "pointer" },
  avcodec_free_context: { parameters: ["buffer"], result: "void" },
  avcodec_parameters_to_context: { parameters: ["pointer", "pointer"], result: "i32" },
  avcodec_open2: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  av_packet_alloc: { parameters: [], result: "pointer" },
  av_packet_free: { parameters: ["buffer"], result: "void" },
  av_packet_unref: { parameters: ["pointer"], result: "void" },
  // called on the main thread: handing each call to another thread costs more than the wait
  // for the decoder's own threads (see BENCHMARKS.md, "Frame source levers")
  avcodec_send_packet: { parameters: ["pointer", "pointer"], result: "i32" },
  avcodec_receive_frame: { parameters: ["pointer", "pointer"], result: "i32" },
} as const;

const UTIL_SYMBOLS = {
  avutil_version: { parameters: [], result: "u32" },
  av_frame_alloc: { parameters: [], result: "pointer" },
  av_frame_free: { parameters: ["buffer"], result: "void" },
  av_frame_unref: { parameters: ["pointer"], result: "void" },
  av_opt_set_int: { parameters: ["pointer", "buffer", "i64", "i32"], result: "i32" },
  av_log_set_level: { parameters: ["i32"], result: "void" },
  av_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
} as const;

/** The three libraries' symbols and the layout of their structs. */
export interface Libav {
  format: Deno.DynamicLibrary<typeof FORMAT_SYMBOLS>["symbols"];
  codec: Deno.DynamicLibrary<typeof CODEC_SYMBOLS>["symbols"];
  util: Deno.DynamicLibrary<typeof UTIL_SYMBOLS>["symbols"];
  layout: LibavLayout;
  /** Lets go of the libraries. */
  close(): void;
}

/** `AVERROR(EAGAIN)` and `AVERROR_EOF`, the two codes that are not errors. */
export const AVERROR_EAGAIN = -11;
/** `AVERROR_EOF`: the end of the input or of the decoder's output. */
export const AVERROR_EOF = -541478725;

const AV_LOG_QUIET = -8;

const versionKey = (v: number) => `${v >>> 16}.${(v >>> 8) & 0xff}`;

let usable: boolean | undefined; // whether the libraries load with a known layout, found once

/**
 * Opens libavformat, libavcodec and libavutil, or returns `null` when FFI is not allowed, they
 * are not installed, or their versions have no known layout. Close the result when done.
 *
 * @example
 * ```ts ignore
 * import { openLibav } from "./libav.ts";
 * const libav = openLibav();
 * console.log(libav ? "decoding in this process" : "spawning ffmpeg");
 * libav?.close();
 * ```
 */
export function openLibav(): Libav | null {
  if (usable === false) return null;
  const format = openFirst(["libavformat.so.59"], FORMAT_SYMBOLS);
  const codec = openFirst(["libavcodec.so.59"], CODEC_SYMBOLS);
  const util = openFirst(["libavutil.so.57"], UTIL_SYMBOLS);
  const close = () => [format, codec, util].forEach((lib) => lib?.library.close());
  const layout = format && codec && util
    ? LAYOUTS[
      [
        format.library.symbols.avformat_version(),
        codec.library.symbols.avcodec_version(),
        util.library.symbols.avutil_version(),
      ].map(versionKey).join(" ")
    ]
    : undefined;
  usable = layout !== undefined;
  if (!layout) {
    close();
    return null;
  }
  // errors reach the caller as return codes; nothing is printed on this process's stderr
  util!.library.symbols.av_log_set_level(AV_LOG_QUIET);
  return {
    format: format!.library.symbols,
    codec: codec!.library.symbols,
    util: util!.library.symbols,
    layout,
    close,
  };
}

/**
 * Whether {@link openLibav} would succeed, found out once (the libraries are closed again).
 *
 * @example
 * ```ts ignore
 * import { libavAvailable } from "./libav.ts";
 * console.log(libavAvailable());
 * ```
 */
export function libavAvailable(): boolean {
  if (usable === undefined) openLibav()?.close();
  return usable === true;
}

/**
 * The text of a libav error code, such as `Invalid data found when processing input`.
 *
 * @example
 * ```ts ignore
 * import { errorText, openLibav } from "./libav.ts";
 * const libav = openLibav()!;
 * console.log(errorText(libav, -541478725)); // "End of file"
 * ```
 */
export function errorText(libav: Libav, code: number): string {
  const buffer = new Uint8Array(256);
  libav.util.av_strerror(code, buffer, BigInt(buffer.length));
  const end = buffer.indexOf(0);
  return new TextDecoder().decode(buffer.subarray(0, end < 0 ? buffer.length : end));
}
