/**
 * {@link Tracker}: gives detections stable ids from one run to the next (ByteTrack, or IoU
 * alone), one tracker per source.
 *
 * @module
 */
import { type Box, BoxKalman, iou } from "./kalman.ts";
import { matchBoxes } from "./match.ts";
import { resolveTrackOptions, type TrackOptions } from "./options.ts";

/** IoU over which two boxes of different classes are taken for one object (`sameClass: false`). */
const DUPLICATE_IOU = 0.7;

/**
 * One detection as the tracker reads it.
 *
 * @example
 * ```ts
 * import type { TrackInput } from "@stream-infer/stream-infer";
 * const d: TrackInput = { box: [10, 20, 110, 80], score: 0.9, cls: "car" };
 * ```
 */
export interface TrackInput {
  /** `[x1, y1, x2, y2]` in frame pixels. */
  box: readonly [number, number, number, number];
  /** Confidence in [0, 1]. */
  score: number;
  /** Class name (or id as text). */
  cls: string;
}

/** A track the tracker holds. */
interface Track {
  /** 0 until confirmed. */
  id: number;
  cls: string;
  kalman?: BoxKalman;
  box: Box;
  hits: number;
  lost: boolean;
  lastSeen: number;
}

/**
 * A multi-object tracker for one source. Feed it each run's detections in run order with the
 * run's time; it returns each detection's track id, or `undefined` for a detection that
 * belongs to no confirmed track (a new object before `minHits` matches, a weak one that
 * matched nothing). Ids are integers from 1, in order of confirmation; the same input gives
 * the same ids.
 *
 * @example
 * ```ts
 * import { Tracker } from "@stream-infer/stream-infer";
 * const tracker = new Tracker({ type: "bytetrack", minHits: 1 });
 * for (let i = 0; i < 3; i++) {
 *   const ids = tracker.update([{ box: [10 * i, 0, 10 * i + 40, 40], score: 0.9, cls: "car" }], i / 10);
 *   console.log(ids); // [1] each time
 * }
 * ```
 */
export class Tracker {
  /** The options in effect. */
  readonly options: Required<TrackOptions>;
  #tracks: Track[] = [];
  #nextId = 1;
  #lastTime?: number;
  /** Seconds per step of the motion model: the usual time between runs. */
  #step = 0;

  /** Creates a tracker; throws a `RangeError` for bad options. */
  constructor(options: TrackOptions = {}) {
    this.options = resolveTrackOptions(options);
  }

  /** Tracks held now (confirmed or not, seen or lost). */
  get size(): number {
    return this.#tracks.length;
  }

