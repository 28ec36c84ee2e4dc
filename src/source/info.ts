/**
 * {@link SourceInfo}: a source's size, rate, length and liveness.
 *
 * @module
 */

/**
 * What probing learns about a source (`probe`, or ffmpeg's banner for a live one).
 *
 * @example
 * ```ts
 * import type { SourceInfo } from "@stream-infer/stream-infer";
 * const info: SourceInfo = { width: 768, height: 432, fps: 12.5, frameCount: 377, duration: 30.16, live: false };
 * ```
 */
export interface SourceInfo {
  /** Width of the video stream, in pixels. */
  width: number;
  /** Height of the video stream, in pixels. */
  height: number;
  /** Frames per second of the video stream. */
  fps: number;
  /** Number of frames, or `null` when unknown (live streams). */
  frameCount: number | null;
  /** Duration in seconds, or `null` when unknown (live streams). */
  duration: number | null;
  /** Whether the source is a live stream rather than a file of known length. */
  live: boolean;
  /** The decoded pixel format as ffmpeg names it (`yuv420p`, `yuvj420p`, ...), when known. */
  pixelFormat?: string;
  /** The colour matrix as ffmpeg names it (`bt709`, `bt470bg`, `unknown`, ...), when known. */
  colorSpace?: string;
}
