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
// source range set below (swscale warns about its deprecated yuvj420p)
const AV_PIX_FMT: Record<YuvTransport | RgbTarget, number> = {
  yuv420p: 0,
  rgb24: 2,
  bgr24: 3,
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

const SWS_BILINEAR = 2;

const SYMBOLS = {
  sws_getContext: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  sws_setColorspaceDetails: {
    parameters: ["pointer", "pointer", "i32", "pointer", "i32", "i32", "i32", "i32"],
    result: "i32",
  },
  sws_getCoefficients: { parameters: ["i32"], result: "pointer" },
  sws_scale: {
    parameters: ["pointer", "buffer", "buffer", "i32", "i32", "buffer", "buffer"],
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
 * Converts frames of one size from a {@link YuvTransport} to a packed RGB format. Close it
 * when done.
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
  readonly #library: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #sws: Swscale;
  #context: Deno.PointerValue;
  readonly #width: number;
  readonly #height: number;
  readonly #planes = new BigUint64Array(4);
  readonly #dst = new BigUint64Array(4);
  readonly #strides: Int32Array;
  readonly #dstStride: Int32Array;

  /** Creates the swscale context; throws when libswscale is not available. */
  constructor(
    width: number,
    height: number,
    from: YuvTransport,
    to: RgbTarget,
    colorSpace?: string,
  ) {
    if (width % 2 || height % 2) throw new Error(`YUV 4:2:0 needs even sides (${width}x${height})`);
    const library = openSwscale();
    if (!library) throw new Error("libswscale is not available (FFI denied or not installed)");
    this.#library = library;
    const sws = this.#sws = library.symbols;
    this.#width = width;
    this.#height = height;
    this.#context = sws.sws_getContext(
      width,
      height,
      AV_PIX_FMT[from],
      width,
      height,
      AV_PIX_FMT[to],
      SWS_BILINEAR,
      null,
      null,
      null,
    );
    if (!this.#context) {
      library.close();
      throw new Error(`swscale cannot convert ${from} to ${to}`);
    }
    const table = sws.sws_getCoefficients(COLOR_SPACES[colorSpace ?? "unknown"] ?? 2);
    // the source's range, full-range RGB out, no brightness/contrast/saturation change
    sws.sws_setColorspaceDetails(
      this.#context,
      table,
      from === "yuvj420p" ? 1 : 0,
      table,
      1,
      0,
      1 << 16,
      1 << 16,
    );
    this.#strides = new Int32Array([width, width / 2, width / 2, 0]);
    this.#dstStride = new Int32Array([width * 3, 0, 0, 0]);
  }

  /** Converts one frame: `yuv` holds the three planes, `out` receives the packed pixels. */
  run(yuv: Uint8Array, out: Uint8Array): void {
    const w = this.#width, h = this.#height;
    if (!this.#context) throw new Error("YuvConverter is closed");
    if (yuv.byteLength < (w * h * 3) / 2 || out.byteLength < w * h * 3) {
      throw new RangeError(`buffers too small for ${w}x${h}`);
    }
    const y = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(yuv)));
    const planes = this.#planes;
    planes[0] = y;
    planes[1] = y + BigInt(w * h);
    planes[2] = planes[1] + BigInt((w * h) / 4);
    this.#dst[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(out)));
    this.#sws.sws_scale(this.#context, planes, this.#strides, 0, h, this.#dst, this.#dstStride);
  }

  /** Frees the swscale context and lets go of the library. */
  close(): void {
    if (!this.#context) return;
    this.#sws.sws_freeContext(this.#context);
    this.#context = null;
    this.#library.close();
  }
}
