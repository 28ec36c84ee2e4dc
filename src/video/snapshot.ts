/**
 * {@link Snapshots}: writes an annotated JPEG of a source's frame when one of its records
 * matches a {@link When} predicate, at most one per `cooldown` seconds per source.
 *
 * A matching record marks its source; the next frame shown for that source (in offline mode
 * the frame the record was made on, since records come before their frame) is encoded by a
 * short ffmpeg (`-frames:v 1 -q:v 3`) in the background, so the run does not wait for it. At
 * most two snapshots are encoded at a time per source; a match that finds both busy is
 * skipped (counted). Each written snapshot is announced with `announce`, as a record
 * `{ algo: "snapshots", result: { event: "snapshot", path, match } }`.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { type Frame, frameBytes, positionOf } from "../frame.ts";
import type { RunObserver, SourceEvent } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { locateFfmpeg, rawVideoInput } from "../source/ffmpeg.ts";
import { Annotation } from "./annotation.ts";
import { matches, type When } from "./when.ts";

/**
 * Options of {@link Snapshots}.
 *
 * @example
 * ```ts
 * import type { SnapshotOptions } from "@stream-infer/stream-infer";
 * const opts: SnapshotOptions = { when: { algo: "det", class: "person" }, dir: "snaps", cooldown: 10 };
 * ```
 */
export interface SnapshotOptions {
  /** Which records take a snapshot. */
  when: When;
  /** The folder the JPEGs go to (created when missing), `<source>-<frame>.jpg`. */
  dir: string;
  /** Seconds (of the source's time) between two snapshots of a source (default 10). */
  cooldown?: number;
  /** The run's shared annotation (default: frames as shown, not drawn on). */
  annotation?: Annotation;
  /** Receives a record for each snapshot written. */
  announce?: (record: AlgoRecord) => void | Promise<void>;
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Receives one line when a snapshot fails (default: stderr). */
  onMessage?: (message: string) => void;
}

/** The encodes a source may have running at once. */
const MAX_BUSY = 2;

/**
 * Takes snapshots as a run observer (see the module docs).
 *
 * @example
 * ```ts
 * import { Inference, Snapshots } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * inference.observe(new Snapshots({ when: { algo: "det", class: "person" }, dir: "snaps" }));
 * ```
 */
export class Snapshots implements RunObserver {
  /** Every played frame is wanted (the match may come on any). */
  readonly everyFrame = true;
  /** The shared annotation. */
  readonly annotation: Annotation;
  /** Paths written so far. */
  readonly written: string[] = [];
  /** Matches skipped because two snapshots of the source were being encoded. */
  skipped = 0;
  readonly #options: SnapshotOptions;
  readonly #pending = new Map<string, AlgoRecord>();
  readonly #last = new Map<string, number>();
  readonly #busy = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  #dirMade = false;

  /** Creates the observer. */
  constructor(options: SnapshotOptions) {
    this.#options = options;
    this.annotation = options.annotation ?? new Annotation();
  }

  /** Marks the record's source when the record matches. */
  onRecord(record: AlgoRecord): void {
    if (!matches(this.#options.when, record)) return;
    const last = this.#last.get(record.source);
    const cooldown = this.#options.cooldown ?? 10;
    if (last !== undefined && record.time >= last && record.time - last < cooldown) return;
    if (!this.#pending.has(record.source)) this.#pending.set(record.source, record);
  }

  /** Snapshots the frame when its source is marked. */
  onFrame(frame: Frame, ran: readonly AlgoRecord[]): void {
    const match = this.#pending.get(frame.source);
    if (!match) {
      this.annotation.note(frame, ran); // only the frames snapshotted are drawn
      return;
    }
    const shown = this.annotation.shown(frame, ran);
    this.#pending.delete(frame.source);
    const busy = this.#busy.get(frame.source) ?? 0;
    if (busy >= MAX_BUSY) {
      this.skipped++;
      return;
    }
    this.#last.set(frame.source, match.time);
    this.#busy.set(frame.source, busy + 1);
    const copy = { ...shown, data: shown.data.slice() };
    const job: Promise<void> = this.#write(copy, match).finally(() => {
      this.#busy.set(frame.source, (this.#busy.get(frame.source) ?? 1) - 1);
      this.#running.delete(job);
    });
    this.#running.add(job);
  }

  /** Forgets an ended source's mark. */
  onSource(event: SourceEvent): void {
    if (event.type !== "opened" && event.type !== "added") this.#pending.delete(event.source);
  }

  /** Waits for the snapshots being written. */
  async onEnd(): Promise<void> {
    await this.close();
  }

  /** Waits for the snapshots being written (also usable from code). */
  async close(): Promise<void> {
    while (this.#running.size) await Promise.all(this.#running);
  }

  async #write(frame: Frame, match: AlgoRecord): Promise<void> {
    const { dir } = this.#options;
    const path = `${dir}/${safe(frame.source)}-${String(frame.index).padStart(6, "0")}.jpg`;
    try {
      if (!this.#dirMade) {
        await Deno.mkdir(dir, { recursive: true });
        this.#dirMade = true;
      }
      await encodeJpeg(frame, path, this.#options.ffmpeg);
      this.written.push(path);
      await this.#options.announce?.({
        source: frame.source,
        algo: "snapshots",
        frame: frame.index,
        time: frame.time,
        position: positionOf(frame.time),
        result: { event: "snapshot", path, match: { algo: match.algo, frame: match.frame } },
      });
    } catch (e) {
      const say = this.#options.onMessage ?? ((m: string) => console.error(`stream-infer: ${m}`));
      say(`${frame.source}: snapshot ${path}: ${errorMessage(e)}`);
    }
  }
}

/** A source id as a file name part. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Encodes one frame as a JPEG with ffmpeg (`-q:v 3`).
 *
 * @example
 * ```ts
 * import { encodeJpeg, type Frame } from "@stream-infer/stream-infer";
 * const frame: Frame = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, format: "bgr24", index: 0, source: "main", time: 0 };
 * await encodeJpeg(frame, "black.jpg");
 * ```
 */
export async function encodeJpeg(frame: Frame, path: string, ffmpeg?: string): Promise<void> {
  const child = new Deno.Command(locateFfmpeg(ffmpeg), {
    args: [
      ...rawVideoInput(frame),
      "-frames:v",
      "1",
      "-q:v",
      "3",
      "-y",
      path,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const bytes = frameBytes(frame.width, frame.height, frame.format);
  const wrote = writer.write(frame.data.subarray(0, bytes)).then(() => writer.close()).catch(
    () => {},
  );
  const [out] = await Promise.all([child.output(), wrote]);
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
    throw new Error(`ffmpeg failed (exit ${out.code}): ${text || "no message"}`);
  }
}
