/**
 * {@link ProducerOptions}, the options of `FFmpegProducer`, and their checks.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { PIXEL_FORMATS, type PixelFormat } from "../frame.ts";

/**
 * Options of `FFmpegProducer`. Width and height default to the source's; give one of
 * them to keep the aspect ratio.
 *
 * @example
 * ```ts
 * import type { ProducerOptions } from "@stream-infer/stream-infer";
 * const opts: ProducerOptions = { width: 640, height: 360, format: "rgb24" };
 * ```
 */
export interface ProducerOptions {
  /** Output width in pixels. */
  width?: number;
  /** Output height in pixels. */
  height?: number;
  /** Output pixel format (default `bgr24`). */
  format?: PixelFormat;
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Extra ffmpeg input options, after the defaults for the source's kind. */
  inputOptions?: string[];
  /**
   * swscale flags for resizing (default `area`: of swscale's filters the closest to OpenCV's
   * `cv2.resize` when shrinking, and cheaper than `bilinear`; it enlarges as `bilinear` does.
   * See BENCHMARKS.md).
   */
  scaleFlags?: string;
  /** Decoder threads (`-threads`; default: ffmpeg's choice, one per core). */
  threads?: number;
  /** Filter graph threads (`-filter_threads`; default: ffmpeg's choice). */
  filterThreads?: number;
  /**
   * Where `bgr24`/`rgb24` pixels are made. `auto` (the default): ffmpeg pipes YUV 4:2:0 (half
   * the bytes) and this process converts it with ffmpeg's libswscale, as OpenCV does, when FFI
   * is allowed, a libswscale loads and the probed source is 8-bit 4:2:0 of even size; at the
   * source's size the bytes are ffmpeg's own. `ffmpeg`: ffmpeg converts and pipes 3 bytes per
   * pixel.
   */
  colorConversion?: "auto" | "ffmpeg";
  /**
   * Where a file is decoded. `auto` (the default): in this process, through ffmpeg's own
   * libraries (libavformat, libavcodec, libswscale) over FFI, as OpenCV does, when FFI is
   * allowed, the libraries are ffmpeg 5.1's, the source is a local file of 8-bit 4:2:0 video
   * and no input options are given; otherwise, and with `ffmpeg`, a spawned ffmpeg decodes.
   */
  decoding?: "auto" | "ffmpeg";
}

/** The swscale flags `FFmpegProducer` resizes with unless told otherwise. */
export const DEFAULT_SCALE_FLAGS = "area";

/**
 * Checks producer options; returns the pixel format (default `bgr24`). Throws
 * {@link InputError} naming the bad option.
 *
 * @example
 * ```ts ignore
 * import { validateProducerOptions } from "./producer_options.ts";
 * console.log(validateProducerOptions({ width: 640 })); // "bgr24"
 * ```
 */
export function validateProducerOptions(options: ProducerOptions): PixelFormat {
  for (const key of ["width", "height"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 2 && v <= 16384)) {
      throw new InputError(`producer ${key} must be an integer from 2 to 16384 (got ${v})`);
    }
  }
  for (const key of ["threads", "filterThreads"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 64)) {
      throw new InputError(`producer ${key} must be an integer from 0 to 64 (got ${v})`);
    }
  }
  if (options.scaleFlags !== undefined && !/^[a-z_]+(\+[a-z_]+)*$/.test(options.scaleFlags)) {
    throw new InputError(
      `producer scaleFlags must be swscale flags such as bilinear or bicubic+accurate_rnd ` +
        `(got ${JSON.stringify(options.scaleFlags)})`,
    );
  }
  for (const key of ["colorConversion", "decoding"] as const) {
    const v = options[key];
    if (v !== undefined && v !== "auto" && v !== "ffmpeg") {
      throw new InputError(`producer ${key} must be auto or ffmpeg (got ${v})`);
    }
  }
  const format = options.format ?? "bgr24";
  if (!PIXEL_FORMATS.includes(format)) {
    throw new InputError(
      `producer format must be one of ${PIXEL_FORMATS.join(", ")} (got ${format})`,
    );
  }
  return format;
}
