/**
 * {@link Inference}: loads algorithms with their schedules and runs them on a player's frames.
 *
 * @module
 */
import type { AlgoLike, LoadAlgoOptions } from "../algo/algo.ts";
import { Dispatcher } from "./dispatcher.ts";
import { errorMessage, InputError, PluginError } from "../errors.ts";
import { type Frame, packFrames, positionOf } from "../frame.ts";
import { type AlgoMetrics, type Metrics, Samples } from "../observe/metrics.ts";
import type { Player } from "../source/player.ts";
import { effectiveFps } from "../source/sampling.ts";
import { fetchPlugin, loadPlugin } from "../plugin/load.ts";
import { WorkerRunner } from "../worker/runner.ts";
import { type AlgoRunner, InlineRunner } from "../algo/runner.ts";
import { framesWanted, requiredSpan, Schedule } from "../schedule/schedule.ts";
import type { AlgoRecord } from "../sinks/sink.ts";

/** How the pipeline runs: every frame in order, or at the source's pace. */
import type { Mode } from "../observe/observer.ts";
export type { Mode };

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
  /** Instances running side by side, when more than one. */
  instances?: number;
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
  /** One runner per instance (`instances`, default 1). */
  runners: AlgoRunner[];
  /** Realtime: which runners have a run in flight. */
  busy: boolean[];
  /** Runs on this thread: offline runs are awaited in place, with no frame copies. */
  inline: boolean;
  plugin?: string;
  stats: AlgoStats;
  skipped: number;
  runMs: Samples;
  lagMs: Samples;
  /** Offline: per instance, the previous run's promise, so each instance's runs stay in
   * order. */
  lanes: Promise<unknown>[];
  /** Offline: runs started, which picks the next run's instance. */
  started: number;
  /** Buffers back from the worker, reused for the next frame copies. */
  spare: ArrayBuffer[];
}

/** Offline: a played frame waiting for its runs, to be handed on in order. */
interface PendingFrame {
  frame: Frame;
  /** `undefined` for a run that stop() cancelled before it started. */
  records: Promise<AlgoRecord | undefined>[];
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
  /** Realtime: how long a stop waits for runs in flight, in ms (default 5000). */
  stopGraceMs?: number;
  /** Offline with worker-run plugins: frames decoded ahead of the oldest unfinished run
   * (default 8). */
  lookahead?: number;
  /** Receives worker restarts, disabled plugins and warnings (default: stderr). */
  onEvent?: (message: string) => void;
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
  readonly #stopGraceMs: number;
  readonly #lookahead: number;
  readonly #onEvent: (message: string) => void;
  #process?: ProcessHook;
  #player?: Player;
  #abort?: AbortController;
  #running = false;
  #finalMetrics?: Metrics;

