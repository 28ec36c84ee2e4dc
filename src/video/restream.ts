/**
 * {@link Restream}: pushes each source's shown frames live, H.264, to an RTMP or RTSP server
 * (`rtmp://...`, `rtsp://...`) or into an HLS folder (`index.m3u8` and its segments).
 *
 * It never stalls the run: frames wait in a small queue, and a frame that finds it full is
 * dropped (counted in {@link SourceEncoders.stats}). Timing follows the wall clock in realtime
 * (dropped frames repeat the previous one) and the played frames offline. A target that goes
 * away (ffmpeg exits: the server stopped, the network broke) is retried with exponential
 * backoff (1 s, 2 s, 4 s ... 30 s) while the run goes on.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type EncoderPlan, SourceEncoders, type VideoOutputOptions } from "./source_encoders.ts";
import { defaultPreset, forSource, hlsArgs, type HlsOptions, pushArgs } from "./targets.ts";

/**
 * Options of {@link Restream}: exactly one of `url` and `hls`.
 *
 * @example
 * ```ts
 * import type { RestreamOptions } from "@stream-infer/stream-infer";
 * const push: RestreamOptions = { url: "rtmp://127.0.0.1/live/{source}" };
 * const hls: RestreamOptions = { hls: "hls/{source}", segmentSeconds: 2, listSize: 6 };
 * ```
 */
export interface RestreamOptions extends VideoOutputOptions, HlsOptions {
  /** An `rtmp://`, `rtmps://` or `rtsp://` URL; `{source}` is replaced by the source id. */
  url?: string;
  /** An HLS folder (created when missing); `{source}` is replaced by the source id. */
  hls?: string;
  /** Frames queued ahead of the encoder before frames are dropped (default 8). */
  queue?: number;
  /** First retry delay in ms, doubled up to 30 s (default 1000). */
  retryMs?: number;
}

/**
 * Pushes the run's shown frames live (see the module docs). Attach it with
 * `inference.observe(restream)`.
 *
 * @example
 * ```ts
 * import { FFmpegProducer, Inference, Player, Restream } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * inference.observe(new Restream({ url: "rtmp://127.0.0.1/live/{source}" }));
 * await inference.start(new Player(new FFmpegProducer(), "rtsp://cam/stream"), {
 *   mode: "realtime",
 * });
 * ```
 */
export class Restream extends SourceEncoders {
  /** The URL or HLS folder template. */
  readonly target: string;
  readonly #options: RestreamOptions;

  /** Validates the target and creates the restream. */
  constructor(options: RestreamOptions) {
    super(options);
    if ((options.url === undefined) === (options.hls === undefined)) {
      throw new InputError("restream: give exactly one of url and hls");
    }
    if (options.url !== undefined) pushArgs(options.url, 25); // the scheme is checked now
    this.target = (options.url ?? options.hls)!;
    this.#options = options;
  }

  /** Where a source goes. */
  targetOf(source: string): string {
    return forSource(this.target, source);
  }

  /** The push or HLS output of one source, retried with backoff, never waiting. */
  protected async plan(source: string, fps: number): Promise<EncoderPlan> {
    const target = this.targetOf(source);
    const preset = this.options.preset ?? defaultPreset(this.mode === "realtime");
    let output: string[];
    if (this.#options.hls !== undefined) {
      await Deno.mkdir(target, { recursive: true });
      output = hlsArgs(target, fps, this.#options, preset);
    } else output = pushArgs(target, fps, preset);
    return {
      label: `${source}: ${this.#options.hls !== undefined ? "hls" : "restream"} ${target}`,
      output,
      clock: this.mode === "offline" ? "frames" : "wall",
      block: false,
      queue: this.#options.queue ?? 8,
      retry: true,
      retryMs: this.#options.retryMs,
      closeMs: 5000,
    };
  }
}
