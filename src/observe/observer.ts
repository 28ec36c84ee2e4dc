/**
 * {@link RunObserver}: the one interface for what happens in a run. Progress, metrics,
 * sinks, the Prometheus export and the control API all watch a run through it.
 *
 * Every method is optional. The run calls them in order for each source; a method that
 * returns a promise is awaited only where its docs say so (`onFrame`, `onRecord`, `onEnd`),
 * and an observer that throws is reported once and then ignored, never ending the run.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { AlgoRecord } from "../record.ts";
import type { SourceInfo } from "../source/probe.ts";

/** How the pipeline runs: every frame in order, or at the source's pace. */
export type Mode = "offline" | "realtime";

/**
 * What a run announces when it starts.
 *
 * @example
 * ```ts
 * import type { RunStart } from "@stream-infer/stream-infer";
 * const start: RunStart = { mode: "offline", algos: ["motion"], sources: ["main"] };
 * ```
 */
export interface RunStart {
  /** The run's mode. */
  mode: Mode;
  /** Names of the loaded algorithms. */
  algos: string[];
  /** Ids of the sources at the start (more may be added while running). */
  sources: string[];
}

/** The kinds of {@link SourceEvent}. */
export type SourceEventType =
  | "added"
  | "opened"
  | "stall"
  | "interrupted"
  | "reconnect"
  | "warning"
  | "ended"
  | "lost"
  | "failed"
  | "removed";

/**
 * Something that happened to one source.
 *
 * - `added`: the source joined the run; `opened`: its first frame size and rate are known.
 * - `stall` (no frame for a while), `interrupted` (the stream ended or failed), `reconnect`,
 *   `warning`: a live source's trouble, and what the player does.
 * - `ended`: the source finished (a file's end, or `stop()`); `lost`: a live source could not
 *   be reconnected; `failed`: it could not be opened or decoded (`message` says why);
 *   `removed`: it was taken out of a running pipeline.
 *
 * @example
 * ```ts
 * import type { SourceEvent } from "@stream-infer/stream-infer";
 * const e: SourceEvent = { source: "gate", type: "reconnect", message: "reconnecting in 1 s" };
 * ```
 */
export interface SourceEvent {
  /** The source's id. */
  source: string;
  /** What happened. */
  type: SourceEventType;
  /** A human-readable line. */
  message: string;
  /** With `opened`: the source's size, rate and length, where play started, and the fps
   * played (after down-sampling). */
  opened?: { info: SourceInfo; position: number; fps?: number };
}

/** The kinds of {@link AlgoEvent}. */
export type AlgoEventType = "granted" | "warning" | "restart" | "disabled";

/**
 * Something that happened to a loaded algorithm: the permissions a built-in plugin declared
 * and was granted, a warning while loading it (an unpinned remote plugin, a worker without a
 * sandbox), a worker restarted after a crash or a timeout,
 * or the algorithm disabled after repeated failures.
 *
 * @example
 * ```ts
 * import type { AlgoEvent } from "@stream-infer/stream-infer";
 * const e: AlgoEvent = { algo: "det", type: "restart", message: "det: restarting the worker" };
 * ```
 */
export interface AlgoEvent {
  /** The algorithm's name (its label while it loads). */
  algo: string;
  /** What happened. */
  type: AlgoEventType;
  /** A human-readable line, starting with the algorithm's name. */
  message: string;
  /** Which instance, when the algorithm runs several. */
  instance?: number;
}

/**
 * One algorithm run on one source, as it starts.
 *
 * @example
 * ```ts
 * import type { AlgoRun } from "@stream-infer/stream-infer";
 * const run: AlgoRun = { algo: "det", source: "gate", frame: 42, instance: 0 };
 * ```
 */
export interface AlgoRun {
  /** The algorithm's name. */
  algo: string;
  /** The source's id. */
  source: string;
  /** Played index of the newest frame the run gets. */
  frame: number;
  /** Which of the algorithm's instances runs it. */
  instance: number;
}

/**
 * How long a finished run took.
 *
 * @example
 * ```ts
 * import type { RunTiming } from "@stream-infer/stream-infer";
 * const t: RunTiming = { runMs: 41.5, lagMs: 60.2, instance: 1 };
 * ```
 */
export interface RunTiming {
  /** From handing the frames to the algorithm to its result, in ms. */
  runMs: number;
  /** From the newest frame's arrival to the result, in ms. */
  lagMs: number;
  /** Which instance ran it. */
  instance: number;
}

/**
 * A realtime tick that did not run: every instance of the algorithm's pool stayed busy until
 * the source's next tick replaced it.
 *
 * @example
 * ```ts
 * import type { SkippedRun } from "@stream-infer/stream-infer";
 * const s: SkippedRun = { algo: "det", source: "lot", frame: 17 };
 * ```
 */
export interface SkippedRun {
  /** The algorithm's name. */
  algo: string;
  /** The source's id. */
  source: string;
  /** Played index of the frame whose tick was skipped. */
  frame: number;
}

/**
 * Watches a run. Attach with `Inference.observe(observer)`.
 *
 * @example
 * ```ts
 * import type { RunObserver } from "@stream-infer/stream-infer";
 * const counter: RunObserver & { frames: number } = {
 *   frames: 0,
 *   onFrame() {
 *     this.frames++;
 *   },
 *   onSource(e) {
 *     if (e.type === "failed") console.error(`${e.source}: ${e.message}`);
 *   },
 * };
 * ```
 */
export interface RunObserver {
  /**
   * `true` to have every played frame decoded and passed to `onFrame`. Otherwise an offline
   * run may leave frames that no algorithm reads inside ffmpeg, and `onFrame` sees only the
   * frames that were decoded.
   */
  readonly everyFrame?: boolean;
  /** The run starts. */
  onStart?(start: RunStart): void;
  /** A source was added, opened, stalled, reconnected, ended, lost, failed or removed. */
  onSource?(event: SourceEvent): void;
  /** An algorithm warned, was restarted or was disabled. */
  onAlgo?(event: AlgoEvent): void;
  /** An algorithm run starts. */
  onRunStart?(run: AlgoRun): void;
  /** A realtime tick was skipped because the algorithm's pool stayed busy. */
  onSkip?(skip: SkippedRun): void;
  /**
   * A record: a run's result or error, after the record stages (tracking, crops, analytics),
   * or a record added with `emit`. Records of one source and algorithm come in frame order, in
   * both modes (realtime reorders runs that finish out of order). Awaited, so a slow observer slows the run (keep it quick, or
   * queue the work).
   */
  onRecord?(record: AlgoRecord, timing: RunTiming): void | Promise<void>;
  /**
   * A frame was played, after the runs due on it (offline: after their records; realtime:
   * with the records that finished since the previous frame). `frame` is the process hook's
   * replacement when it returned one. Its pixels are valid only during the call. Awaited.
   */
  onFrame?(frame: Frame, ran: readonly AlgoRecord[]): void | Promise<void>;
  /** The run ended (every source ended, or `stop()`). Awaited. */
  onEnd?(summary: RunEnd): void | Promise<void>;
}

/**
 * What {@link RunObserver.onEnd} receives.
 *
 * @example
 * ```ts
 * import type { RunEnd } from "@stream-infer/stream-infer";
 * const end: RunEnd = { stopped: false, seconds: 3.2 };
 * ```
 */
export interface RunEnd {
  /** Whether `stop()` ended the run early. */
  stopped: boolean;
  /** Wall-clock seconds of the run. */
  seconds: number;
}
