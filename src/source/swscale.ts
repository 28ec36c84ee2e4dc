/**
 * Converting piped YUV 4:2:0 frames to `bgr24`/`rgb24` in this process with ffmpeg's own
 * libswscale (through Deno's FFI), as OpenCV's capture does. ffmpeg then pipes 1.5 bytes per
 * pixel instead of 3, which is what limits an every-frame pipeline (see BENCHMARKS.md).
 *
 * Used by the producer only when FFI is allowed, a libswscale is found and the source is 8-bit
 * 4:2:0 with a colour matrix swscale knows; the bytes are then those ffmpeg's own conversion
 * gives at the source's size.
 *
 * @module
 */
import { ffiAllowed, openFirst } from "./ffi.ts";
import { frameBytes, isYuv, type PixelFormat } from "../frame.ts";

/**
 * The YUV layouts ffmpeg pipes for in-process conversion: limited range, or full range (JPEG).
 *
 * @example
 * ```ts
 * import type { YuvTransport } from "@stream-infer/stream-infer";
 * const piped: YuvTransport = "yuv420p";
 * ```
 */
export type YuvTransport = "yuv420p" | "yuvj420p";

/** The packed formats converted to. */
export type RgbTarget = "bgr24" | "rgb24";

// AVPixelFormat values (stable since libavutil 51); full-range input is yuv420p with the
// source range set apart (swscale warns about its deprecated yuvj420p)
const AV_PIX_FMT: Record<YuvTransport | PixelFormat, number> = {
  yuv420p: 0,
  rgb24: 2,
  bgr24: 3,
  gray: 8,
  nv12: 23,
  yuvj420p: 0,
};

// AVColorSpace values by the names ffprobe and ffmpeg's banner print; each is also the index
// sws_getCoefficients takes. Missing or `unknown` is BT.601, as in ffmpeg's own conversion.
const COLOR_SPACES: Record<string, number> = {
  bt709: 1,
  unknown: 2,
  fcc: 4,
  bt470bg: 5,
  smpte170m: 6,
  smpte240m: 7,
  bt2020nc: 9,
  bt2020c: 10,
};

// swscale's flags by the names ffmpeg's `flags` option takes
const SWS_FLAGS: Record<string, number> = {
  fast_bilinear: 0x1,
  bilinear: 0x2,
  bicubic: 0x4,
  experimental: 0x8,
  neighbor: 0x10,
  area: 0x20,
  bicublin: 0x40,
  gauss: 0x80,
  sinc: 0x100,
  lanczos: 0x200,
  spline: 0x400,
  print_info: 0x1000,
  accurate_rnd: 0x40000,
  full_chroma_int: 0x2000,
  full_chroma_inp: 0x4000,
  bitexact: 0x80000,
  error_diffusion: 0x800000,
};

