/**
 * {@link SegmentRing}: one source's shown frames encoded into one-second MPEG-TS segments in
 * a temp folder (each starts with a keyframe), keeping only the last few seconds, so an event
 * clip can be joined from them later without re-encoding ({@link joinSegments}).
 *
 * Times here are the encoder's stream times (seconds since its first frame); the ring maps a
 * played frame's time to the stream time it was encoded at.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import { locateFfmpeg } from "../source/ffmpeg.ts";
import { FrameEncoder } from "./encoder.ts";
import { defaultPreset, segmentArgs } from "./targets.ts";

/**
 * One finished segment: its file and stream times.
 *
 * @example
 * ```ts
 * import type { Segment } from "@stream-infer/stream-infer";
 * const s: Segment = { path: "/tmp/x/seg000003.ts", start: 3, end: 4 };
 * ```
 */
export interface Segment {
  /** The segment's file. */
  path: string;
  /** Stream time of its first frame, seconds. */
  start: number;
  /** Stream time of its end, seconds. */
  end: number;
}

/**
 * Options of {@link SegmentRing}.
 *
 * @example
 * ```ts
 * import type { SegmentRingOptions } from "@stream-infer/stream-infer";
 * const opts: SegmentRingOptions = { source: "gate", fps: 25, keep: 12, realtime: true };
 * ```
 */
export interface SegmentRingOptions {
  /** The source id (for messages). */
  source: string;
  /** The played fps. */
  fps: number;
  /** Seconds of finished segments kept behind the newest frame (plus any `hold`). */
  keep: number;
  /** Wall-clock timing and dropping when behind (realtime) or one frame per frame. */
  realtime: boolean;
  /** libx264 preset (default `veryfast` offline, `ultrafast` in realtime). */
  preset?: string;
  /** Path of ffmpeg. */
  ffmpeg?: string;
  /** Receives one line when the encoder fails. */
  onMessage?: (message: string) => void;
}

/** Frame-time to stream-time pairs kept per second of `keep`. */
const MAP_SLACK = 4;

/**
 * A bounded ring of one-second segments of one source (see the module docs).
 *
 * @example
 * ```ts
 * import { SegmentRing } from "@stream-infer/stream-infer";
 * const ring = await SegmentRing.open({ source: "gate", fps: 25, keep: 10, realtime: false });
 * // ring.push(frame) for each shown frame, then:
 * await ring.close();
 * console.log(ring.segments());
 * await ring.remove();
 * ```
 */
export class SegmentRing {
  /** The temp folder holding the segments. */
  readonly dir: string;
  readonly #options: SegmentRingOptions;
  #encoder?: FrameEncoder;
  #times: [number, number][] = [];
  #segments: Segment[] = [];
  #deleted = new Set<string>();
  readonly #holds = new Set<{ start: number }>();
  #lastPrune = -Infinity;

  private constructor(dir: string, options: SegmentRingOptions) {
    this.dir = dir;
    this.#options = options;
  }

  /** Creates the temp folder; the encoder starts with the first frame. */
  static async open(options: SegmentRingOptions): Promise<SegmentRing> {
    const dir = await Deno.makeTempDir({ prefix: "stream-infer-clips-" });
    return new SegmentRing(dir, options);
  }

  /** Stream time of the newest frame pushed, seconds. */
  get now(): number {
    return this.#times.length ? this.#times[this.#times.length - 1][1] : 0;
  }

  /** Stream time at which the frame of time `time` was encoded (the nearest pushed one). */
  streamTime(time: number): number {
    let best: [number, number] | undefined;
    for (const pair of this.#times) {
      if (!best || Math.abs(pair[0] - time) < Math.abs(best[0] - time)) best = pair;
    }
    return best ? best[1] : this.now;
  }

  /**
   * Keeps the segments that end after `start` (stream time) until the returned function is
   * called: an open clip, then the join that reads its segments.
   */
  hold(start: number): () => void {
    const token = { start };
    this.#holds.add(token);
    return () => this.#holds.delete(token);
  }

