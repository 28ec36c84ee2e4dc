/**
 * {@link Inference}: loads algorithms with their schedules and runs them on the frames of one
 * or many sources. Algorithms are shared: each has one pool of instances serving every
 * source.
 *
 * @module
 */
import type { AlgoLike } from "../algo/algo.ts";
import type { AnalyticsOptions } from "../analytics/config.ts";
import { InputError } from "../errors.ts";
import type { Frame } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import { Observers } from "../observe/fanout.ts";
import { LogObserver } from "../observe/log.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { RunObserver } from "../observe/observer.ts";
import { RunCounters } from "../observe/run_metrics.ts";
import type { AlgoRecord } from "../record.ts";
import { checkBudgetOption } from "../schedule/budget.ts";
import type { Player } from "../source/player.ts";
import type { AlgoPool } from "./algo_pool.ts";
import { Dispatcher } from "./dispatcher.ts";
import { checkRecord, NO_TIMING, RecordFlow } from "./flow.ts";
import type { RecordStage } from "./stage.ts";
import { RunStages } from "./stages.ts";
import { loadPool } from "./load.ts";
import { playSource } from "./loop.ts";
import { OfflinePolicy } from "./offline.ts";
import type { RunContext, RunPolicy } from "./policy.ts";
import { RealtimePolicy } from "./realtime.ts";
import { type SourcePlay, SourceRun } from "./source_run.ts";
import { collectMetrics, type RunSummary, summarize } from "./summary.ts";

export type { AlgoStats, RunSummary, SourceSummary } from "./summary.ts";
export type { SourcePlay } from "./source_run.ts";
export type {
  AlgoInfo,
  AlgoOptions,
  InferenceOptions,
  ProcessContext,
  ProcessHook,
  StartOptions,
} from "./options.ts";
import type {
  AlgoInfo,
  AlgoOptions,
  InferenceOptions,
  ProcessHook,
  StartOptions,
} from "./options.ts";

/** States in which a source still holds its id. */
const LIVE_STATES = new Set(["waiting", "playing"]);

/**
 * Loads algorithms and runs them on the frames of one or many sources.
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
 * inference.addSource(new Player(new FFmpegProducer({ width: 320 }), "gate.mp4", { id: "gate" }));
 * inference.addSource(new Player(new FFmpegProducer({ width: 320 }), "lot.mp4", { id: "lot" }), {
 *   fps: 5,
 * });
 * const summary = await inference.start(undefined, { mode: "offline" });
 * console.log(summary.sources.gate.frames, inference.dispatcher.getResults("FrameSize").length);
 * ```
 */
export class Inference {
  /** Where results are collected and written to sinks. */
  readonly dispatcher: Dispatcher;
  readonly #pools: AlgoPool[] = [];
  readonly #stages = new RunStages();
  /** Algorithms that run on crops, from a stage, not on the frames' schedule. */
  readonly #onCrops = new Set<AlgoPool>();
  readonly #sources = new Map<string, SourceRun>();
  /** Sources of this run that were removed or replaced: they still count in the totals. */
  #retired: SourceRun[] = [];
  readonly #observers: Observers;
  readonly #counters = new RunCounters();
  readonly #framePool = new FramePool();
  readonly #pluginBase?: string | URL;
  readonly #stopGraceMs: number;
  readonly #lookahead: number;
  readonly #ringBudget: number;
  #process?: ProcessHook;
  #run?: { context: RunContext; policy: RunPolicy; abort: AbortController; active: Set<SourceRun> };
  #wake?: () => void;
  #finalMetrics?: Metrics;

  /** Creates an inference over a dispatcher (a new one by default). */
  constructor(dispatcher: Dispatcher = new Dispatcher(), options: InferenceOptions = {}) {
    this.dispatcher = dispatcher;
    this.#pluginBase = options.pluginBase;
    this.#process = options.process;
    this.#stopGraceMs = options.stopGraceMs ?? 5000;
    this.#lookahead = Math.max(1, options.lookahead ?? 8);
    this.#ringBudget = checkBudgetOption(options.ringBudget);
    this.#observers = new Observers();
    if (options.log !== false) this.#observers.add(new LogObserver());
    this.#observers.add(this.#counters);
    this.#observers.add({ onRecord: (record) => this.dispatcher.collect(record) });
  }

