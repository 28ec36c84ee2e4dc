/**
 * {@link FrameSource}: what a player plays from, and {@link ReadOptions}, how it is read; and
 * what the two ways of reading (a spawned ffmpeg, or decoding in this process) share: the
 * buffers of a read, a frame's time, the damaged-file warning.
 *
 * @module
 */
import type { Frame, FrameFilter, PixelFormat } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import type { ParsedSource } from "./parse.ts";
import type { SourceInfo } from "./info.ts";

/**
 * Options of {@link FFmpegProducer.read}.
 *
 * @example
 * ```ts
 * import type { ReadOptions, SourceInfo } from "@stream-infer/stream-infer";
 * const info: SourceInfo = { width: 640, height: 360, fps: 25, frameCount: 250, duration: 10, live: false };
 * const opts: ReadOptions = { info, fps: 5, position: 2 };
 * ```
 */
export interface ReadOptions {
  /** The source's probed info. Leave it out for a live source: the size and rate are then
   * read from ffmpeg's own banner, so a camera or single-client server is opened only once. */
  info?: SourceInfo;
  /** Receives the info read from ffmpeg's banner when `info` was left out. */
  onInfo?: (info: SourceInfo) => void;
  /** Requested fps; frames are dropped evenly when the source is faster. */
  fps?: number;
  /** Start position in seconds (a seek). */
  position?: number;
  /** Only emit played frames this filter wants (indices still count every played frame). */
  filter?: FrameFilter;
  /** How many frame buffers to rotate through (default 4). A frame's buffer is reused
   * `buffers` frames later, so keep at most `buffers - 1` frames alive. */
  buffers?: number;
  /** Extra ffmpeg input options for this read. */
  inputOptions?: string[];
  /** The source id the frames carry (default `main`). */
  sourceId?: string;
  /** Where frame buffers come from; a buffer goes back `buffers` frames after its frame
   * (default: a pool of this read's own). */
  pool?: FramePool;
  /**
   * Frames for which this returns `true` are not handed out, and their buffers are reused
   * at once (the player drops late frames this way). Called just before each frame would be
   * yielded.
   */
  skip?: (frame: Frame) => boolean;
  /** Aborting it kills ffmpeg and ends the iteration quietly (no error). */
  signal?: AbortSignal;
  /**
   * Receives a warning when ffmpeg reported errors but still ended well (a truncated or
   * damaged file): the message names the frames decoded. The player turns it into a
   * `warning` event.
   */
  onWarning?: (message: string) => void;
}

/**
 * What a {@link Player} plays from: something that probes a source and reads its frames.
 * {@link FFmpegProducer} is the one the library ships.
 *
 * @example
 * ```ts
 * import { FFmpegProducer, type FrameSource } from "@stream-infer/stream-infer";
 * const source: FrameSource = new FFmpegProducer({ width: 320 });
 * ```
 */
export interface FrameSource {
  /** The frames' pixel format. */
  readonly format: PixelFormat;
  /** Probes a file source: size, fps, length. */
  probe(source: ParsedSource): Promise<SourceInfo>;
  /** Yields the frames; aborting `options.signal` ends the iteration and frees the source. */
  read(source: ParsedSource, options: ReadOptions): AsyncGenerator<Frame, void, undefined>;
}

/**
 * The buffers of one read: from `options.pool` (else a pool of the read's own), and a buffer
 * handed out with a frame comes back `options.buffers` frames later.
 *
 * @example
 * ```ts ignore
 * import { ReadBuffers } from "./frame_source.ts";
 * const buffers = new ReadBuffers({ buffers: 2 });
 * const data = buffers.next(16);
 * buffers.lend(data); // goes out with a frame
 * ```
 */
export class ReadBuffers {
  readonly #pool: FramePool;
  readonly #keep: number;
  readonly #lent: ArrayBuffer[] = [];

  /** Takes `pool` and `buffers` from the read's options. */
  constructor(options: Pick<ReadOptions, "pool" | "buffers">) {
    this.#pool = options.pool ?? new FramePool(1);
    this.#keep = Math.max(2, options.buffers ?? 4);
  }

  /** A buffer for the next frame; the one lent `buffers` frames back is free again first. */
  next(byteLength: number): Uint8Array {
    if (this.#lent.length >= this.#keep) this.#pool.release(this.#lent.shift()!);
    return new Uint8Array(this.#pool.acquire(byteLength));
  }

  /** The buffer goes out with a frame. */
  lend(data: Uint8Array): void {
    this.#lent.push(data.buffer as ArrayBuffer);
  }

  /** The buffer was not handed out after all: it is free at once. */
  drop(data: Uint8Array): void {
    this.#pool.release(data.buffer as ArrayBuffer);
  }
}

/**
 * A frame's time: its pts in seconds, rounded to the microsecond, or without one (`NaN`), the
 * time of source frame `sourceFrame` (counted from `position`) at a constant `fps`.
 *
 * @example
 * ```ts ignore
 * import { frameTime } from "./frame_source.ts";
 * console.log(frameTime(1.0400000001, 0, 0, 25)); // 1.04
 * console.log(frameTime(NaN, 3, 1, 25)); // 1.12
 * ```
 */
export function frameTime(
  pts: number,
  sourceFrame: number,
  position: number,
  fps: number,
): number {
  if (Number.isFinite(pts)) return Math.round(pts * 1e6) / 1e6;
  return (Math.ceil(position * fps - 1e-6) + sourceFrame) / fps;
}

/**
 * The warning for a file that decoded with errors: how many frames of how many after
 * `position` were decoded, and why (`reason`, such as ffmpeg's last error line).
 *
 * @example
 * ```ts ignore
 * import { damagedWarning } from "./frame_source.ts";
 * const info = { width: 64, height: 48, fps: 25, frameCount: 50, duration: 2, live: false };
 * console.log(damagedWarning("cut.mp4", 19, info, 0, "ffmpeg: partial file"));
 * ```
 */
export function damagedWarning(
  url: string,
  decoded: number,
  info: SourceInfo | undefined,
  position: number,
  reason: string,
): string {
  const total = info?.frameCount;
  const skipped = Math.ceil(position * (info?.fps ?? 0) - 1e-6);
  const of = total != null ? ` of ${Math.max(0, total - skipped)}` : "";
  return `${url} is damaged or truncated: decoded ${decoded}${of} frames (${reason})`;
}