  /** Creates an inference over a dispatcher (a new one by default). */
  constructor(dispatcher: Dispatcher = new Dispatcher(), options: InferenceOptions = {}) {
    this.dispatcher = dispatcher;
    this.#pluginBase = options.pluginBase;
    this.#process = options.process;
    this.#stopGraceMs = options.stopGraceMs ?? 5000;
    this.#lookahead = Math.max(1, options.lookahead ?? 8);
    const warned = new Set<string>();
    this.#onEvent = options.onEvent ?? ((message) => {
      if (warned.has(message)) return;
      if (/sandboxing is off/.test(message)) warned.add(message);
      console.error(`stream-infer: ${message}`);
    });
  }

  /**
   * Loads an algorithm (an instance, or a plugin path or URL), validates its schedule and
   * calls its `init(options)`.
   *
   * An instance runs on this thread. A plugin runs in its own Web Worker (unless
   * `worker: false`) that gets only the permissions its options grant, plus read access to
   * the existing files named in its options (model files, say). Offline, worker runs
   * overlap with decoding; realtime, they never hold up the player.
   */
  async loadAlgo(algo: AlgoLike | string | URL, options: LoadAlgoOptions): Promise<void> {
    if (this.#running) throw new InputError("cannot load algorithms while running");
    const plugin = typeof algo === "string" || algo instanceof URL ? String(algo) : undefined;
    const label = options.name ?? plugin ?? (algo as AlgoLike).name ?? "algo";
    const schedule = new Schedule(options, label);
    const instances = options.instances ?? 1;
    if (!Number.isInteger(instances) || instances < 1) {
      throw new InputError(`${label}: instances must be an integer >= 1 (got ${instances})`);
    }
    if (instances > 1 && (plugin === undefined || options.worker === false)) {
      throw new InputError(
        `${label}: instances > 1 needs a plugin run in workers (a path or URL, not worker: false)`,
      );
    }
    const runners: AlgoRunner[] = [];
    let instanceName: string | undefined;
    const verify = {
      base: this.#pluginBase,
      integrity: options.integrity,
      trust: options.trust,
      onWarning: this.#onEvent,
    };
    const assertFree = (name: string | undefined) => {
      if (name !== undefined && this.#algos.some((a) => a.name === name)) {
        throw new InputError(`an algorithm named '${name}' is already loaded (set a unique name)`);
      }
    };
    assertFree(options.name);
    if (plugin !== undefined && options.worker !== false) {
      const source = await fetchPlugin(plugin, verify);
      const extraRead = existingPaths(options.options);
      const workers = Array.from({ length: instances }, (_, instance) =>
        new WorkerRunner(source, {
          name: options.name,
          permissions: options.permissions,
          extraRead,
          timeoutMs: options.timeoutMs,
          context: { instance, instances },
          onEvent: (event) =>
            this.#onEvent(
              instances > 1 ? `[instance ${instance}] ${event.message}` : event.message,
            ),
        }));
      runners.push(...workers);
      await initAll(runners, options.options, label);
      instanceName = workers[0].algoName;
    } else {
      let instance: AlgoLike;
      if (plugin !== undefined) {
        const AlgoClass = await loadPlugin(plugin, this.#pluginBase, verify);
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
      runners.push(new InlineRunner(instance));
      instanceName = instance.name ?? instance.constructor?.name;
      assertFree(options.name ?? instanceName);
      await initAll(runners, options.options, options.name ?? instanceName ?? label);
    }
    const name = options.name ?? instanceName ?? "algo";
    try {
      assertFree(name);
    } catch (e) {
      await disposeAll(runners);
      throw e;
    }
    this.#algos.push({
      name,
      schedule,
      runners,
      inline: !(runners[0] instanceof WorkerRunner),
      plugin,
      spare: [],
      ...freshRunState(runners.length),
    });
  }

  /** The loaded algorithms with their schedules. */
  listAlgos(): AlgoInfo[] {
    return this.#algos.map(({ name, schedule, plugin, runners }) => ({
      name,
      frameCount: schedule.frameCount,
      frameStep: schedule.frameStep,
      interval: schedule.interval,
      ...(plugin ? { plugin } : {}),
      ...(runners.length > 1 ? { instances: runners.length } : {}),
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

  /**
   * Asks a running `start` to stop: reading stops at once (ffmpeg is killed), runs in flight
   * get a bounded time to finish, then sinks are flushed.
   */
  stop(): void {
    this.#abort?.abort();
  }

  /** Per-algorithm and player metrics of the current or last run (also after dispose()). */
  metrics(): Metrics {
    if (this.#finalMetrics && this.#algos.length === 0) return this.#finalMetrics;
    const algos: Record<string, AlgoMetrics> = {};
    for (const a of this.#algos) {
      algos[a.name] = {
        runs: a.stats.runs,
        skipped: a.skipped,
        errors: a.stats.errors,
        restarts: a.runners.reduce((sum, r) => sum + (r.restarts ?? 0), 0),
        disabled: a.runners.every((r) => r.disabled ?? false),
        runMs: a.runMs.percentiles(),
        lagMs: a.lagMs.percentiles(),
      };
    }
    const player = this.#player?.metrics() ??
      { fps: 0, framesRead: 0, framesDropped: 0, reconnects: 0, stalls: 0 };
    return { algos, player, sources: {} };
  }

  /**
   * Plays the source and runs the algorithms on their schedules until the source ends or
   * `stop()` is called. Closes the dispatcher's sinks at the end (discards them on failure).
   *
   * - `offline`: every frame in order; the records equal a strictly serial run. Runs of
   *   worker-backed plugins overlap with decoding, and are handed on in order.
   * - `realtime`: the source plays at its own pace and never waits for inference; an
   *   algorithm runs when `interval` seconds have passed since its last start, on the newest
   *   frames, and a tick that finds it busy is skipped.
   */
  async start(player: Player, options: StartOptions = {}): Promise<RunSummary> {
    const mode = options.mode ?? "offline";
    if (mode !== "offline" && mode !== "realtime") {
      throw new InputError(`mode must be offline or realtime (got '${mode}')`);
    }
    if (this.#running) throw new InputError("this inference is already running");
    if (options.fps !== undefined && !(options.fps > 0)) {
      throw new InputError(`fps must be > 0 (got ${options.fps})`);
    }
    if (options.position !== undefined && !(options.position >= 0)) {
      throw new InputError(`position must be >= 0 seconds (got ${options.position})`);
    }
    this.#running = true;
    this.#player = player;
    const abort = this.#abort = new AbortController();
    const began = performance.now();
    let frames = 0;
    try {
      const probed = await player.open();
      const schedules = this.#algos.map((a) => a.schedule);
      const span = requiredSpan(schedules);
      this.dispatcher.reserve(span);
      for (const a of this.#algos) Object.assign(a, freshRunState(a.runners.length));
      const everyFrame = this.#process !== undefined || this.#frameListeners.length > 0;
      const fps = probed ? effectiveFps(probed.fps, options.fps) : undefined;
      const offline = mode === "offline";
      const filter = offline && fps && !everyFrame ? framesWanted(schedules, fps) : undefined;
      const play = player.play({
        fps: options.fps,
        position: options.position,
        filter,
        buffers: span + (offline ? this.#lookahead : 0) + 2,
        realtime: !offline,
        signal: abort.signal,
      });
      if (offline) frames = await this.#runOffline(play);
      else frames = await this.#runRealtime(play);
      await this.dispatcher.close();
      return {
        frames,
        seconds: (performance.now() - began) / 1000,
        fps: player.fps,
        stopped: abort.signal.aborted,
        algos: Object.fromEntries(this.#algos.map((a) => [a.name, { ...a.stats }])),
      };
    } catch (e) {
      await this.dispatcher.abort();
      throw e;
    } finally {
      this.#running = false;
    }
  }

  /** Calls every algorithm's `dispose()` (and ends their workers). */
  async dispose(): Promise<void> {
    this.#finalMetrics = this.metrics();
    await Promise.all(this.#algos.splice(0).map((a) => disposeAll(a.runners)));
  }

  async #runOffline(play: AsyncIterable<Frame>): Promise<number> {
    const pending: PendingFrame[] = [];
    let frames = 0;
    for await (const frame of play) {
      if (this.#abort?.signal.aborted) break; // frames already in the pipe when stop() came
      frames++;
      this.dispatcher.addFrame(frame);
      const records: Promise<AlgoRecord | undefined>[] = [];
      let awaitNow = false;
      for (const algo of this.#algos) {
        if (!algo.schedule.dueAtFrame(frame.index, this.#player!.fps)) continue;
        const input = this.dispatcher.getFrames(algo.schedule.frameCount, algo.schedule.frameStep);
        if (!input) continue;
        // Inline runs see the ring's frames and finish before the next frame is read; worker
        // runs get copies and overlap with decoding, one at a time per instance, and the
        // instance is picked by turn so that every run gives the same records.
        const copies = algo.inline ? input : this.#snapshot(algo, input);
        const lane = algo.started++ % algo.runners.length;
        const record = algo.lanes[lane].then(() =>
          this.#abort?.signal.aborted
            ? undefined
            : this.#runOnce(algo, lane, copies, frame, performance.now())
        );
        algo.lanes[lane] = record;
        records.push(record);
        awaitNow ||= algo.inline;
      }
      pending.push({ frame, records });
      if (awaitNow || pending.length >= this.#lookahead) await this.#handOn(pending);
    }
    await this.#handOn(pending);
    return frames;
  }

  /**
   * Offline: collects, in order, the records of all pending frames. After stop(), frames whose
   * runs did not all finish are dropped, as frames still in the pipe are.
   */
  async #handOn(pending: PendingFrame[]): Promise<void> {
    while (pending.length) {
      const { frame, records } = pending.shift()!;
      const ran = await Promise.all(records);
      if (ran.includes(undefined)) {
        pending.length = 0;
        return;
      }
      for (const record of ran as AlgoRecord[]) this.dispatcher.collect(record);
      await this.#afterFrame(frame, ran as AlgoRecord[]);
    }
  }

  async #runRealtime(play: AsyncIterable<Frame>): Promise<number> {
    const inFlight = new Set<Promise<void>>();
    let finished: AlgoRecord[] = [];
    let frames = 0;
    for await (const frame of play) {
      if (this.#abort?.signal.aborted) break; // frames already in the pipe when stop() came
      frames++;
      const arrival = performance.now();
      this.dispatcher.addFrame(frame);
      for (const algo of this.#algos) {
        if (algo.runners.every((r) => r.disabled)) continue;
        const idle = algo.runners.findIndex((r, i) => !r.disabled && !algo.busy[i]);
        const decision = algo.schedule.tick(arrival, idle < 0);
        if (decision === "skip") algo.skipped++;
        if (decision !== "run") continue;
        const input = this.dispatcher.getFrames(algo.schedule.frameCount, algo.schedule.frameStep);
        if (!input) continue;
        algo.busy[idle] = true;
        const copies = this.#snapshot(algo, input);
        const run: Promise<void> = Promise.resolve().then(async () => {
          const record = await this.#runOnce(algo, idle, copies, frame, arrival);
          this.dispatcher.collect(record);
          finished.push(record);
        }).finally(() => {
          algo.busy[idle] = false;
          inFlight.delete(run);
        });
        inFlight.add(run);
      }
      const ran = finished;
      finished = [];
      await this.#afterFrame(frame, ran);
    }
    if (inFlight.size) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise((resolve) => timer = setTimeout(resolve, this.#stopGraceMs)),
      ]);
      clearTimeout(timer);
    }
    return frames;
  }

  /** Copies frames into one buffer the run owns (recycled from earlier runs when possible). */
  #snapshot(algo: LoadedAlgo, input: Frame[]): Frame[] {
    return packFrames(input, algo.spare.pop());
  }

  async #afterFrame(frame: Frame, ran: AlgoRecord[]): Promise<void> {
    let shown = frame;
    if (this.#process) {
      shown = (await this.#process({ frame, ran, dispatcher: this.dispatcher })) ?? frame;
    }
    for (const listener of this.#frameListeners) await listener(shown);
  }

  async #runOnce(
    algo: LoadedAlgo,
    instance: number,
    input: Frame[],
    newest: Frame,
    arrival: number,
  ): Promise<AlgoRecord> {
    const base = {
      algo: algo.name,
      frame: newest.index,
      time: newest.time,
      position: positionOf(newest.time),
    };
    const started = performance.now();
    let record: AlgoRecord;
    try {
      const runner = algo.runners[instance];
      const result = runner instanceof WorkerRunner
        ? runner.runTransfer(
          input,
          (buffer) => algo.spare.length < 2 + 2 * algo.runners.length && algo.spare.push(buffer),
        )
        : runner.run(input);
      record = { ...base, result: await result };
    } catch (e) {
      algo.stats.errors++;
      record = { ...base, error: errorMessage(e) };
    }
    const now = performance.now();
    algo.stats.runs++;
    algo.runMs.add(now - started);
    algo.lagMs.add(now - arrival);
    return record;
  }
}

/** The per-run state of a loaded algorithm, as a run starts. */
function freshRunState(instances: number) {
  return {
    stats: { runs: 0, errors: 0 },
    skipped: 0,
    busy: new Array<boolean>(instances).fill(false),
    runMs: new Samples(),
    lagMs: new Samples(),
    lanes: new Array<Promise<unknown>>(instances).fill(Promise.resolve()),
    started: 0,
  };
}

/**
 * Calls every instance's `init` side by side, disposing them all when one fails; errors
 * become {@link PluginError}s.
 */
async function initAll(runners: AlgoRunner[], options: unknown, name: string): Promise<void> {
  const settled = await Promise.allSettled(runners.map((r) => r.init(options)));
  const failed = settled.find((s) => s.status === "rejected");
  if (!failed) return;
  await disposeAll(runners);
  const e = (failed as PromiseRejectedResult).reason;
  if (e instanceof PluginError) throw e;
  throw new PluginError(`${name}: init failed: ${errorMessage(e)}`);
}

async function disposeAll(runners: AlgoRunner[]): Promise<void> {
  await Promise.all(runners.map((r) => r.dispose().catch(() => {})));
}

/** Strings in plugin options that name existing files (granted for reading). */
function existingPaths(options: unknown, found: string[] = [], depth = 0): string[] {
  if (typeof options === "string") {
    if (options.length < 4096 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(options)) {
      try {
        // files only: a directory (even "/") must be granted explicitly in `permissions`
        if (Deno.statSync(options).isFile) found.push(options);
      } catch { /* not a path */ }
    }
  } else if (options && typeof options === "object" && depth < 4) {
    for (const value of Object.values(options)) existingPaths(value, found, depth + 1);
  }
  return found;
}
