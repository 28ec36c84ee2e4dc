/**
 * {@link Annotation}: the annotated copy of each played frame, made once and shared by every
 * video output of a run (recorder, restream, snapshots, clips).
 *
 * Results stay on screen between runs: each frame is drawn with the newest successful record
 * of every algorithm for its source, as long as that record is at most `hold` seconds older
 * than the frame (an algorithm that runs once a second keeps its boxes on the frames between).
 * Algorithms never see annotated pixels: the draw function gets the frame and returns a copy.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { AlgoRecord } from "../record.ts";

/**
 * Draws records on a frame and returns the annotated copy (never the frame itself changed).
 *
 * @example
 * ```ts
 * import { cloneFrame, type DrawRecords } from "@stream-infer/stream-infer";
 * const draw: DrawRecords = (frame) => {
 *   const copy = cloneFrame(frame);
 *   copy.data.fill(255, 0, 3 * 8); // a white line of 8 pixels at the top left
 *   return copy;
 * };
 * ```
 */
export type DrawRecords = (frame: Frame, records: readonly AlgoRecord[]) => Frame;

/**
 * Options of {@link Annotation}.
 *
 * @example
 * ```ts
 * import type { AnnotationOptions } from "@stream-infer/stream-infer";
 * const opts: AnnotationOptions = { hold: 1 };
 * ```
 */
export interface AnnotationOptions {
  /** The draw function (none: frames go out as played, after the process hook). */
  draw?: DrawRecords;
  /** Seconds a record stays drawn on later frames (default 2). */
  hold?: number;
}

/**
 * The annotated frames of a run, made once per played frame (see the module docs).
 *
 * @example
 * ```ts
 * import { Annotation, type Frame } from "@stream-infer/stream-infer";
 * const annotation = new Annotation();
 * const frame: Frame = { data: new Uint8Array(3), width: 1, height: 1, format: "rgb24", index: 0, source: "main", time: 0 };
 * console.log(annotation.shown(frame, []) === frame); // true: no draw function
 * ```
 */
export class Annotation {
  readonly #draw?: DrawRecords;
  readonly #hold: number;
  readonly #latest = new Map<string, Map<string, AlgoRecord>>();
  #last?: { frame: Frame; index: number; source: string; shown: Frame };

  /** Creates the annotation of a run. */
  constructor(options: AnnotationOptions = {}) {
    this.#draw = options.draw;
    this.#hold = options.hold ?? 2;
  }

  /** Whether frames are drawn on at all. */
  get draws(): boolean {
    return this.#draw !== undefined;
  }

  /**
   * The frame to show for a played frame: the annotated copy, or the frame itself without a
   * draw function. Calls for the same frame (one per output) return the same copy.
   */
  shown(frame: Frame, ran: readonly AlgoRecord[]): Frame {
    const last = this.#last;
    if (last?.frame === frame && last.index === frame.index && last.source === frame.source) {
      return last.shown;
    }
    let latest = this.#latest.get(frame.source);
    if (!latest) this.#latest.set(frame.source, latest = new Map());
    for (const record of ran) if (record.error === undefined) latest.set(record.algo, record);
    if (!this.#draw) return frame;
    const records = [...latest.values()].filter((r) =>
      r.time <= frame.time + 1e-6 ? frame.time - r.time <= this.#hold : r.frame === frame.index
    );
    const shown = this.#draw(frame, records);
    this.#last = { frame, index: frame.index, source: frame.source, shown };
    return shown;
  }

  /** Forgets a source's records (it ended). */
  forget(source: string): void {
    this.#latest.delete(source);
    if (this.#last?.source === source) this.#last = undefined;
  }
}
