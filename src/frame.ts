/**
 * The frame type every algorithm receives, and helpers about pixel formats.
 *
 * @module
 */

/** Packed pixel layouts the producer can emit. */
export type PixelFormat = "bgr24" | "rgb24" | "gray";

/** The pixel formats, in a list usable for validation. */
export const PIXEL_FORMATS: readonly PixelFormat[] = ["bgr24", "rgb24", "gray"];

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
  /** Packed, row-major pixels: `width * height * channels` bytes. */
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
 * Bytes per pixel of a pixel format.
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
 * Size in bytes of one packed frame.
 *
 * @example
 * ```ts
 * import { frameBytes } from "@stream-infer/stream-infer";
 * console.log(frameBytes(640, 360, "rgb24")); // 691200
 * ```
 */
export function frameBytes(width: number, height: number, format: PixelFormat): number {
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
