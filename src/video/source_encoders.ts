/**
 * {@link SourceEncoders}: the run-observer side shared by the recorder and the restreams: one
 * {@link FrameEncoder} per source, started at the source's first frame (at its played fps and
 * size), fed the shown frame (annotated, after the process hook), and closed when the source
 * ends or the run ends.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { Mode, RunEnd, RunObserver, RunStart, SourceEvent } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { Annotation } from "./annotation.ts";
import { type EncoderOptions, type EncoderStats, FrameEncoder } from "./encoder.ts";

/**
 * Options shared by the recorder and the restreams.
 *
 * @example
 * ```ts
 * import { Annotation, type VideoOutputOptions } from "@stream-infer/stream-infer";
 * const opts: VideoOutputOptions = { sources: ["gate"], annotation: new Annotation() };
 * ```
 */
export interface VideoOutputOptions {
  /** Only these sources (default: every source). */
  sources?: string[];
  /** Not these sources (they have outputs of their own). */
  exclude?: string[];
  /** The run's shared {@link Annotation} (default: frames as shown, not drawn on). */
  annotation?: Annotation;
  /** libx264 preset (default `veryfast` offline, `ultrafast` in realtime). */
  preset?: string;
  /** Path of ffmpeg (see `locateFfmpeg`). */
  ffmpeg?: string;
  /** Receives one line when an encoder fails or restarts (default: stderr). */
  onMessage?: (message: string) => void;
}

/** What a subclass says about one source's encoder. */
export type EncoderPlan = Pick<
  EncoderOptions,
  "label" | "output" | "clock" | "block" | "queue" | "retry" | "retryMs" | "closeMs"
>;

/**
 * One encoder per source, as a run observer (see the module docs). Subclasses say where
 * each source goes ({@link SourceEncoders.plan}).
 */
export abstract class SourceEncoders implements RunObserver {
  /** Every played frame is wanted. */
  readonly everyFrame = true;
  /** The shared annotation. */
  readonly annotation: Annotation;
  /** The options. */
  protected readonly options: VideoOutputOptions;
  /** The run's mode (set by `onStart`). */
  protected mode: Mode = "offline";
  readonly #fps = new Map<string, number>();
  readonly #encoders = new Map<string, FrameEncoder>();
  readonly #stats = new Map<string, EncoderStats>();
  readonly #closing = new Set<Promise<void>>();

  /** Creates the observer. */
  constructor(options: VideoOutputOptions = {}) {
    this.options = options;
    this.annotation = options.annotation ?? new Annotation();
  }

  /** Where one source goes and how (the encoder's output arguments and timing). */
  protected abstract plan(source: string, fps: number): Promise<EncoderPlan>;

  /** Encoder counters per source (for the ended ones too). */
  stats(): Record<string, EncoderStats> {
    const out: Record<string, EncoderStats> = Object.fromEntries(this.#stats);
    for (const [id, enc] of this.#encoders) out[id] = enc.stats;
    return out;
  }

  /** Where a source's frames go (a path or URL), for messages and summaries. */
  abstract targetOf(source: string): string;

  /** The process ids of the running encoders, per source. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, enc] of this.#encoders) if (enc.pid !== undefined) out[id] = enc.pid;
    return out;
  }

  /** Remembers the run's mode. */
  onStart(start: RunStart): void {
    this.mode = start.mode;
  }

  /** Learns a source's played fps; closes its encoder when it ends. */
  onSource(event: SourceEvent): void {
    if (event.type === "opened") {
      const fps = event.opened?.fps ?? event.opened?.info.fps;
      if (fps) this.#fps.set(event.source, fps);
    } else if (["ended", "lost", "failed", "removed"].includes(event.type)) {
      this.#closeSource(event.source);
      this.annotation.forget(event.source);
    }
  }

  /** Encodes the shown frame. */
  async onFrame(frame: Frame, ran: readonly AlgoRecord[]): Promise<void> {
    if (this.options.sources && !this.options.sources.includes(frame.source)) return;
    if (this.options.exclude?.includes(frame.source)) return;
    let encoder = this.#encoders.get(frame.source);
    if (!encoder) {
      if (this.#stats.has(frame.source)) return; // failed to start before: no retry per frame
      encoder = await this.#open(frame);
      if (!encoder) return;
    }
    await encoder.push(this.annotation.shown(frame, ran));
  }

  /** Closes every encoder: the files are finished when this resolves. */
  async onEnd(_end?: RunEnd): Promise<void> {
    await this.close();
  }

  /** Closes every encoder (also usable after `stop()` from code). Idempotent. */
  async close(): Promise<void> {
    for (const id of [...this.#encoders.keys()]) this.#closeSource(id);
    await Promise.all(this.#closing);
  }

  async #open(frame: Frame): Promise<FrameEncoder | undefined> {
    const fps = this.#fps.get(frame.source) ?? 25;
    const message = this.options.onMessage ?? ((m: string) => console.error(`stream-infer: ${m}`));
    try {
      const plan = await this.plan(frame.source, fps);
      const encoder = new FrameEncoder({
        ...plan,
        width: frame.width,
        height: frame.height,
        format: frame.format,
        fps,
        ffmpeg: this.options.ffmpeg,
        onMessage: message,
      });
      this.#encoders.set(frame.source, encoder);
      return encoder;
    } catch (e) {
      this.#stats.set(frame.source, { pushed: 0, written: 0, dropped: 0, restarts: 0 });
      message(`${frame.source}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  #closeSource(id: string): void {
    const encoder = this.#encoders.get(id);
    if (!encoder) return;
    this.#encoders.delete(id);
    const closing: Promise<void> = encoder.close().finally(() => {
      this.#stats.set(id, encoder.stats);
      this.#closing.delete(closing);
    });
    this.#closing.add(closing);
  }
}
