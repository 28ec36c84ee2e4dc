/**
 * {@link Player}: plays a source through a producer at the requested fps, tracks the
 * position, and reconnects live sources.
 *
 * @module
 */
import { type Frame, type FrameFilter, positionOf } from "../frame.ts";
import type { FramePool } from "../frame_pool.ts";
import type { SourceInfo } from "./probe.ts";
import type { FrameSource } from "./frame_source.ts";
import { effectiveFps } from "./sampling.ts";
import { type ParsedSource, parseSource } from "./parse.ts";
import { checkSourceId } from "./spec.ts";

/**
 * Options of {@link Player.play}.
 *
 * @example
 * ```ts
 * import type { PlayOptions } from "@stream-infer/stream-infer";
 * const opts: PlayOptions = { fps: 10, position: 5 };
 * ```
 */
export interface PlayOptions {
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds. */
  position?: number;
  /** Only decode out the played frames this filter wants. */
  filter?: FrameFilter;
  /** Frame buffers to rotate through (see `ReadOptions.buffers`). */
  buffers?: number;
  /** Pace a file at its own fps, dropping frames when behind (realtime mode). */
  realtime?: boolean;
  /** Aborting it stops play (ffmpeg is killed) and ends the iteration quietly. */
  signal?: AbortSignal;
  /** Where frame buffers come from and go back to (default: the producer's own). */
  pool?: FramePool;
  /** Also receives this play's events (after the player's own `onEvent`). */
  onEvent?: (event: PlayerEvent) => void;
}

/**
 * How a live source is reconnected when it ends, fails or stalls.
 *
 * @example
 * ```ts
 * import type { ReconnectOptions } from "@stream-infer/stream-infer";
 * const opts: ReconnectOptions = { attempts: 10, initialDelay: 0.5, maxDelay: 10, stallTimeout: 5 };
 * ```
 */
export interface ReconnectOptions {
  /** Reconnect attempts in a row before giving up (default 5; 0 disables reconnects). */
  attempts?: number;
  /** Seconds before the first attempt; doubled each attempt (default 0.5). */
  initialDelay?: number;
  /** Longest wait between attempts, in seconds (default 8). */
  maxDelay?: number;
  /** Seconds without a frame after which a live source counts as stalled (default 10). */
  stallTimeout?: number;
}

/**
 * Something the player reports about a live source.
 *
 * @example
 * ```ts
 * import type { PlayerEvent } from "@stream-infer/stream-infer";
 * const log = (e: PlayerEvent) => console.error(`${e.type}: ${e.message}`);
 * ```
 */
export interface PlayerEvent {
  /** `stall`, `ended` (a live source ended or failed), `reconnect`, `gave-up` or `warning`. */
  type: "stall" | "ended" | "reconnect" | "gave-up" | "warning";
  /** A human-readable line. */
  message: string;
}

/**
 * Options of {@link Player}.
 *
 * @example
 * ```ts
 * import type { PlayerOptions } from "@stream-infer/stream-infer";
 * const opts: PlayerOptions = { id: "gate", reconnect: { attempts: 10 } };
 * ```
 */
export interface PlayerOptions {
  /** The source's id, carried by its frames and records (default `main`). */
  id?: string;
  /** Reconnection policy for live sources. */
  reconnect?: ReconnectOptions;
  /**
   * Receives stalls, reconnects and warnings (default: nothing; in a pipeline they reach its
   * observers as source events, and its default log prints them).
   */
  onEvent?: (event: PlayerEvent) => void;
}

/**
 * Metrics of the player.
 *
 * @example
 * ```ts
 * import type { PlayerMetrics } from "@stream-infer/stream-infer";
 * const m: PlayerMetrics = { fps: 25, framesRead: 250, framesDropped: 0, reconnects: 0, stalls: 0 };
 * ```
 */
export interface PlayerMetrics {
  /** Frames read per second of wall clock over the run. */
  fps: number;
  /** Frames read from ffmpeg. */
  framesRead: number;
  /** Frames the realtime player dropped because it fell behind the source's pace. */
  framesDropped: number;
  /** Reconnections to a live source. */
  reconnects: number;
  /** Times a live source stalled (no frame within the stall timeout). */
  stalls: number;
}