const SYMBOLS = {
  sws_getContext: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  sws_setColorspaceDetails: {
    parameters: ["pointer", "pointer", "i32", "pointer", "i32", "i32", "i32", "i32"],
    result: "i32",
  },
  sws_getColorspaceDetails: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  sws_getCoefficients: { parameters: ["i32"], result: "pointer" },
  sws_scale: {
    parameters: ["pointer", "pointer", "pointer", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  sws_freeContext: { parameters: ["pointer"], result: "void" },
} as const;

type Swscale = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// libswscale's API used here is the same in ffmpeg 4 to 7
const SONAMES = ["libswscale.so.6", "libswscale.so.7", "libswscale.so.8", "libswscale.so.5"];

let loads: string | null | undefined; // the soname that loads, null when none does

/**
 * Opens libswscale, or returns `null` when FFI is not allowed or no libswscale loads (which
 * is found out once). Each converter holds its own handle, so none outlives its use.
 */
function openSwscale(): Deno.DynamicLibrary<typeof SYMBOLS> | null {
  if (loads === null || !ffiAllowed()) return null;
  const opened = openFirst(loads ? [loads] : SONAMES, SYMBOLS);
  loads = opened?.name ?? null;
  return opened?.library ?? null;
}

/**
 * The transport for a source decoded as `pixelFormat` with colour matrix `colorSpace` (names
 * as ffprobe prints them), or `undefined` when it must be converted by ffmpeg: not 8-bit
 * 4:2:0, an unknown matrix, or no libswscale here.
 *
 * @example
 * ```ts ignore
 * import { yuvTransport } from "./swscale.ts";
 * console.log(yuvTransport("yuv420p", "bt709")); // "yuv420p" where FFI is allowed
 * console.log(yuvTransport("yuv444p", undefined)); // undefined
 * ```
 */
export function yuvTransport(
  pixelFormat: string | undefined,
  colorSpace: string | undefined,
): YuvTransport | undefined {
  if (pixelFormat !== "yuv420p" && pixelFormat !== "yuvj420p") return undefined;
  if (colorSpace !== undefined && !(colorSpace in COLOR_SPACES)) return undefined;
  if (!ffiAllowed()) return undefined;
  if (loads === undefined) openSwscale()?.close();
  return loads ? pixelFormat : undefined;
}

/**
 * swscale's flags for a `+`-joined list of their names (`bilinear`, `bicubic+accurate_rnd`),
 * or `undefined` when a name is not one of them.
 *
 * @example
 * ```ts ignore
 * import { swsFlags } from "./swscale.ts";
 * console.log(swsFlags("bilinear")); // 2
 * console.log(swsFlags("bilinear+nonsense")); // undefined
 * ```
 */
export function swsFlags(names: string): number | undefined {
  let flags = 0;
  for (const name of names.split("+")) {
    if (!(name in SWS_FLAGS)) return undefined;
    flags |= SWS_FLAGS[name];
  }
  return flags;
}

/** One side of a {@link Scaler}: a size, a pixel format and, for YUV, the range. */
export interface ScaleSide {
  width: number;
  height: number;
  /** An `AVPixelFormat` (a decoded picture's own), or one of the library's formats. */
  format: number | PixelFormat;
  /** Full-range (JPEG) samples; left out, swscale's default for the format. */
  fullRange?: boolean;
}

/**
 * The planes of frames of one size and `format` held in a buffer (as {@link frameBytes} lays
 * them out), for libswscale: pointers and strides, as in `AVFrame.data` and `linesize`.
 */
class BufferPlanes {
  /** Where each plane of the last buffer given to {@link at} starts (0 for no plane). */
  readonly pointers = new BigUint64Array(4);
  /** Each plane's bytes per row (0 for no plane). */
  readonly strides: Int32Array;
  /** The buffer's byte length. */
  readonly bytes: number;
  readonly #offsets: number[];

  constructor(width: number, height: number, format: PixelFormat) {
    const luma = width * height, cw = Math.ceil(width / 2), ch = Math.ceil(height / 2);
    const [offsets, strides] = !isYuv(format)
      ? [[0], [format === "gray" ? width : width * 3]]
      : format === "nv12"
      ? [[0, luma], [width, cw * 2]]
      : [[0, luma, luma + cw * ch], [width, cw, cw]];
    this.#offsets = offsets;
    this.strides = new Int32Array(4);
    this.strides.set(strides);
    this.bytes = frameBytes(width, height, format);
  }

  /** The plane pointers of `buffer` (checked to be large enough). */
  at(buffer: Uint8Array): BigUint64Array {
    if (buffer.byteLength < this.bytes) throw new RangeError("frame buffer too small");
    const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    const offsets = this.#offsets;
    for (let i = 0; i < offsets.length; i++) this.pointers[i] = base + BigInt(offsets[i]);
    return this.pointers;
  }
}

/**
 * One libswscale context: pictures of one size and format to frames of another, resized with
 * the given flags, the colour matrix following the source's tag (BT.601 when untagged, as
 * ffmpeg's `scale` filter does). Close it when done.
 *
 * @example
 * ```ts ignore
 * import { Scaler } from "./swscale.ts";
 * const scale = new Scaler({ width: 64, height: 48, format: "yuv420p" }, { width: 32, height: 24, format: "bgr24" });
 * const yuv = new Uint8Array(64 * 48 * 3 / 2).fill(128), bgr = new Uint8Array(32 * 24 * 3);
 * scale.runBuffer(yuv, bgr);
 * scale.close();
 * ```
 */
export class Scaler {
  readonly #library: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #sws: Swscale;
  #context: Deno.PointerValue;
  readonly #from: ScaleSide;
  readonly #dst: BufferPlanes;
  readonly #src?: BufferPlanes; // for runBuffer

  /** Creates the context; throws when libswscale is not available or cannot convert. */
  constructor(
    from: ScaleSide,
    to: ScaleSide & { format: PixelFormat },
    options: { flags?: number; colorSpace?: string } = {},
  ) {
    const library = openSwscale();
    if (!library) throw new Error("libswscale is not available (FFI denied or not installed)");
    this.#library = library;
    const sws = this.#sws = library.symbols;
    const pix = (f: number | PixelFormat) => typeof f === "number" ? f : AV_PIX_FMT[f];
    this.#context = sws.sws_getContext(
      from.width,
      from.height,
      pix(from.format),
      to.width,
      to.height,
      pix(to.format),
      options.flags ?? SWS_FLAGS.bilinear,
      null,
      null,
      null,
    );
    if (!this.#context) {
      library.close();
      throw new Error(`swscale cannot convert ${from.format} to ${to.format}`);
    }
    // the source's matrix and range; the destination's range as given, else swscale's own
    // default for its format (full for gray, limited for YUV), as ffmpeg's scale filter keeps it
    const ints = () => new Int32Array(1), ptr = new BigUint64Array(1);
    const [srcRange, dstRange, b, c, s] = [ints(), ints(), ints(), ints(), ints()];
    sws.sws_getColorspaceDetails(this.#context, ptr, srcRange, ptr, dstRange, b, c, s);
    const table = sws.sws_getCoefficients(COLOR_SPACES[options.colorSpace ?? "unknown"] ?? 2);
    sws.sws_setColorspaceDetails(
      this.#context,
      table,
      from.fullRange === undefined ? srcRange[0] : Number(from.fullRange),
      table,
      to.fullRange === undefined ? dstRange[0] : Number(to.fullRange),
      b[0],
      c[0],
      s[0],
    );
    this.#from = from;
    this.#dst = new BufferPlanes(to.width, to.height, to.format);
    if (typeof from.format === "string") {
      this.#src = new BufferPlanes(from.width, from.height, from.format);
    }
  }

  /** Converts one picture given as libav's plane pointers and strides (`AVFrame.data`,
   * `AVFrame.linesize`) into `out`. */
  run(planes: Deno.PointerValue, strides: Deno.PointerValue, out: Uint8Array): void {
    if (!this.#context) throw new Error("Scaler is closed");
    const dst = this.#dst;
    this.#sws.sws_scale(
      this.#context,
      planes,
      strides,
      0,
      this.#from.height,
      dst.at(out),
      dst.strides,
    );
  }

  /** Converts one frame held in a buffer in one of the library's formats (planes one after
   * another, as {@link frameBytes} lays them out) into `out`. */
  runBuffer(input: Uint8Array, out: Uint8Array): void {
    const src = this.#src;
    if (!src) throw new Error("runBuffer needs a named source format");
    this.run(Deno.UnsafePointer.of(src.at(input)), Deno.UnsafePointer.of(src.strides), out);
  }

  /** Frees the context and lets go of the library. */
  close(): void {
    if (!this.#context) return;
    this.#sws.sws_freeContext(this.#context);
    this.#context = null;
    this.#library.close();
  }
}

/**
 * Converts frames of one size from a {@link YuvTransport} to a packed RGB format (the piped
 * frames of a spawned ffmpeg). Close it when done.
 *
 * @example
 * ```ts ignore
 * import { YuvConverter } from "./swscale.ts";
 * const convert = new YuvConverter(640, 360, "yuv420p", "bgr24", "bt709");
 * const yuv = new Uint8Array(640 * 360 * 3 / 2).fill(128);
 * const bgr = new Uint8Array(640 * 360 * 3);
 * convert.run(yuv, bgr);
 * convert.close();
 * ```
 */
export class YuvConverter {
  readonly #scaler: Scaler;

  /** Creates the swscale context; throws when libswscale is not available. */
  constructor(
    width: number,
    height: number,
    from: YuvTransport,
    to: RgbTarget,
    colorSpace?: string,
  ) {
    if (width % 2 || height % 2) throw new Error(`YUV 4:2:0 needs even sides (${width}x${height})`);
    this.#scaler = new Scaler(
      { width, height, format: "yuv420p", fullRange: from === "yuvj420p" },
      { width, height, format: to, fullRange: true },
      { colorSpace },
    );
  }

  /** Converts one frame: `yuv` holds the three planes, `out` receives the packed pixels. */
  run(yuv: Uint8Array, out: Uint8Array): void {
    this.#scaler.runBuffer(yuv, out);
  }

  /** Frees the swscale context and lets go of the library. */
  close(): void {
    this.#scaler.close();
  }
}
