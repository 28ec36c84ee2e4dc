/**
 * {@link FrameHub}: the live view's frames. A run observer that, for each source someone
 * watches, draws the played frame with the newest results ({@link Annotator}), encodes it to
 * JPEG ({@link JpegEncoder}, one ffmpeg per watched source) and hands the image to every
 * watcher. Latest frame wins at each step: a frame that comes while the encoder is busy, or
 * sooner than `maxFps` allows, is not drawn; a watcher that reads slowly gets the newest image
 * when it reads and never a queue of stale ones. With no watcher nothing is drawn or encoded
 * and no ffmpeg runs.
 *
 * @module
 */
import { Annotator, type AnnotatorOptions } from "../draw/annotator.ts";
import { LatestRecords } from "../draw/latest.ts";
import { errorMessage } from "../errors.ts";
import type { Frame } from "../frame.ts";
import type { RunObserver, SourceEvent } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { JpegEncoder } from "./jpeg.ts";

/**
 * Options of {@link FrameHub}.
 *
 * @example
 * ```ts
 * import type { FrameHubOptions } from "./frames.ts";
 * const o: FrameHubOptions = { maxFps: 15, quality: 6 };
 * ```
 */
export interface FrameHubOptions {
  /** Most images per second and source (default 15). */
  maxFps?: number;
  /** JPEG quality, ffmpeg's `-q:v` (default 5). */
  quality?: number;
  /** Frames in an encoder at once (default 2: ffmpeg's pipe has a frame of latency). */
  inFlight?: number;
  /** Drawing options besides the lines and zones (the `annotate` hook, say). */
  annotator?: Omit<AnnotatorOptions, "lines" | "zones">;
  /** Told when an encoder fails (the next watched frame starts a new one). */
  onError?: (source: string, message: string) => void;
}

/**
 * One watcher of one source: {@link Watcher.next} gives the newest image not yet given.
 *
 * @example
 * ```ts
 * import { FrameHub } from "./frames.ts";
 * const hub = new FrameHub();
 * const watcher = hub.watch("main");
 * watcher.close();
 * console.log(await watcher.next()); // null
 * ```
 */
export interface Watcher {
  /** The source watched. */
  readonly source: string;
  /** The newest image not yet given, once there is one; `null` once closed. */
  next(): Promise<Uint8Array | null>;
  /** Stops watching (the source's encoder ends with its last watcher). */
  close(): void;
}

interface Slot {
  image?: Uint8Array;
  wake?: () => void;
  closed: boolean;
}

interface Encoding {
  encoder: JpegEncoder;
  busy: number;
  /** When the next image is due (performance.now() ms). */
  due: number;
}

/**
 * The frames of the live view (see the module docs).
 *
 * @example
 * ```ts
 * import { Inference } from "@stream-infer/stream-infer";
 * import { FrameHub } from "./frames.ts";
 * const inference = new Inference();
 * const hub = new FrameHub({ maxFps: 10 });
 * inference.observe(hub);
 * const watcher = hub.watch("main"); // e.g. for an MJPEG response
 * watcher.close();
 * await hub.close();
 * ```
 */
export class FrameHub implements RunObserver {
  readonly #options: FrameHubOptions;
  readonly #slots = new Map<string, Set<Slot>>();
  readonly #encoders = new Map<string, Encoding>();
  readonly #latest = new LatestRecords();
  readonly #last = new Map<string, Uint8Array>();
  readonly #closing: Promise<void>[] = [];
  #annotator: Annotator;
  #closed = false;
  /** Frames drawn and sent to an encoder. */
  drawn = 0;
  /** JPEG images handed to watchers (once per image, however many watch). */
  images = 0;

  /** Creates a hub; attach it to a run with `inference.observe(hub)`. */
  constructor(options: FrameHubOptions = {}) {
    this.#options = { ...options };
    this.#annotator = new Annotator(options.annotator);
  }

  /** Frames are needed only while someone watches. */
  get everyFrame(): boolean {
    return this.#slots.size > 0;
  }

