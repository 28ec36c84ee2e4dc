/**
 * The frame type every algorithm receives, and helpers about pixel formats.
 *
 * @module
 */

/**
 * Pixel layouts the producer can emit.
 *
 * - `bgr24`, `rgb24`: packed, 3 bytes per pixel; `gray`: 1 byte per pixel (full-range luma).
 * - `yuv420p`: planar YUV 4:2:0, 1.5 bytes per pixel: the Y plane (`width * height` bytes),
 *   then U, then V, each `ceil(width / 2) * ceil(height / 2)` bytes. BT.601 limited range
 *   (ffmpeg's default for video that names no colour space).
 * - `nv12`: the Y plane, then one plane of interleaved U, V pairs (same sizes as `yuv420p`).
 *
 * The YUV formats halve the bytes a frame takes (through ffmpeg's pipe too); an algorithm
 * that wants RGB converts once, at the size it needs, with `frameAs` (see `frame_convert.ts`).
 */
export type PixelFormat = "bgr24" | "rgb24" | "gray" | "yuv420p" | "nv12";

/** The pixel formats, in a list usable for validation. */
export const PIXEL_FORMATS: readonly PixelFormat[] = ["bgr24", "rgb24", "gray", "yuv420p", "nv12"];

/** The planar YUV 4:2:0 formats (`yuv420p`, `nv12`). */
export type YuvFormat = "yuv420p" | "nv12";

/**
 * Whether a format is planar YUV 4:2:0 (`yuv420p` or `nv12`): its bytes are not
 * `width * height * channels`; the first `width * height` bytes are the Y (luma) plane.
 *
 * @example
 * ```ts
 * import { isYuv } from "@stream-infer/stream-infer";
 * console.log(isYuv("nv12"), isYuv("bgr24")); // true false
 * ```
 */
export function isYuv(format: PixelFormat): format is YuvFormat {
  return format === "yuv420p" || format === "nv12";
}

/**
 * One decoded video frame.
 *
 * `data` is only guaranteed valid while the call that received it runs: the runtime reuses
 * frame buffers, so copy what you want to keep.
 *
 * @example
 * ```ts
 * import type { Frame } from "@stream-infer/stream-infer";
 * function meanLuma(frame: Frame): number {
 *   let sum = 0;
 *   for (const v of frame.data) sum += v;
 *   return sum / frame.data.length;
 * }
 * ```
 */
export interface Frame {
  /** Row-major pixels, `frameBytes(width, height, format)` bytes: packed for `bgr24`, `rgb24`
   * and `gray` (`width * height * channels`), planes for `yuv420p` and `nv12`. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel layout of `data`. */
  format: PixelFormat;
  /** 0-based index among the frames played (after fps down-sampling). */
  index: number;
  /** The id of the source it came from (`main` for a lone source). */
  source: string;
  /** The source's presentation time of this frame, in seconds. */
  time: number;
}

/**
 * Colour channels of a pixel format: 1 for `gray`, 3 for the others. For the packed formats
 * (`bgr24`, `rgb24`, `gray`) this is also the bytes per pixel; the YUV formats take 1.5 bytes
 * per pixel (use {@link frameBytes}, and {@link isYuv} before indexing pixels).
 *
 * @example
 * ```ts
 * import { channelsOf } from "@stream-infer/stream-infer";
 * console.log(channelsOf("bgr24")); // 3
 * ```
 */
export function channelsOf(format: PixelFormat): 1 | 3 {
  return format === "gray" ? 1 : 3;
}

/**
 * Size in bytes of one frame: `width * height * channels` for the packed formats; for the
 * YUV 4:2:0 formats the Y plane plus two chroma planes of `ceil(width / 2) * ceil(height / 2)`.
 *
 * @example
 * ```ts
 * import { frameBytes } from "@stream-infer/stream-infer";
 * console.log(frameBytes(640, 360, "rgb24")); // 691200
 * console.log(frameBytes(640, 360, "yuv420p")); // 345600
 * ```
 */
export function frameBytes(width: number, height: number, format: PixelFormat): number {
  if (isYuv(format)) return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  return width * height * channelsOf(format);
}

/**
 * Returns a copy of a frame whose `data` owns its own buffer.
 *
 * @example
 * ```ts
 * import { cloneFrame, type Frame } from "@stream-infer/stream-infer";
 * const f: Frame = { data: new Uint8Array(3), width: 1, height: 1, format: "rgb24", index: 0, source: "main", time: 0 };
 * const kept = cloneFrame(f);
 * console.log(kept.data !== f.data); // true
 * ```
 */
export function cloneFrame(frame: Frame): Frame {
  return { ...frame, data: frame.data.slice() };
}

/**
 * Copies frames back to back into one buffer: `buffer` when its size is exactly right, else a
 * new one. The copies' `data` are views of that buffer, so the frames travel to a worker as a
 * single transferable.
 *
 * @example
 * ```ts
 * import { type Frame, packFrames } from "@stream-infer/stream-infer";
 * const f: Frame = { data: new Uint8Array(3), width: 1, height: 1, format: "rgb24", index: 0, source: "main", time: 0 };
 * const [a, b] = packFrames([f, { ...f, index: 1 }]);
 * console.log(a.data.buffer === b.data.buffer, b.data.byteOffset); // true 3
 * ```
 */
export function packFrames(frames: readonly Frame[], buffer?: ArrayBuffer): Frame[] {
  let total = 0;
  for (const f of frames) total += f.data.byteLength;
  const target = buffer?.byteLength === total ? buffer : new ArrayBuffer(total);
  let offset = 0;
  return frames.map((f) => {
    const data = new Uint8Array(target, offset, f.data.byteLength);
    data.set(f.data);
    offset += f.data.byteLength;
    return { ...f, data };
  });
}

/**
 * Whole seconds played at time `time` (the `position` of a record).
 *
 * @example
 * ```ts
 * import { positionOf } from "@stream-infer/stream-infer";
 * console.log(positionOf(2.96)); // 2
 * ```
 */
export function positionOf(time: number): number {
  return Math.floor(time + 1e-9);
}

/**
 * A filter on played frame indices that lets ffmpeg skip frames nobody will look at.
 * `expr` is an ffmpeg `select` expression over `n` (the played index) that is non-zero
 * exactly when `test(n)` is true.
 *
 * @example
 * ```ts
 * import type { FrameFilter } from "./frame.ts";
 * const everyTenth: FrameFilter = { expr: "not(mod(n+1,10))", test: (k) => (k + 1) % 10 === 0 };
 * ```
 */
export interface FrameFilter {
  /** ffmpeg `select` expression over the played index `n`. */
  expr: string;
  /** The same predicate in JavaScript. */
  test(index: number): boolean;
}
