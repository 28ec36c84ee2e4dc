/**
 * The option and hook types of `Inference`: start options, the process hook, algorithm
 * load options (with tracking and crops) and the inference's own options.
 *
 * @module
 */
import type { LoadAlgoOptions } from "../algo/algo.ts";
import type { CropInput } from "../analytics/config.ts";
import type { Frame } from "../frame.ts";
import type { Mode } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import type { TrackOptions } from "../track/options.ts";
import type { Dispatcher } from "./dispatcher.ts";
/**
 * Options of `Inference.start`.
 *
 * @example
 * ```ts
 * import type { StartOptions } from "@stream-infer/stream-infer";
 * const opts: StartOptions = { fps: 10, position: 0, mode: "offline" };
 * ```
 */
export interface StartOptions {
  /** Requested fps of the player passed to `start` (default: the source's). */
  fps?: number;
  /** Start position in seconds of the player passed to `start`. */
  position?: number;
  /** `offline` (default) or `realtime`. */
  mode?: Mode;
}

/**
 * What the per-frame process hook receives.
 *
 * @example
 * ```ts
 * import type { ProcessContext } from "@stream-infer/stream-infer";
 * const hook = ({ frame, ran }: ProcessContext) => {
 *   if (ran.length) console.log(frame.source, frame.index, ran.map((r) => r.algo));
 * };
 * ```
 */
export interface ProcessContext {
  /** The frame just played (`frame.source` says whose). */
  frame: Frame;
  /** Records of the algorithms that ran on this frame. */
  ran: readonly AlgoRecord[];
  /** The dispatcher, for earlier results. */
  dispatcher: Dispatcher;
}

/**
 * The per-frame hook (the original's `set_custom_process`): sees every played frame with the
 * records of the runs on it, and may return a replacement frame (an annotated one, say) that
 * frame observers receive instead.
 *
 * @example
 * ```ts
 * import type { ProcessHook } from "@stream-infer/stream-infer";
 * const hook: ProcessHook = ({ frame }) => frame;
 * ```
 */
export type ProcessHook = (context: ProcessContext) => Frame | void | Promise<Frame | void>;

/**
 * A loaded algorithm, as `Inference.listAlgos` describes it.
 *
 * @example
 * ```ts
 * import type { AlgoInfo } from "@stream-infer/stream-infer";
 * const info: AlgoInfo = { name: "motion", frameCount: 2, frameStep: 0, interval: 0.5 };
 * ```
 */
export interface AlgoInfo {
  /** The algorithm's name. */
  name: string;
  /** Frames per run. */
  frameCount: number;
  /** Step between frames. */
  frameStep: number;
  /** Seconds between runs. */
  interval: number;
  /** The plugin it was loaded from, if any. */
  plugin?: string;
  /** Instances running side by side, when more than one. */
  instances?: number;
}

/**
 * Options of `Inference.loadAlgo`: a schedule and the loading options, plus tracking
 * of the algorithm's detections (`track`) or, for an algorithm that runs on crops of
 * another's detections, `input`.
 *
 * @example
 * ```ts
 * import type { AlgoOptions } from "@stream-infer/stream-infer";
 * const det: AlgoOptions = { name: "det", frameCount: 1, frameStep: 0, interval: 0.1, track: {} };
 * const colour: AlgoOptions = {
 *   name: "colour", frameCount: 1, frameStep: 0, interval: 0.1,
 *   input: { from: "det", classes: ["car"], maxCrops: 8 },
 * };
 * ```
 */
export interface AlgoOptions extends LoadAlgoOptions {
  /**
   * Track the detections of this algorithm (`{ box, score, name }` items, bare or under
   * `detections`): each gets a stable `track` id per source.
   */
  track?: TrackOptions;
  /**
   * Run on crops of the detections of the algorithm `input.from` (loaded before) instead of
   * whole frames: one run per crop, each crop a frame of the same format; the results join
   * the detections under this algorithm's name. Needs `frameCount: 1`; its schedule is unused.
   */
  input?: CropInput;
}

/**
 * Options of `Inference`.
 *
 * @example
 * ```ts
 * import { Inference, type InferenceOptions } from "@stream-infer/stream-infer";
 * const opts: InferenceOptions = { pluginBase: "/srv/pipelines/" };
 * const inference = new Inference(undefined, opts);
 * ```
 */
export interface InferenceOptions {
  /** Directory that relative plugin paths are resolved against (default: working dir). */
  pluginBase?: string | URL;
  /** The per-frame hook. */
  process?: ProcessHook;
  /** Realtime: how long a stop waits for runs in flight, in ms (default 5000). */
  stopGraceMs?: number;
  /** Offline with worker-run plugins: frames decoded ahead of the oldest unfinished run
   * (default 8). */
  lookahead?: number;
  /**
   * Bytes of frames one source may keep alive (default `DEFAULT_RING_BUDGET`, 512 MiB;
   * `Infinity` turns the check off). A source keeps `span + lookahead + 1` frames, where
   * `span` is the longest `(frameCount - 1) * max(frameStep, 1) + 1` of the loaded
   * algorithms and `lookahead` is 0 in realtime mode. A source whose frames would need more
   * fails (alone) with an `InputError` naming the algorithms, their `frameCount` and
   * `frameStep`, the frame size and the budget, as soon as its frame size is known and
   * before its frames are kept; `loadAlgo` already refuses a schedule that would not fit
   * even with the smallest frames (2x2 gray).
   */
  ringBudget?: number;
  /**
   * `false` to print nothing. By default a `LogObserver` prints warnings, source
   * trouble and worker restarts to stderr; attach your own observer to see them as events.
   */
  log?: boolean;
}