  /** Encodes a shown frame (copied; never waits in realtime). */
  async push(frame: Frame): Promise<void> {
    const { fps, realtime } = this.#options;
    if (!this.#encoder) {
      this.#encoder = new FrameEncoder({
        label: `${this.#options.source}: clip segments`,
        width: frame.width,
        height: frame.height,
        format: frame.format,
        fps,
        output: segmentArgs(this.dir, fps, 1, this.#options.preset ?? defaultPreset(realtime)),
        clock: realtime ? "wall" : "frames",
        block: !realtime,
        queue: realtime ? 16 : 4,
        ffmpeg: this.#options.ffmpeg,
        onMessage: this.#options.onMessage,
      });
    }
    await this.#encoder.push(frame);
    const at = Math.max(0, this.#encoder.slots - 1) / fps;
    this.#times.push([frame.time, at]);
    const limit = Math.ceil((this.#options.keep + MAP_SLACK) * fps);
    if (this.#times.length > 2 * limit) this.#times = this.#times.slice(-limit);
    if (at - this.#lastPrune >= 1) {
      this.#lastPrune = at;
      await this.#prune();
    }
  }

  /** The finished segments still on disk, oldest first (read from ffmpeg's list). */
  async refresh(): Promise<Segment[]> {
    let text = "";
    try {
      text = await Deno.readTextFile(`${this.dir}/segments.csv`);
    } catch { /* no segment finished yet */ }
    const all: Segment[] = [];
    for (const line of text.split("\n")) {
      const [name, start, end] = line.trim().split(",");
      if (!name || end === undefined) continue;
      const path = `${this.dir}/${name}`;
      if (!this.#deleted.has(path)) all.push({ path, start: Number(start), end: Number(end) });
    }
    this.#segments = all;
    return all;
  }

  /** The finished segments as last read. */
  segments(): Segment[] {
    return [...this.#segments];
  }

  /** Finishes the encoder: the last segment is then listed. */
  async close(): Promise<void> {
    await this.#encoder?.close();
    await this.refresh();
  }

  /** Closes the encoder and removes the temp folder. */
  async remove(): Promise<void> {
    await this.#encoder?.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async #prune(): Promise<void> {
    let keepFrom = this.now - this.#options.keep;
    for (const { start } of this.#holds) keepFrom = Math.min(keepFrom, start);
    for (const s of await this.refresh()) {
      if (s.end >= keepFrom) continue;
      this.#deleted.add(s.path);
      await Deno.remove(s.path).catch(() => {});
    }
    this.#segments = this.#segments.filter((s) => !this.#deleted.has(s.path));
  }
}

/**
 * Joins segments into one mp4 without re-encoding (the concat demuxer, `-c copy`,
 * `+faststart`). Returns ffmpeg's log, which shows the stream copy.
 *
 * @example
 * ```ts
 * import { joinSegments } from "@stream-infer/stream-infer";
 * const log = await joinSegments(["/tmp/s/seg000001.ts", "/tmp/s/seg000002.ts"], "clip.mp4");
 * console.log(log.includes("(copy)"));
 * ```
 */
export async function joinSegments(
  paths: readonly string[],
  out: string,
  ffmpeg?: string,
): Promise<string> {
  const list = await Deno.makeTempFile({ prefix: "stream-infer-concat-", suffix: ".txt" });
  try {
    const lines = paths.map((p) => `file '${p.replaceAll("'", "'\\''")}'`);
    await Deno.writeTextFile(list, lines.join("\n") + "\n");
    const out_ = await new Deno.Command(locateFfmpeg(ffmpeg), {
      args: [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "info",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        list,
        "-map",
        "0:v",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        "-y",
        out,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(out_.stderr);
    if (!out_.success) {
      const last = log.trim().split("\n").pop();
      throw new Error(`joining ${paths.length} segments into ${out} failed: ${last}`);
    }
    return log;
  } finally {
    await Deno.remove(list).catch(() => {});
  }
}
