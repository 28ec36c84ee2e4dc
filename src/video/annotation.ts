/**
 * {@link Annotation}: the annotated copy of each played frame, made once and shared by every
 * video output of a run (recorder, restream, snapshots, clips).
 *
 * Results stay on screen between runs: each frame is drawn with the newest successful record
 * of every algorithm for its source (from the records that ran on the source's frames), as
 * long as that record is at most `hold` seconds older than the frame (an algorithm that runs
 * once a second keeps its boxes on the frames between). Algorithms never see annotated pixels:
 * the drawer returns a copy, which goes back to its pool when the source's next frame is
 * drawn.
 *
 * @module
 */
import { Annotator } from "../draw/annotator.ts";
import type { Frame } from "../frame.ts";
import type { AlgoRecord } from "../record.ts";

/**
 * What draws records on a frame: returns an annotated copy, and takes it back once it is no
 * longer used. {@link Annotator} is one.
 *
 * @example
 * ```ts
 * import { cloneFrame, type FrameDrawer } from "@stream-infer/stream-infer";
 * const drawer: FrameDrawer = {
 *   draw(frame) {
 *     const copy = cloneFrame(frame);
 *     copy.data.fill(255, 0, 3 * 8); // a white line of 8 pixels at the top left
 *     return copy;
 *   },
 * };
 * ```
 */
export interface FrameDrawer {
  /** An annotated copy of `frame` (never `frame` changed). */
  draw(frame: Frame, records: readonly AlgoRecord[], info?: { fps?: number }): Frame;
  /** The copy is no longer used (optional). */
  release?(frame: Frame): void;
}

/**
 * Options of {@link Annotation}.
 *
 * @example
 * ```ts
 * import { Annotator, type AnnotationOptions } from "@stream-infer/stream-infer";
 * const opts: AnnotationOptions = { drawer: new Annotator({ overlay: false }), hold: 1 };
 * ```
 */
export interface AnnotationOptions {
  /** The drawer; `true` for a default {@link Annotator} (default: none, frames go out as
   * shown, after the process hook). */
  drawer?: FrameDrawer | true;
  /** Seconds a record stays drawn on later frames (default 2). */
  hold?: number;
}

interface Shown {
  frame: Frame;
  index: number;
  shown: Frame;
}

/**
 * The annotated frames of a run, made once per played frame (see the module docs).
 *
 * @example
 * ```ts
 * import { Annotation, type Frame } from "@stream-infer/stream-infer";
 * const annotation = new Annotation({ drawer: true });
 * const frame: Frame = { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, format: "bgr24", index: 0, source: "main", time: 0 };
 * const det = { source: "main", algo: "det", frame: 0, time: 0, position: 0, result: [{ name: "car", score: 0.9, box: [8, 8, 40, 40] }] };
 * const shown = annotation.shown(frame, [det]);
 * console.log(shown !== frame, annotation.shown(frame, [det]) === shown); // true true
 * ```
 */
export class Annotation {
  readonly #drawer?: FrameDrawer;
  readonly #hold: number;
  readonly #latest = new Map<string, Map<string, AlgoRecord>>();
  readonly #last = new Map<string, Shown>();

  /** Creates the annotation of a run. */
  constructor(options: AnnotationOptions = {}) {
    this.#drawer = options.drawer === true ? new Annotator() : options.drawer;
    this.#hold = options.hold ?? 2;
  }

  /** Whether frames are drawn on at all. */
  get draws(): boolean {
    return this.#drawer !== undefined;
  }

  /**
   * The frame to show for a played frame: the annotated copy, or the frame itself without a
   * drawer. Calls for the same frame (one per output) return the same copy, valid until the
   * source's next frame is shown.
   */
  shown(frame: Frame, ran: readonly AlgoRecord[]): Frame {
    const last = this.#last.get(frame.source);
    if (last?.frame === frame && last.index === frame.index) return last.shown;
    const latest = this.note(frame, ran);
    if (!this.#drawer) return frame;
    if (last) this.#drawer.release?.(last.shown);
    const records = [...latest.values()].filter((r) =>
      r.time <= frame.time + 1e-6 ? frame.time - r.time <= this.#hold : r.frame === frame.index
    );
    const shown = this.#drawer.draw(frame, records);
    this.#last.set(frame.source, { frame, index: frame.index, shown });
    return shown;
  }

  /**
   * Keeps the records that ran on a frame without drawing it (an output that skips most
   * frames calls this on each, and {@link Annotation.shown} on the few it uses).
   */
  note(frame: Frame, ran: readonly AlgoRecord[]): Map<string, AlgoRecord> {
    let latest = this.#latest.get(frame.source);
    if (!latest) this.#latest.set(frame.source, latest = new Map());
    for (const record of ran) {
      if (record.error !== undefined || record.source !== frame.source) continue;
      const kept = latest.get(record.algo);
      if (!kept || kept.frame <= record.frame) latest.set(record.algo, record);
    }
    return latest;
  }

  /** Forgets a source (it ended): its records and its last copy. */
  forget(source: string): void {
    this.#latest.delete(source);
    const last = this.#last.get(source);
    if (last) this.#drawer?.release?.(last.shown);
    this.#last.delete(source);
  }
}