  /**
   * Loads an algorithm (an instance, or a plugin path or URL), validates its schedule and
   * calls its `init(options)`.
   *
   * An instance runs on this thread. A plugin runs in its own Web Workers (`instances` of
   * them; unless `worker: false`) that get only the permissions its options grant, plus read
   * access to the existing files named in its options (model files, say). Every source is
   * served by the same instances.
   *
   * With `track`, the algorithm's detections get a stable `track` id per source; with
   * `input`, it runs on crops of another algorithm's detections instead of whole frames (see
   * {@link AlgoOptions}). Bad `track` or `input` values are an {@link InputError}.
   */
  async loadAlgo(algo: AlgoLike | string | URL, options: AlgoOptions): Promise<void> {
    if (this.#run) throw new InputError("cannot load algorithms while running");
    const { track, input, ...load } = options;
    const label = load.name ?? String((algo as AlgoLike).name ?? algo);
    const tracking = track === undefined ? undefined : RunStages.checkTrack(label, track);
    const crops = input === undefined
      ? undefined
      : RunStages.checkInput(label, input, (name) => this.#pools.some((p) => p.name === name));
    if (crops && load.frameCount !== 1) {
      throw new InputError(`${label}: an algorithm on crops needs frameCount: 1`);
    }
    const pool = await loadPool(algo, load, {
      pluginBase: this.#pluginBase,
      onEvent: (event) => this.#observers.onAlgo(event),
      taken: (name) => this.#pools.some((p) => p.name === name),
      ringBudget: this.#ringBudget,
    });
    this.#pools.push(pool);
    if (tracking) this.#stages.addTrack(pool.name, tracking);
    if (crops) {
      this.#onCrops.add(pool);
      this.#stages.addCrops(pool, crops, this.#framePool);
    }
  }

  /**
   * Adds a line or a zone (see {@link AnalyticsOptions}) that reads the tracked detections of
   * the algorithm `on` (loaded with a `track` key) and adds its events to the records: `cross`
   * for lines, `enter`, `leave` and `loiter` for zones, and `counts` every `report` seconds and
   * at each source's end. Throws {@link InputError} for bad options.
   *
   * @example
   * ```ts
   * import { Inference } from "@stream-infer/stream-infer";
   * const inference = new Inference();
   * await inference.loadAlgo("./plugins/yolo/mod.ts", {
   *   name: "det", frameCount: 1, frameStep: 0, interval: 0.08,
   *   options: { model: "./yolov8n.onnx" }, permissions: { ffi: true },
   *   track: { type: "bytetrack", maxAge: 1 },
   * });
   * inference.addAnalytics({
   *   type: "line", name: "gate", on: "det", classes: ["car"], points: [[0, 300], [768, 300]],
   * });
   * ```
   */
  addAnalytics(options: AnalyticsOptions): void {
    if (this.#run) throw new InputError("cannot add analytics while running");
    this.#stages.addAnalytics(options, (name) => this.#pools.some((p) => p.name === name));
  }

  /** The loaded algorithms with their schedules. */
  listAlgos(): AlgoInfo[] {
    return this.#pools.map(({ name, schedule, plugin, runners }) => ({
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

  /**
   * Adds a stage that every record goes through, per source and in run order, before the
   * observers (and so the dispatcher and sinks) see it. Added stages run after the trackers,
   * the algorithms on crops and the analytics, in the order added.
   */
  addStage(stage: RecordStage): void {
    if (this.#run) throw new InputError("cannot add stages while running");
    this.#stages.add(stage);
  }

  /**
   * Adds a record to the run's records, as if an algorithm had made it: every observer (the
   * dispatcher, its sinks) receives it at once, with a `NaN` timing. For events and
   * announcements that no run makes (clips, analytics); the stages do not see it.
   */
  emit(record: AlgoRecord): Promise<void> {
    checkRecord(record);
    return this.#observers.onRecord(record, NO_TIMING);
  }

  /** Attaches an observer of runs; returns a function that detaches it. */
  observe(observer: RunObserver): () => void {
    return this.#observers.add(observer);
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /**
   * Adds a source, before `start()` or while running (it then starts playing at once). Its
   * id is the player's; an id held by a waiting or playing source is refused with an
   * {@link InputError}.
   */
  addSource(player: Player, play: SourcePlay = {}): void {
    const held = this.#sources.get(player.id);
    if (held && LIVE_STATES.has(held.state)) {
      throw new InputError(`a source with id '${player.id}' is already in the pipeline`);
    }
    if (play.fps !== undefined && !(play.fps > 0)) {
      throw new InputError(`fps must be > 0 (got ${play.fps})`);
    }
    if (play.position !== undefined && !(play.position >= 0)) {
      throw new InputError(`position must be >= 0 seconds (got ${play.position})`);
    }
    const source = new SourceRun(player, play);
    if (held) this.#retired.push(held);
    this.#sources.set(source.id, source);
    this.#observers.onSource({ source: source.id, type: "added", message: `${source.id}: added` });
    if (this.#run) this.#launch(source);
  }

  /**
   * Takes a source out: its ffmpeg is killed and reaped, its pending runs are dropped, and
   * it is no longer listed. Resolves `false` for an unknown id.
   */
  async removeSource(id: string): Promise<boolean> {
    const source = this.#sources.get(id);
    if (!source) return false;
    source.abort.abort();
    await source.done;
    this.#sources.delete(id);
    this.#retired.push(source);
    source.state = "removed";
    this.#observers.onSource({ source: id, type: "removed", message: `${id}: removed` });
    return true;
  }

  /**
   * Asks a running `start` to stop: reading stops at once (ffmpeg is killed), runs in flight
   * get a bounded time to finish, then sinks are flushed.
   */
  stop(): void {
    this.#run?.abort.abort();
  }

  /** Metrics of the current or last run, per algorithm and per source (also after dispose()). */
  metrics(): Metrics {
    if (this.#finalMetrics && this.#pools.length === 0) return this.#finalMetrics;
    return collectMetrics(this.#pools, [...this.#sources.values()], this.#retired, this.#counters);
  }

  /**
   * Plays the sources and runs the algorithms on their schedules until every source has
   * ended or `stop()` is called. `player`, when given, is added as a source first (with
   * `options.fps` and `options.position`). Closes the dispatcher's sinks at the end.
   *
   * - `offline`: every frame in order; per source, the records equal a strictly serial run
   *   of that source alone. Sources play side by side.
   * - `realtime`: sources play at their own pace and never wait for inference; each
   *   algorithm ticks every `interval` seconds per source on the newest frames.
   *
   * A source that cannot be opened or fails ends alone (see `summary.sources`); the run goes
   * on. Only when every source failed without playing a frame does `start` reject, with the
   * first source's error.
   */
  async start(player?: Player, options: StartOptions = {}): Promise<RunSummary> {
    const mode = options.mode ?? "offline";
    if (mode !== "offline" && mode !== "realtime") {
      throw new InputError(`mode must be offline or realtime (got '${mode}')`);
    }
    if (this.#run) throw new InputError("this inference is already running");
    for (const [id, s] of this.#sources) if (!LIVE_STATES.has(s.state)) this.#sources.delete(id);
    this.#retired = [];
    if (player) this.addSource(player, { fps: options.fps, position: options.position });
    if (this.#sources.size === 0) throw new InputError("no source to play (add one first)");
    this.#counters.reset();
    for (const pool of this.#pools) pool.reset();
    const policy = mode === "offline"
      ? new OfflinePolicy(this.#lookahead)
      : new RealtimePolicy(this.#stopGraceMs);
    const abort = new AbortController();
    const context: RunContext = {
      pools: this.#pools.filter((p) => !this.#onCrops.has(p)),
      framePool: this.#framePool,
      observers: this.#observers,
      flow: new RecordFlow(this.#observers, this.#stages.list()),
      signal: abort.signal,
      source: (id) => this.#sources.get(id),
      watchesFrames: () => this.#process !== undefined || this.#observers.everyFrame,
      afterFrame: (frame, ran) => this.#afterFrame(frame, ran),
    };
    const run = this.#run = { context, policy, abort, active: new Set<SourceRun>() };
    const began = performance.now();
    this.#observers.onStart({
      mode,
      algos: this.#pools.map((p) => p.name),
      sources: [...this.#sources.keys()],
    });
    try {
      for (const source of this.#sources.values()) this.#launch(source);
      while (run.active.size) {
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      if (policy instanceof RealtimePolicy) await policy.drain();
      const sources = [...this.#sources.values()];
      const failed = sources.filter((s) => s.state === "failed");
      if (failed.length === sources.length && sources.every((s) => s.frames === 0)) {
        throw failed[0].failure;
      }
      await this.dispatcher.close();
      const seconds = (performance.now() - began) / 1000;
      await this.#observers.onEnd({ stopped: abort.signal.aborted, seconds });
      return summarize(this.metrics(), sources, this.#retired, seconds, abort.signal.aborted);
    } catch (e) {
      abort.abort();
      await this.dispatcher.abort();
      throw e;
    } finally {
      this.#run = undefined;
    }
  }

  /** Calls every algorithm's `dispose()` (and ends their workers). */
  async dispose(): Promise<void> {
    this.#finalMetrics = this.metrics();
    await Promise.all(this.#pools.splice(0).map((p) => p.dispose()));
  }

  #launch(source: SourceRun): void {
    const run = this.#run!;
    run.active.add(source);
    source.done = playSource(run.context, run.policy, source, this.#ringBudget).finally(() => {
      run.active.delete(source);
      this.#wake?.();
    });
  }

  async #afterFrame(frame: Frame, ran: readonly AlgoRecord[]): Promise<void> {
    let shown = frame;
    if (this.#process) {
      shown = (await this.#process({ frame, ran, dispatcher: this.dispatcher })) ?? frame;
    }
    await this.#observers.onFrame(shown, ran);
  }
}
