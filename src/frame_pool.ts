/**
 * {@link FramePool}: the one place frame buffers are recycled. The producer reads frames into
 * its buffers, and the run packs the frames a worker gets into them; buffers come back when
 * the frames are no longer needed (a worker hands its buffer back with the result).
 *
 * @module
 */

/**
 * Free `ArrayBuffer`s by byte length, at most `perSize` of each length.
 *
 * @example
 * ```ts
 * import { FramePool } from "./frame_pool.ts";
 * const pool = new FramePool();
 * const a = pool.acquire(640 * 360 * 3);
 * pool.release(a);
 * console.log(pool.acquire(640 * 360 * 3) === a); // true
 * ```
 */
export class FramePool {
  readonly #free = new Map<number, ArrayBuffer[]>();
  readonly #perSize: number;

  /** Creates an empty pool keeping at most `perSize` free buffers of each length. */
  constructor(perSize = 8) {
    this.#perSize = perSize;
  }

  /** A buffer of exactly `byteLength` bytes: a free one, else a new one. */
  acquire(byteLength: number): ArrayBuffer {
    return this.#free.get(byteLength)?.pop() ?? new ArrayBuffer(byteLength);
  }

  /** Gives a buffer back. Detached buffers and buffers over the cap are dropped. */
  release(buffer: ArrayBuffer): void {
    if (buffer.detached || buffer.byteLength === 0) return;
    let list = this.#free.get(buffer.byteLength);
    if (!list) this.#free.set(buffer.byteLength, list = []);
    if (list.length < this.#perSize && !list.includes(buffer)) list.push(buffer);
  }

  /** Free buffers kept, over every length. */
  get size(): number {
    let n = 0;
    for (const list of this.#free.values()) n += list.length;
    return n;
  }
}
