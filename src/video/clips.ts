/**
 * {@link Clips}: event clips (DeepStream's "smart record", Frigate's clips). When a record
 * matches `when`, an mp4 is written from `pre` seconds before the record to `post` seconds
 * after the last match, without re-encoding.
 *
 * Each source's shown frames are encoded once into a {@link SegmentRing} of one-second
 * segments (a keyframe starts each, so the clip's edges are exact to one second); a clip is
 * joined from the segments it spans with `-c copy` as soon as the segment holding its end is
 * finished. A match while a clip is open extends it. When the source or the run ends, an
 * open clip is written with what there is.
 *
 * Each clip is announced with `announce`, as a record of the source:
 * `{ "algo": "clips", "frame", "time", "result": { "event": "clip", "path", "start", "end",
 * "matches" } }` (`frame` and `time`: the first match; `start` and `end`: the clip's edges in
 * the source's time, seconds), so sinks can forward it.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { type Frame, positionOf } from "../frame.ts";
import type { Mode, RunObserver, RunStart, SourceEvent } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { Annotation } from "./annotation.ts";
import { joinSegments, type Segment, SegmentRing } from "./segments.ts";
import { matches, type When } from "./when.ts";

/**
 * Options of {@link Clips}.
 *
 * @example
 * ```ts
 * import type { ClipOptions } from "@stream-infer/stream-infer";
 * const opts: ClipOptions = { when: { algo: "det", class: "person" }, pre: 5, post: 5, dir: "clips" };
 * ```
 */
export interface ClipOptions {
  /** Which records start (or extend) a clip. */
  when: When;
  /** Seconds before the first match (default 5). */
  pre?: number;
  /** Seconds after the last match (default 5). */
  post?: number;
  /** The folder clips go to (created when missing), `<source>-<frame>.mp4`. */
  dir: string;
  /** The run's shared annotation (default: frames as shown, not drawn on). */
  annotation?: Annotation;
  /** Receives a record for each clip written (the run wiring emits it into the run). */
  announce?: (record: AlgoRecord) => void | Promise<void>;
  /** libx264 preset of the segments (default `veryfast` offline, `ultrafast` in realtime). */
  preset?: string;
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Receives one line when a clip fails (default: stderr). */
  onMessage?: (message: string) => void;
}

/**
 * A clip written, as {@link Clips.made} lists it.
 *
 * @example
 * ```ts
 * import type { ClipMade } from "@stream-infer/stream-infer";
 * const c: ClipMade = { source: "gate", path: "clips/gate-000075.mp4", start: 1, end: 9, segments: 8, log: "" };
 * ```
 */
export interface ClipMade {
  /** The source. */
  source: string;
  /** The mp4 written. */
  path: string;
  /** The clip's start in the source's time, seconds. */
  start: number;
  /** The clip's end in the source's time, seconds. */
  end: number;
  /** Segments joined. */
  segments: number;
  /** ffmpeg's log of the join (it shows `(copy)`: no re-encode). */
  log: string;
}

interface OpenClip {
  first: AlgoRecord;
  last: AlgoRecord;
  /** Stream times of the first and last match. */
  at: number;
  /** Lets the ring delete the clip's segments again. */
  release: () => void;
  lastAt: number;
  count: number;
}

interface SourceClips {
  ring: Promise<SegmentRing>;
  open?: OpenClip;
}

/**
 * Writes event clips as a run observer (see the module docs). {@link Clips.finish} must run
 * when a source ends so its open clip is written before the run's records are closed; the
 * CLI wiring does this with a record stage.
 *
 * @example
 * ```ts
 * import { Clips, Inference } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * const clips = new Clips({
 *   when: { algo: "det", class: "person" },
 *   pre: 3,
 *   post: 3,
 *   dir: "clips",
 *   announce: (record) => inference.emit(record),
 * });
 * inference.observe(clips);
 * ```
 */
export class Clips implements RunObserver {
  /** Every played frame is wanted. */
  readonly everyFrame = true;
  /** The shared annotation. */
  readonly annotation: Annotation;
  /** Clips written so far. */
  readonly made: ClipMade[] = [];
  readonly #options: ClipOptions;
  readonly #pre: number;
  readonly #post: number;
  readonly #sources = new Map<string, SourceClips>();
  readonly #fps = new Map<string, number>();
  readonly #jobs = new Set<Promise<void>>();
  readonly #finishing = new Set<Promise<void>>();
  #mode: Mode = "offline";

  /** Creates the observer. */
  constructor(options: ClipOptions) {
    this.#options = options;
    this.#pre = options.pre ?? 5;
    this.#post = options.post ?? 5;
    this.annotation = options.annotation ?? new Annotation();
  }

  /** Remembers the mode. */
  onStart(start: RunStart): void {
    this.#mode = start.mode;
  }