/**
 * Plays a source through a producer.
 *
 * @example
 * ```ts
 * import { FFmpegProducer, Player } from "@stream-infer/stream-infer";
 * const player = new Player(new FFmpegProducer({ width: 640 }), "video.mp4");
 * const info = await player.open();
 * for await (const frame of player.play({ fps: 5 })) console.log(frame.index, player.position);
 * console.log(info.duration);
 * ```
 */
export class Player {
  /** What decodes the source. */
  readonly producer: FrameSource;
  /** The source: path, URL or device. */
  readonly source: string;
  /** The source's id, carried by its frames and records. */
  readonly id: string;
  readonly #reconnect: Required<ReconnectOptions>;
  readonly #onEvent: (event: PlayerEvent) => void;
  #info: SourceInfo | undefined;
  #parsed: ParsedSource | undefined;
  #fps = 0;
  #time = 0;
  #frames = 0;
  #dropped = 0;
  #reconnects = 0;
  #stalls = 0;
  #began = 0;
  #gaveUp = false;

  /** Creates a player; nothing runs until {@link Player.open} or {@link Player.play}. */
  constructor(producer: FrameSource, source: string, options: PlayerOptions = {}) {
    this.producer = producer;
    this.source = source;
    this.id = checkSourceId(options.id ?? "main");
    this.#reconnect = {
      attempts: options.reconnect?.attempts ?? 5,
      initialDelay: options.reconnect?.initialDelay ?? 0.5,
      maxDelay: options.reconnect?.maxDelay ?? 8,
      stallTimeout: options.reconnect?.stallTimeout ?? 10,
    };
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /**
   * Probes a file source (once) and returns its info. Network streams and devices are not
   * probed separately (a camera or a single-client server would be opened twice): for them
   * this returns `null`, and {@link Player.info} is known once play starts.
   */
  async open(): Promise<SourceInfo | null> {
    if (this.#info) return this.#info;
    this.#parsed ??= parseSource(this.source);
    if (this.#parsed.kind !== "file") return null;
    return this.#info = await this.producer.probe(this.#parsed);
  }

  /** The source's info, once probed or once play has started. */
  get info(): SourceInfo | undefined {
    return this.#info;
  }

  /** The fps being played (the requested fps, capped at the source's). */
  get fps(): number {
    return this.#fps;
  }

  /** Presentation time of the newest frame played, in seconds. */
  get time(): number {
    return this.#time;
  }

  /** Whole seconds of the source played so far. */
  get position(): number {
    return positionOf(this.#time);
  }

  /** Frames played so far in the current play. */
  get framesPlayed(): number {
    return this.#frames;
  }

  /** Whether the last play ended because a live source could not be reconnected. */
  get sourceLost(): boolean {
    return this.#gaveUp;
  }

  /** Counters of the current (or last) play. */
  metrics(): PlayerMetrics {
    const seconds = (performance.now() - this.#began) / 1000;
    return {
      fps: this.#began && seconds > 0 ? Math.round((this.#frames / seconds) * 100) / 100 : 0,
      framesRead: this.#frames + this.#dropped,
      framesDropped: this.#dropped,
      reconnects: this.#reconnects,
      stalls: this.#stalls,
    };
  }

  /**
   * Yields the played frames in order. Breaking out (or aborting `signal`) stops ffmpeg.
   * A live source that ends, fails or stalls is reconnected with exponential backoff;
   * indices and times keep counting across reconnects.
   */
  async *play(options: PlayOptions = {}): AsyncGenerator<Frame, void, undefined> {
    const onEvent = (event: PlayerEvent) => {
      this.#onEvent(event);
      options.onEvent?.(event);
    };
    const probed = await this.open();
    const parsed = this.#parsed!;
    const kind = parsed.kind;
    // http(s) may be a file or a stream: ffmpeg's banner tells once it is open
    let live = probed ? probed.live : kind !== "http";
    let position = options.position ?? 0;
    const ignorePosition = () => {
      onEvent({ type: "warning", message: `${this.source} is live: position ignored` });
      position = skipUntil = this.#time = 0;
    };
    if (probed) this.#fps = effectiveFps(probed.fps, options.fps);
    // http(s): whether it is live is known only from the banner, so seek by skipping frames
    const unknown = !probed && kind === "http";
    let skipUntil = unknown ? position : 0;
    this.#time = position;
    if (live && position > 0) ignorePosition();
    this.#frames =
      this.#dropped =
      this.#reconnects =
      this.#stalls =
        0;
    this.#gaveUp = false;
    this.#began = performance.now();
    let clockStart = NaN;
    let indexBase = 0;
    let timeBase = 0;
    let attempt = 0;
    while (!options.signal?.aborted) {
      const session = new AbortController();
      const stop = () => session.abort();
      options.signal?.addEventListener("abort", stop, { once: true });
      let lastFrameAt = performance.now();
      let stalled = false;
      const watchdog = probed?.live === false ? undefined : setInterval(() => {
        if (live && performance.now() - lastFrameAt > this.#reconnect.stallTimeout * 1000) {
          stalled = true;
          session.abort();
        }
      }, 250);
      let failure: unknown;
      let nextIndex = indexBase;
      let nextTime = timeBase;
      try {
        for await (
          const frame of this.producer.read(parsed, {
            info: probed ?? undefined,
            onInfo: (found) => {
              this.#info = found;
              live = found.live || kind !== "http";
              this.#fps = effectiveFps(found.fps, options.fps);
              if (unknown && live && position > 0) ignorePosition();
            },
            fps: options.fps,
            position: unknown ? 0 : position,
            filter: options.filter,
            buffers: options.buffers,
            sourceId: this.id,
            pool: options.pool,
            signal: session.signal,
            onWarning: (message) => onEvent({ type: "warning", message }),
            // Frames not played are dropped before they are handed out, so their buffers go
            // straight back to the pool and never count against the frames kept alive.
            skip: (frame) => {
              lastFrameAt = performance.now();
              attempt = 0;
              if (frame.time < skipUntil - 1e-9) {
                indexBase--; // an http file: the seek, done here; skipped frames are not played
                return true;
              }
              // the pace starts once the first frame has been handled (see below): frames read
              // before that are not late
              if (!options.realtime || live || Number.isNaN(clockStart)) return false;
              const late = lastFrameAt - (clockStart + (frame.time - position) * 1000);
              if (late <= 1000 / this.#fps) return false;
              // behind the source's pace by more than a frame: drop it (indices stay gapless)
              this.#dropped++;
              indexBase--;
              return true;
            },
          })
        ) {
          frame.index += indexBase;
          if (live) frame.time += timeBase;
          nextIndex = frame.index + 1;
          nextTime = frame.time + 1 / this.#fps;
          if (options.realtime && !live && !Number.isNaN(clockStart)) {
            const ahead = clockStart + (frame.time - position) * 1000 - performance.now();
            if (ahead > 1) await sleep(ahead, session.signal);
          }
          if (session.signal.aborted) break;
          this.#time = frame.time;
          this.#frames++;
          yield frame;
          if (Number.isNaN(clockStart)) {
            // the realtime pace starts when the first frame has been handled: what its
            // observers set up on it (an encoder spawned, a worker's first run) is not play time,
            // so the next frame is due now
            clockStart = performance.now() - (frame.time + 1 / this.#fps - position) * 1000;
          }
        }
      } catch (e) {
        failure = e;
      } finally {
        clearInterval(watchdog);
        options.signal?.removeEventListener("abort", stop);
      }
      if (options.signal?.aborted) return;
      if (!live) {
        if (failure) throw failure;
        return;
      }
      indexBase = nextIndex;
      timeBase = nextTime;
      if (stalled) this.#stalls++;
      const why = stalled
        ? `no frame for ${this.#reconnect.stallTimeout} s`
        : failure
        ? (failure as Error).message
        : "the stream ended";
      onEvent({ type: stalled ? "stall" : "ended", message: `${this.source}: ${why}` });
      if (attempt >= this.#reconnect.attempts) {
        this.#gaveUp = true;
        onEvent({
          type: "gave-up",
          message: `${this.source}: gave up after ${attempt} reconnect attempts`,
        });
        return;
      }
      const delay = Math.min(
        this.#reconnect.maxDelay,
        this.#reconnect.initialDelay * 2 ** attempt,
      );
      attempt++;
      this.#reconnects++;
      onEvent({
        type: "reconnect",
        message:
          `${this.source}: reconnecting in ${delay} s (attempt ${attempt} of ${this.#reconnect.attempts})`,
      });
      await sleep(delay * 1000, options.signal);
    }
  }
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
