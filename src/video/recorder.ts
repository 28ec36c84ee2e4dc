/**
 * {@link Recorder}: records each source's shown frames (annotated, after the process hook)
 * to an H.264 mp4, in both modes.
 *
 * - Offline: one video frame per played frame, at the played fps; the run waits for the
 *   encoder when it falls behind, so nothing is lost.
 * - Realtime: wall-clock timing on a fixed-rate clock at the played fps (see
 *   {@link FrameEncoder}): a frame the player dropped repeats the previous one, so the video
 *   lasts as long as the run. An encoder that falls behind drops frames (counted in
 *   {@link SourceEncoders.stats}) and never stalls the run.
 *
 * The file is finished (moov atom, `+faststart`) when the run ends, after `stop()`, and after
 * a Ctrl-C of the CLI: the encoder's stdin is closed and ffmpeg is waited for.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type EncoderPlan, SourceEncoders, type VideoOutputOptions } from "./source_encoders.ts";
import { defaultPreset, fileArgs, forSource } from "./targets.ts";

/**
 * Options of {@link Recorder}.
 *
 * @example
 * ```ts
 * import type { RecorderOptions } from "@stream-infer/stream-infer";
 * const opts: RecorderOptions = { path: "out/{source}.mp4", preset: "ultrafast" };
 * ```
 */
export interface RecorderOptions extends VideoOutputOptions {
  /** The mp4 path; `{source}` is replaced by the source id (needed with several sources). */
  path: string;
  /** Realtime: frames queued ahead of the encoder before frames are dropped (default 16). */
  queue?: number;
}

/**
 * Records the run's shown frames to mp4 (see the module docs). Attach it with
 * `inference.observe(recorder)`.
 *
 * @example
 * ```ts
 * import { FFmpegProducer, Inference, Player, Recorder } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * const recorder = new Recorder({ path: "out.mp4" });
 * inference.observe(recorder);
 * await inference.start(new Player(new FFmpegProducer(), "clip.mp4"), { mode: "offline" });
 * console.log(recorder.stats().main.written);
 * ```
 */
export class Recorder extends SourceEncoders {
  /** The path template. */
  readonly path: string;
  readonly #queue: number;
  readonly #taken = new Map<string, string>();

  /** Creates the recorder. */
  constructor(options: RecorderOptions) {
    super(options);
    if (!options.path) throw new InputError("record: the path is empty");
    this.path = options.path;
    this.#queue = options.queue ?? 16;
  }

  /** The file a source records to. */
  pathOf(source: string): string {
    return forSource(this.path, source);
  }

  /** The file a source records to (as {@link Recorder.pathOf}). */
  targetOf(source: string): string {
    return this.pathOf(source);
  }

  /** The file and timing of one source: `frames` and waiting offline, `wall` and dropping in realtime. */
  protected async plan(source: string, fps: number): Promise<EncoderPlan> {
    const path = this.pathOf(source);
    const other = this.#taken.get(path);
    if (other !== undefined && other !== source) {
      throw new InputError(
        `record: sources '${other}' and '${source}' would both write ${path} (put {source} in the path)`,
      );
    }
    this.#taken.set(path, source);
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    const offline = this.mode === "offline";
    return {
      label: `${source}: record ${path}`,
      output: fileArgs(path, fps, this.options.preset ?? defaultPreset(!offline)),
      clock: offline ? "frames" : "wall",
      block: offline,
      queue: offline ? 4 : this.#queue,
    };
  }
}
