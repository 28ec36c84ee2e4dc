/**
 * {@link FrameSource}: what a player plays from, and {@link ReadOptions}, how it is read.
 *
 * @module
 */
import type { Frame, FrameFilter, PixelFormat } from "../frame.ts";
import type { FramePool } from "../frame_pool.ts";
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
