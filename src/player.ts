/**
 * {@link Player}: plays a source through a producer at the requested fps, tracks the
 * position and shows progress.
 *
 * @module
 */
import type { Frame } from "./frame.ts";
import { probe, type SourceInfo } from "./probe.ts";
import type { FFmpegProducer } from "./producer.ts";
import { effectiveFps, type FrameFilter } from "./sampling.ts";

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
}

/**
 * Options of {@link Player}.
 *
 * @example
 * ```ts
 * import type { PlayerOptions } from "@stream-infer/stream-infer";
 * const opts: PlayerOptions = { progress: false };
 * ```
 */
export interface PlayerOptions {
  /** Show a progress bar on stderr: `true`, `false`, or `"auto"` (only on a TTY; default). */
  progress?: boolean | "auto";
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
  /** The producer that decodes the source. */
  readonly producer: FFmpegProducer;
  /** The source: path, URL or device. */
  readonly source: string;
  readonly #progress: boolean | "auto";
  #info: SourceInfo | undefined;
  #fps = 0;
  #time = 0;
  #frames = 0;

  /** Creates a player; nothing runs until {@link Player.open} or {@link Player.play}. */
  constructor(producer: FFmpegProducer, source: string, options: PlayerOptions = {}) {
    this.producer = producer;
    this.source = source;
    this.#progress = options.progress ?? "auto";
  }

  /** Probes the source (once) and returns its info. */
  async open(): Promise<SourceInfo> {
    return this.#info ??= await probe(this.source, {
      ffmpeg: this.producer.ffmpegPath,
      inputOptions: this.producer.inputOptions,
    });
  }

  /** The probed info; throws when {@link Player.open} has not run. */
  get info(): SourceInfo {
    if (!this.#info) throw new Error("Player.open() has not been called");
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
    return Math.floor(this.#time + 1e-9);
  }

  /** Frames played so far in the current play. */
  get framesPlayed(): number {
    return this.#frames;
  }

  /** Yields the played frames in order. Breaking out stops ffmpeg. */
  async *play(options: PlayOptions = {}): AsyncGenerator<Frame, void, undefined> {
    const info = await this.open();
    this.#fps = effectiveFps(info.fps, options.fps);
    this.#time = options.position ?? 0;
    this.#frames = 0;
    const progress = this.#progressBar(info, options.position ?? 0);
    try {
      for await (
        const frame of this.producer.read(this.source, {
          info,
          fps: options.fps,
          position: options.position,
          filter: options.filter,
          buffers: options.buffers,
        })
      ) {
        this.#time = frame.time;
        this.#frames++;
        progress?.update(frame.time);
        yield frame;
      }
    } finally {
      progress?.done();
    }
  }

  #progressBar(info: SourceInfo, start: number): ProgressBar | undefined {
    const wanted = this.#progress === "auto" ? Deno.stderr.isTerminal() : this.#progress;
    if (!wanted || info.duration === null) return undefined;
    return new ProgressBar(start, info.duration);
  }
}

/** A one-line progress bar with ETA on stderr, redrawn at most 5 times a second. */
class ProgressBar {
  readonly #start: number;
  readonly #end: number;
  readonly #began = performance.now();
  readonly #encoder = new TextEncoder();
  #lastDraw = 0;

  constructor(start: number, end: number) {
    this.#start = start;
    this.#end = end;
  }

  update(time: number): void {
    const now = performance.now();
    if (now - this.#lastDraw < 200) return;
    this.#lastDraw = now;
    const total = Math.max(1e-9, this.#end - this.#start);
    const done = Math.min(1, Math.max(0, (time - this.#start) / total));
    const elapsed = (now - this.#began) / 1000;
    const eta = done > 0 ? (elapsed / done) * (1 - done) : NaN;
    const width = 30;
    const filled = Math.round(done * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const line = `\r[${bar}] ${(done * 100).toFixed(0).padStart(3)}% ${time.toFixed(1)}/${
      this.#end.toFixed(1)
    } s  ${(elapsed > 0 ? (time - this.#start) / elapsed : 0).toFixed(1)}x  ETA ${
      Number.isFinite(eta) ? formatSeconds(eta) : "--:--"
    } `;
    Deno.stderr.writeSync(this.#encoder.encode(line));
  }

  done(): void {
    Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
