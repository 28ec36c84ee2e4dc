/**
 * {@link FramePacker}: puts frames into the buffers of a `run` message, either copied into
 * one buffer taken from a small pool (the worker hands it back with the result) or as the
 * frames' own buffers, transferred without a copy.
 *
 * @module
 */
import { type Frame, packFrames } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import { checkFrame, type FrameLayout, layoutOf } from "./protocol.ts";

/**
 * Frames ready to post: their layouts, the message's buffers, which of those to transfer,
 * and whether the buffer came from the pool (so it goes back there after the run).
 *
 * @example
 * ```ts
 * import { FramePacker, type PackedFrames } from "./packer.ts";
 * const packed: PackedFrames = new FramePacker(2).transfer([], "things");
 * console.log(packed.layouts.length); // 0
 * ```
 */
export interface PackedFrames {
  /** Where each frame's pixels are in `buffers`. */
  layouts: FrameLayout[];
  /** The message's buffers. */
  buffers: ArrayBufferLike[];
  /** The `ArrayBuffer`s among `buffers` (transferred; `SharedArrayBuffer`s are shared). */
  transferList: ArrayBuffer[];
  /** Whether the buffer is the packer's own (copied frames), to `release()` after the run. */
  pooled: boolean;
}

/**
 * Packs frames for `run` messages and keeps up to `poolSize` returned buffers for reuse.
 *
 * @example
 * ```ts
 * import { FramePacker } from "./packer.ts";
 * const packer = new FramePacker(2);
 * const frame = {
 *   data: new Uint8Array(3), width: 1, height: 1, format: "rgb24" as const, index: 0,
 *   source: "main", time: 0,
 * };
 * const { buffers, pooled } = packer.copy([frame], "things");
 * if (pooled) packer.release(buffers[0] as ArrayBuffer);
 * ```
 */
export class FramePacker {
  readonly #poolSize: number;
  #pool: FramePool;

  /** A packer keeping at most `poolSize` buffers of a size (0: a new buffer for every run). */
  constructor(poolSize: number) {
    this.#poolSize = poolSize;
    this.#pool = new FramePool(poolSize);
  }

  /**
   * Copies the frames' pixels into one buffer (a pooled one of the right size if there is
   * one); the frames' own buffers are not touched.
   *
   * @throws {TypeError} when a frame has no `Uint8Array` pixels.
   */
  copy(frames: Frame[], name: string): PackedFrames {
    let total = 0;
    for (const f of frames) total += checkFrame(f, name).byteLength;
    const packed = packFrames(frames, this.#pool.acquire(total));
    return { ...this.transfer(packed, name), pooled: true };
  }

  /**
   * Lays out the frames over their own buffers (each distinct buffer once), to transfer.
   *
   * @throws {TypeError} when a frame has no `Uint8Array` pixels or a detached buffer.
   */
  transfer(frames: Frame[], name: string): PackedFrames {
    const buffers: ArrayBufferLike[] = [];
    const layouts: FrameLayout[] = [];
    for (const f of frames) {
      const data = checkFrame(f, name);
      if (data.buffer instanceof ArrayBuffer && data.buffer.detached) {
        throw new TypeError(`${name}: frame ${f.index} has a detached buffer`);
      }
      let at = buffers.indexOf(data.buffer);
      if (at < 0) at = buffers.push(data.buffer) - 1;
      layouts.push(layoutOf(f, at, data.byteOffset));
    }
    const transferList = buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return { layouts, buffers, transferList, pooled: false };
  }

  /** Keeps a buffer the worker handed back, for a later `copy()`. */
  release(buffer: ArrayBuffer): void {
    this.#pool.release(buffer);
  }

  /** Drops the pooled buffers. */
  clear(): void {
    this.#pool = new FramePool(this.#poolSize);
  }
}