  /** Matches a run's detections; returns each one's track id (or `undefined`). */
  update(dets: readonly TrackInput[], time: number): (number | undefined)[] {
    const first = this.#lastTime === undefined;
    const dt = first ? 0 : Math.max(0, time - this.#lastTime!);
    this.#lastTime = time;
    if (dt > 0) this.#step = this.#step > 0 ? Math.min(dt, 0.9 * this.#step + 0.1 * dt) : dt;
    const steps = this.#step > 0 ? dt / this.#step : 1;
    const ids: (number | undefined)[] = new Array(dets.length).fill(undefined);
    const claim = (track: Track, j: number) => {
      const det = dets[j];
      track.kalman?.update(det.box);
      track.box = track.kalman ? track.kalman.box() : det.box;
      track.hits++;
      track.lost = false;
      track.lastSeen = time;
      if (!track.id && track.hits >= this.options.minHits) track.id = this.#nextId++;
      if (track.id) ids[j] = track.id;
    };
    const o = this.options;
    const usable = dets.map((_, j) => j).filter((j) => dets[j].score >= o.lowScore);
    let fresh: number[];
    if (o.type === "bytetrack") {
      for (const t of this.#tracks) {
        if (t.lost) t.kalman!.holdHeight();
        t.kalman!.predict(steps);
        t.box = t.kalman!.box();
      }
      fresh = this.#byteTrack(dets, usable, claim);
    } else {
      const tracks = this.#tracks;
      const pairs = matchBoxes(tracks, usable.map((j) => dets[j]), o.matchIou, o.sameClass);
      const matched = new Set<number>();
      const used = new Set<number>();
      for (const [i, k] of pairs) {
        claim(tracks[i], usable[k]);
        matched.add(i);
        used.add(usable[k]);
      }
      for (let i = 0; i < tracks.length; i++) if (!matched.has(i)) this.#miss(tracks[i]);
      fresh = usable.filter((j) => !used.has(j));
    }
    // new tracks; on the first update they are confirmed at once (ByteTrack's first frame)
    const taken: Box[] = [];
    if (!o.sameClass) {
      // one object detected twice (a car that is also a truck): only one box may start a track
      ids.forEach((id, j) => id !== undefined && taken.push(dets[j].box));
      fresh = [...fresh].sort((a, b) => dets[b].score - dets[a].score || a - b);
    }
    for (const j of fresh) {
      const det = dets[j];
      if (det.score < o.newTrackScore) continue;
      if (!o.sameClass) {
        if (taken.some((box) => iou(box, det.box) >= DUPLICATE_IOU)) continue;
        taken.push(det.box);
      }
      const track: Track = {
        id: 0,
        cls: det.cls,
        kalman: o.type === "bytetrack" ? new BoxKalman(det.box) : undefined,
        box: det.box,
        hits: 1,
        lost: false,
        lastSeen: time,
      };
      if (first || o.minHits <= 1) track.id = this.#nextId++;
      if (track.id) ids[j] = track.id;
      this.#tracks.push(track);
    }
    this.#tracks = this.#tracks.filter((t) => t.id > 0 || !t.lost)
      .filter((t) => !(t.lost && time - t.lastSeen > o.maxAge));
    return ids;
  }

  /** A track that matched nothing: a confirmed one is lost, an unconfirmed one dropped. */
  #miss(track: Track): void {
    track.lost = true;
  }

  /** ByteTrack's three passes; returns the confident detections left over. */
  #byteTrack(
    dets: readonly TrackInput[],
    usable: number[],
    claim: (track: Track, j: number) => void,
  ): number[] {
    const o = this.options;
    const high = usable.filter((j) => dets[j].score >= o.highScore);
    const low = usable.filter((j) => dets[j].score < o.highScore);
    // 1: confirmed tracks (seen or lost) with confident detections, IoU weighted by score
    const pool = this.#tracks.filter((t) => t.id > 0);
    const highDets = high.map((j) => dets[j]);
    const first = matchBoxes(pool, highDets, o.matchIou, o.sameClass, highDets.map((d) => d.score));
    const usedHigh = new Set<number>();
    const matched = new Set<Track>();
    for (const [i, k] of first) {
      claim(pool[i], high[k]);
      matched.add(pool[i]);
      usedHigh.add(k);
    }
    // 2: tracks seen last time and still unmatched, with the weak detections
    const seen = pool.filter((t) => !matched.has(t) && !t.lost);
    const second = matchBoxes(seen, low.map((j) => dets[j]), o.lowMatchIou, o.sameClass);
    for (const [i, k] of second) {
      claim(seen[i], low[k]);
      matched.add(seen[i]);
    }
    for (const t of seen) if (!matched.has(t)) this.#miss(t);
    // 3: unconfirmed tracks with the confident detections left
    const leftHigh = high.filter((_, k) => !usedHigh.has(k));
    const unconfirmed = this.#tracks.filter((t) => t.id === 0);
    const third = matchBoxes(
      unconfirmed,
      leftHigh.map((j) => dets[j]),
      Math.max(o.matchIou, 0.3),
      o.sameClass,
    );
    const usedLeft = new Set<number>();
    for (const [i, k] of third) {
      claim(unconfirmed[i], leftHigh[k]);
      matched.add(unconfirmed[i]);
      usedLeft.add(k);
    }
    for (const t of unconfirmed) if (!matched.has(t)) this.#miss(t);
    return leftHigh.filter((_, k) => !usedLeft.has(k));
  }
}
