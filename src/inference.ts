/**
 * {@link Inference}: loads algorithms with their schedules and runs them on a player's frames.
 *
 * @module
 */
import type { AlgoLike, LoadAlgoOptions } from "./algo.ts";
import { Dispatcher, positionOf } from "./dispatcher.ts";
import { InputError, PluginError } from "./errors.ts";
import type { Frame } from "./frame.ts";
import type { Player } from "./player.ts";
import { effectiveFps } from "./sampling.ts";
import { loadPlugin } from "./plugin.ts";
import { type AlgoRunner, errorMessage, InlineRunner } from "./runner.ts";
import { framesWanted, requiredSpan, Schedule } from "./scheduler.ts";
import type { AlgoRecord } from "./sink.ts";

/** How the pipeline runs: every frame in order, or at the source's pace. */
export type Mode = "offline" | "realtime";

/**
 * Options of {@link Inference.start}.
 *
 * @example
 * ```ts
 * import type { StartOptions } from "@stream-infer/stream-infer";
 * const opts: StartOptions = { fps: 10, position: 0, mode: "offline" };
 * ```
 */
export interface StartOptions {
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds. */
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
 *   if (ran.length) console.log(frame.index, ran.map((r) => r.algo));
 * };
 * ```
 */
export interface ProcessContext {
  /** The frame just played. */
  frame: Frame;
  /** Records of the algorithms that ran on this frame. */
  ran: AlgoRecord[];
  /** The dispatcher, for earlier results. */
  dispatcher: Dispatcher;
}

/**
 * The per-frame hook: may return a replacement frame (an annotated one, say) that frame
 * listeners receive instead.
 *
 * @example
 * ```ts
 * import type { ProcessHook } from "@stream-infer/stream-infer";
 * const hook: ProcessHook = ({ frame }) => frame;
 * ```
 */
export type ProcessHook = (context: ProcessContext) => Frame | void | Promise<Frame | void>;

/**
 * A loaded algorithm, as {@link Inference.listAlgos} describes it.
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
}

/**
 * Per-algorithm counts of a finished run.
 *
 * @example
 * ```ts
 * import type { AlgoStats } from "@stream-infer/stream-infer";
 * const s: AlgoStats = { runs: 30, errors: 0 };
 * ```
 */
export interface AlgoStats {
  /** Runs that returned a result or an error. */
  runs: number;
  /** Runs that threw. */
  errors: number;
}

/**
 * What {@link Inference.start} returns.
 *
 * @example
 * ```ts
 * import type { RunSummary } from "@stream-infer/stream-infer";
 * function show(s: RunSummary) {
 *   console.log(`${s.frames} frames in ${s.seconds.toFixed(1)} s`, s.algos);
 * }
 * ```
 */
export interface RunSummary {
  /** Frames that went through the pipeline (skipped-by-schedule frames are not decoded out). */
  frames: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** The fps played. */
  fps: number;
  /** Whether `stop()` ended the run early. */
  stopped: boolean;
  /** Counts per algorithm name. */
  algos: Record<string, AlgoStats>;
}

interface LoadedAlgo {
  name: string;
  schedule: Schedule;
  runner: AlgoRunner;
  plugin?: string;
  stats: AlgoStats;
}

/**
 * Options of {@link Inference}.
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
}

/**
 * Loads algorithms and runs them on a player's frames.
 *
 * @example
 * ```ts
 * import { BaseAlgo, type Frame, FFmpegProducer, Inference, Player } from "@stream-infer/stream-infer";
 *
 * class FrameSize extends BaseAlgo {
 *   run(frames: Frame[]) {
 *     return frames.map((f) => [f.width, f.height]);
 *   }
 * }
 * const inference = new Inference();
 * await inference.loadAlgo(new FrameSize(), { frameCount: 1, frameStep: 0, interval: 1 });
 * const player = new Player(new FFmpegProducer({ width: 320 }), "video.mp4");
 * await inference.start(player, { fps: 5, mode: "offline" });
 * console.log(inference.dispatcher.getResults("FrameSize"));
 * ```
 */
export class Inference {
  /** Where frames are kept and results collected. */
  readonly dispatcher: Dispatcher;
  readonly #algos: LoadedAlgo[] = [];
  readonly #frameListeners: ((frame: Frame) => void | Promise<void>)[] = [];
  readonly #pluginBase?: string | URL;
  #process?: ProcessHook;
  #stopRequested = false;
  #running = false;

  /** Creates an inference over a dispatcher (a new one by default). */
  constructor(dispatcher: Dispatcher = new Dispatcher(), options: InferenceOptions = {}) {
    this.dispatcher = dispatcher;
    this.#pluginBase = options.pluginBase;
    this.#process = options.process;
  }

  /**
   * Loads an algorithm (an instance, or a plugin path or URL), validates its schedule and
   * calls its `init(options)`.
   */
  async loadAlgo(algo: AlgoLike | string | URL, options: LoadAlgoOptions): Promise<void> {
    if (this.#running) throw new InputError("cannot load algorithms while running");
    const plugin = typeof algo === "string" || algo instanceof URL ? String(algo) : undefined;
    const label = options.name ?? plugin ?? (algo as AlgoLike).name ?? "algo";
    const schedule = new Schedule(options, label);
    let instance: AlgoLike;
    if (plugin !== undefined) {
      const AlgoClass = await loadPlugin(plugin, this.#pluginBase);
      try {
        instance = new AlgoClass();
      } catch (e) {
        throw new PluginError(`${plugin}: constructing the algorithm failed: ${errorMessage(e)}`);
      }
    } else {
      instance = algo as AlgoLike;
      if (!instance || typeof instance.run !== "function") {
        throw new PluginError(`${label}: the algorithm has no run(frames) method`);
      }
    }
    const name = options.name ?? instance.name ?? instance.constructor?.name ?? "algo";
    if (this.#algos.some((a) => a.name === name)) {
      throw new InputError(`an algorithm named '${name}' is already loaded (set a unique name)`);
    }
    const runner = new InlineRunner(instance);
    try {
      await runner.init(options.options);
    } catch (e) {
      throw new PluginError(`${name}: init failed: ${errorMessage(e)}`);
    }
    this.#algos.push({ name, schedule, runner, plugin, stats: { runs: 0, errors: 0 } });
  }

  /** The loaded algorithms with their schedules. */
  listAlgos(): AlgoInfo[] {
    return this.#algos.map(({ name, schedule, plugin }) => ({
      name,
      frameCount: schedule.frameCount,
      frameStep: schedule.frameStep,
      interval: schedule.interval,
      ...(plugin ? { plugin } : {}),
    }));
  }

  /** Sets the per-frame process hook. */
  setProcess(hook: ProcessHook | undefined): void {
    this.#process = hook;
  }

  /** Adds a listener for every played frame (after the process hook's replacement). */
  addFrameListener(listener: (frame: Frame) => void | Promise<void>): void {
    this.#frameListeners.push(listener);
  }

  /** Asks a running `start` to stop after the current frame. */
  stop(): void {
    this.#stopRequested = true;
  }

  /**
   * Plays the source and runs the algorithms on their schedules until the source ends or
   * `stop()` is called. Closes the dispatcher's sinks at the end (discards them on failure).
   */
  async start(player: Player, options: StartOptions = {}): Promise<RunSummary> {
    const mode = options.mode ?? "offline";
    if (mode !== "offline") {
      throw new InputError(`mode '${mode}' is not implemented yet (use offline)`);
    }
    if (this.#running) throw new InputError("this inference is already running");
    if (options.fps !== undefined && !(options.fps > 0)) {
      throw new InputError(`fps must be > 0 (got ${options.fps})`);
    }
    if (options.position !== undefined && !(options.position >= 0)) {
      throw new InputError(`position must be >= 0 seconds (got ${options.position})`);
    }
    this.#running = true;
    this.#stopRequested = false;
    const began = performance.now();
    let frames = 0;
    try {
      const info = await player.open();
      const fps = effectiveFps(info.fps, options.fps);
      const schedules = this.#algos.map((a) => a.schedule);
      const span = requiredSpan(schedules);
      this.dispatcher.reserve(span);
      const everyFrame = this.#process !== undefined || this.#frameListeners.length > 0;
      const filter = everyFrame ? undefined : framesWanted(schedules, fps);
      for (const algo of this.#algos) algo.stats = { runs: 0, errors: 0 };
      for await (
        const frame of player.play({
          fps: options.fps,
          position: options.position,
          filter,
          buffers: span + 2,
        })
      ) {
        frames++;
        await this.#onFrame(frame, fps);
        if (this.#stopRequested) break;
      }
      await this.dispatcher.close();
      return {
        frames,
        seconds: (performance.now() - began) / 1000,
        fps,
        stopped: this.#stopRequested,
        algos: Object.fromEntries(this.#algos.map((a) => [a.name, { ...a.stats }])),
      };
    } catch (e) {
      await this.dispatcher.abort();
      throw e;
    } finally {
      this.#running = false;
    }
  }

  /** Calls every algorithm's `dispose()`. */
  async dispose(): Promise<void> {
    for (const algo of this.#algos.splice(0)) await algo.runner.dispose().catch(() => {});
  }

  async #onFrame(frame: Frame, fps: number): Promise<void> {
    this.dispatcher.addFrame(frame);
    const ran: AlgoRecord[] = [];
    for (const algo of this.#algos) {
      if (!algo.schedule.dueAtFrame(frame.index, fps)) continue;
      const input = this.dispatcher.getFrames(algo.schedule.frameCount, algo.schedule.frameStep);
      if (!input) continue;
      const record = await this.#runOnce(algo, input, frame);
      this.dispatcher.collect(record);
      ran.push(record);
    }
    let shown = frame;
    if (this.#process) {
      shown = (await this.#process({ frame, ran, dispatcher: this.dispatcher })) ?? frame;
    }
    for (const listener of this.#frameListeners) await listener(shown);
  }

  async #runOnce(algo: LoadedAlgo, input: Frame[], newest: Frame): Promise<AlgoRecord> {
    const base = {
      algo: algo.name,
      frame: newest.index,
      time: newest.time,
      position: positionOf(newest.time),
    };
    algo.stats.runs++;
    try {
      return { ...base, result: await algo.runner.run(input) };
    } catch (e) {
      algo.stats.errors++;
      return { ...base, error: errorMessage(e) };
    }
  }
}