  /** How many watchers a source has (every source's, without an id). */
  watchers(source?: string): number {
    if (source !== undefined) return this.#slots.get(source)?.size ?? 0;
    let n = 0;
    for (const set of this.#slots.values()) n += set.size;
    return n;
  }

  /** Ids of the sources with a running encoder. */
  encoding(): string[] {
    return [...this.#encoders.keys()];
  }

  /** Draws these lines and zones from the next frame on. */
  setShapes(shapes: Pick<AnnotatorOptions, "lines" | "zones">): void {
    this.#annotator = new Annotator({ ...this.#options.annotator, ...shapes });
  }

  /** Starts watching a source; its newest image, if any, comes first. */
  watch(source: string): Watcher {
    const slot: Slot = { closed: this.#closed, image: this.#last.get(source) };
    if (!slot.closed) {
      let set = this.#slots.get(source);
      if (!set) this.#slots.set(source, set = new Set());
      set.add(slot);
    }
    const close = () => {
      if (slot.closed && !this.#slots.get(source)?.has(slot)) return;
      slot.closed = true;
      slot.wake?.();
      const set = this.#slots.get(source);
      set?.delete(slot);
      if (set?.size === 0) {
        this.#slots.delete(source);
        this.#stopEncoder(source);
      }
    };
    return {
      source,
      next: async () => {
        while (!slot.closed && slot.image === undefined) {
          await new Promise<void>((resolve) => slot.wake = resolve);
          slot.wake = undefined;
        }
        if (slot.closed) return null;
        const image = slot.image!;
        slot.image = undefined;
        return image;
      },
      close,
    };
  }

  /** Keeps the newest records of each source (for drawing). */
  onRecord(record: AlgoRecord): void {
    this.#latest.onRecord(record);
  }

  /** Draws and encodes the frame when its source is watched and the encoder has room. */
  onFrame(frame: Frame, ran: readonly AlgoRecord[]): void {
    for (const r of ran) this.#latest.onRecord(r);
    if (this.#closed || !this.#slots.has(frame.source)) return;
    const maxFps = this.#options.maxFps ?? 15;
    let encoding = this.#encoders.get(frame.source);
    const now = performance.now();
    if (encoding) {
      if (encoding.busy >= (this.#options.inFlight ?? 2)) return;
      if (now < encoding.due) return;
      if (!encoding.encoder.fits(frame)) {
        this.#stopEncoder(frame.source);
        encoding = undefined;
      }
    }
    if (!encoding) {
      try {
        const encoder = new JpegEncoder({
          width: frame.width,
          height: frame.height,
          format: frame.format,
          quality: this.#options.quality,
        });
        encoding = { encoder, busy: 0, due: 0 };
        this.#encoders.set(frame.source, encoding);
      } catch (e) {
        this.#options.onError?.(frame.source, errorMessage(e));
        return;
      }
    }
    // images are due every 1/maxFps s on average (not at least that far apart, which would
    // give 12.5 images/s of a 25 fps source at a 15 cap); a long pause does not bank a burst
    const interval = 1000 / maxFps;
    encoding.due = Math.max(encoding.due + interval, now - interval);
    const copy: Frame = { ...frame, data: frame.data.slice() };
    this.#annotator.drawOn(copy, this.#latest.of(frame.source));
    this.drawn++;
    encoding.busy++;
    const current = encoding;
    current.encoder.encode(copy).then((image) => this.#deliver(frame.source, image), (e) => {
      if (this.#encoders.get(frame.source) !== current) return; // stopped on purpose
      this.#options.onError?.(frame.source, errorMessage(e));
      this.#stopEncoder(frame.source);
    }).finally(() => current.busy--);
  }

  /** An ended or removed source's encoder ends (a new run starts it again). */
  onSource(event: SourceEvent): void {
    if (["ended", "lost", "failed", "removed"].includes(event.type)) {
      this.#stopEncoder(event.source);
      this.#latest.clear(event.source);
    }
  }

  /** At the run's end every encoder ends; watchers stay, showing the last image. */
  async onEnd(): Promise<void> {
    for (const source of [...this.#encoders.keys()]) this.#stopEncoder(source);
    await this.settled();
  }

  /** Resolves once every encoder that was stopped has exited. */
  async settled(): Promise<void> {
    await Promise.all(this.#closing.splice(0));
  }

  /** Ends every watcher and encoder. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const set of this.#slots.values()) {
      for (const slot of set) {
        slot.closed = true;
        slot.wake?.();
      }
    }
    this.#slots.clear();
    for (const source of [...this.#encoders.keys()]) this.#stopEncoder(source);
    await this.settled();
  }

  #deliver(source: string, image: Uint8Array): void {
    this.images++;
    this.#last.set(source, image);
    for (const slot of this.#slots.get(source) ?? []) {
      slot.image = image;
      slot.wake?.();
    }
  }

  #stopEncoder(source: string): void {
    const encoding = this.#encoders.get(source);
    if (!encoding) return;
    this.#encoders.delete(source);
    this.#closing.push(encoding.encoder.close());
  }
}
