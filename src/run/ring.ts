/**
 * {@link FrameRing}: one source's newest frames, handed out by count and step.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import { frameIndices } from "../schedule/schedule.ts";

/**
 * A ring of the newest played frames of one source, indexed by their played index. The run
 * sizes it from the loaded schedules (see `requiredSpan`).
 *
 * @example
 * ```ts
 * import { FrameRing } from "./ring.ts";
 * const ring = new FrameRing(3);
 * const frame = (index: number) => ({
 *   data: new Uint8Array(3), width: 1, height: 1, format: "rgb24" as const, index, source: "main",
 *   time: index / 10,
 * });
 * for (let i = 0; i < 5; i++) ring.add(frame(i));
 * console.log(ring.get(2, 2)?.map((f) => f.index)); // [2, 4]
 * ```
 */
export class FrameRing {
  /** The frames held, by played index, oldest first (indices only grow). */
  readonly #frames = new Map<number, Frame>();
  readonly #capacity: number;
  #newest: Frame | undefined;

  /**
   * Creates a ring holding up to `capacity` frames (at least 1). Nothing is allocated up
   * front: memory grows with the frames actually added, up to `capacity` of them.
   */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** How many frames the ring holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The newest frame added, if any. */
  get newest(): Frame | undefined {
    return this.#newest;
  }

  /** Frames held now (at most `capacity`). */
  get size(): number {
    return this.#frames.size;
  }

  /** Adds the newest frame, evicting the ones `capacity` or more indices older. */
  add(frame: Frame): void {
    if (this.#newest && frame.index <= this.#newest.index) this.#frames.clear();
    this.#frames.set(frame.index, frame);
    this.#newest = frame;
    const oldest = frame.index - this.#capacity;
    for (const index of this.#frames.keys()) {
      if (index > oldest) break;
      this.#frames.delete(index);
    }
  }

  /**
   * The newest frame and every `step`-th one before it, `count` in all, oldest first; or
   * `undefined` when the ring cannot supply them (too early, or evicted).
   */
  get(count: number, step: number): Frame[] | undefined {
    if (!this.#newest) return undefined;
    const indices = frameIndices(this.#newest.index, count, step);
    if (!indices) return undefined;
    const frames: Frame[] = [];
    for (const index of indices) {
      const frame = this.#frames.get(index);
      if (!frame) return undefined;
      frames.push(frame);
    }
    return frames;
  }
}