  /** Learns a source's played fps; finishes its clips when it ends. */
  onSource(event: SourceEvent): void {
    if (event.type === "opened") {
      const fps = event.opened?.fps ?? event.opened?.info.fps;
      if (fps) this.#fps.set(event.source, fps);
    } else if (["ended", "lost", "failed", "removed"].includes(event.type)) {
      const done: Promise<void> = this.finish(event.source)
        .catch((e) => this.#say(errorMessage(e)))
        .finally(() => this.#finishing.delete(done));
      this.#finishing.add(done);
    }
  }

  /** Opens or extends the source's clip when the record matches. */
  async onRecord(record: AlgoRecord): Promise<void> {
    if (!matches(this.#options.when, record)) return;
    const state = this.#sources.get(record.source);
    if (!state) return; // no frame seen yet: nothing to cut from
    const ring = await state.ring;
    const at = ring.streamTime(record.time);
    if (state.open) {
      state.open.last = record;
      state.open.lastAt = Math.max(state.open.lastAt, at);
      state.open.count++;
    } else {
      const release = ring.hold(at - this.#pre);
      state.open = { first: record, last: record, at, lastAt: at, count: 1, release };
    }
  }

  /** Encodes the shown frame into the source's segments; writes a clip whose end is there. */
  async onFrame(frame: Frame, ran: readonly AlgoRecord[]): Promise<void> {
    const shown = this.annotation.shown(frame, ran);
    let state = this.#sources.get(frame.source);
    if (!state) {
      const keep = this.#pre + 2;
      state = {
        ring: SegmentRing.open({
          source: frame.source,
          fps: this.#fps.get(frame.source) ?? 25,
          keep,
          realtime: this.#mode === "realtime",
          preset: this.#options.preset,
          ffmpeg: this.#options.ffmpeg,
          onMessage: this.#say,
        }),
      };
      this.#sources.set(frame.source, state);
    }
    const ring = await state.ring;
    await ring.push(shown);
    const open = state.open;
    if (!open) return;
    const end = open.lastAt + this.#post;
    if (ring.now < end + 0.5) return; // the segment holding the end is not finished yet
    const segments = await ring.refresh();
    if (!segments.length || segments[segments.length - 1].end < end) return;
    state.open = undefined;
    this.#track(this.#cut(frame.source, ring, open));
  }

  /**
   * Writes the source's open clip with the segments there are, and removes its segments.
   * Called when the source ends (also usable from code).
   */
  async finish(source: string): Promise<void> {
    const state = this.#sources.get(source);
    if (!state) return;
    this.#sources.delete(source);
    const ring = await state.ring;
    await ring.close();
    if (state.open) await this.#cut(source, ring, state.open);
    await Promise.all(this.#jobs); // cuts in progress still read the segments
    await ring.remove();
  }

  /** Finishes every source (clips written and announced). */
  async onEnd(): Promise<void> {
    await this.close();
  }

  /** Finishes every source and waits for the clips being written. */
  async close(): Promise<void> {
    await Promise.all([...this.#sources.keys()].map((id) => this.finish(id)));
    while (this.#jobs.size || this.#finishing.size) {
      await Promise.all([...this.#jobs, ...this.#finishing]);
    }
  }

  readonly #say = (message: string): void => {
    const say = this.#options.onMessage ?? ((m: string) => console.error(`stream-infer: ${m}`));
    say(message);
  };

  #track(job: Promise<void>): void {
    const tracked: Promise<void> = job.catch((e) => this.#say(errorMessage(e))).finally(() =>
      this.#jobs.delete(tracked)
    );
    this.#jobs.add(tracked);
  }

  async #cut(source: string, ring: SegmentRing, open: OpenClip): Promise<void> {
    const from = open.at - this.#pre;
    const to = open.lastAt + this.#post;
    try {
      await this.#join(source, ring.segments().filter((s) => s.end > from && s.start < to), open);
    } finally {
      open.release();
    }
  }

  async #join(source: string, picked: Segment[], open: OpenClip): Promise<void> {
    if (!picked.length) return;
    const { dir } = this.#options;
    const name = `${source.replace(/[^A-Za-z0-9._-]/g, "_")}-${
      String(open.first.frame).padStart(6, "0")
    }.mp4`;
    const path = `${dir}/${name}`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      const log = await joinSegments(picked.map((s) => s.path), path, this.#options.ffmpeg);
      // stream times to source times, around the first and the last match
      const start = Math.round((open.first.time - (open.at - picked[0].start)) * 1000) / 1000;
      const end = Math.round(
        (open.last.time + (picked[picked.length - 1].end - open.lastAt)) * 1000,
      ) / 1000;
      this.made.push({ source, path, start, end, segments: picked.length, log });
      await this.#options.announce?.({
        source,
        algo: "clips",
        frame: open.first.frame,
        time: open.first.time,
        position: positionOf(open.first.time),
        result: { event: "clip", path, start, end, matches: open.count },
      });
    } catch (e) {
      this.#say(`${source}: clip ${path}: ${errorMessage(e)}`);
    }
  }
}
