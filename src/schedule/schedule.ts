/**
 * When an algorithm runs and which frames it gets (docs/contract.md §3). Offline and realtime share
 * {@link Schedule} and {@link frameIndices}; only the clock differs.
 *
 * @module
 */
import type { ScheduleOptions } from "../algo/algo.ts";
import { InputError } from "../errors.ts";
import type { FrameFilter } from "../frame.ts";

/**
 * Played indices of the frames an algorithm gets when `newest` is the newest frame, oldest
 * first: the newest frame and every `step`-th frame before it (`step` 0 or 1: consecutive).
 * Returns `undefined` when the frames do not reach back to index 0 yet.
 *
 * @example
 * ```ts
 * import { frameIndices } from "@stream-infer/stream-infer";
 * console.log(frameIndices(20, 3, 5)); // [10, 15, 20]
 * console.log(frameIndices(1, 3, 0)); // undefined
 * ```
 */
export function frameIndices(newest: number, count: number, step: number): number[] | undefined {
  const s = Math.max(step, 1);
  const oldest = newest - (count - 1) * s;
  if (oldest < 0) return undefined;
  return Array.from({ length: count }, (_, i) => oldest + i * s);
}

/** What a realtime tick decides. */
export type TickDecision = "run" | "skip" | "wait";

/**
 * A validated schedule: how many frames, their step, and how often.
 *
 * @example
 * ```ts
 * import { Schedule } from "@stream-infer/stream-infer";
 * const s = new Schedule({ frameCount: 2, frameStep: 5, interval: 1 });
 * console.log(s.span); // 6
 * console.log(s.dueAtFrame(9, 10), s.dueAtFrame(19, 10)); // true true
 * ```
 */
export class Schedule implements ScheduleOptions {
  /** Frames per run. */
  readonly frameCount: number;
  /** Step between frames. */
  readonly frameStep: number;
  /** Seconds between runs. */
  readonly interval: number;
  #nextDue = -Infinity;

  /** Validates the numbers; throws {@link InputError} naming the bad one. */
  constructor(options: ScheduleOptions, label = "algo") {
    const { frameCount, frameStep, interval } = options;
    if (!Number.isInteger(frameCount) || frameCount < 1) {
      throw new InputError(`${label}: frameCount must be an integer >= 1 (got ${frameCount})`);
    }
    if (!Number.isInteger(frameStep) || frameStep < 0) {
      throw new InputError(`${label}: frameStep must be an integer >= 0 (got ${frameStep})`);
    }
    if (typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0) {
      throw new InputError(`${label}: interval must be a number > 0 seconds (got ${interval})`);
    }
    this.frameCount = frameCount;
    this.frameStep = frameStep;
    this.interval = interval;
  }

  /** How many consecutive played frames one run looks back over. */
  get span(): number {
    return (this.frameCount - 1) * Math.max(this.frameStep, 1) + 1;
  }

  /** Offline: runs once every this many played frames at `fps`. */
  everyFrames(fps: number): number {
    return Math.max(1, Math.round(this.interval * fps));
  }

  /** Offline: whether the algorithm runs on played frame `index` (enough frames included). */
  dueAtFrame(index: number, fps: number): boolean {
    return (index + 1) % this.everyFrames(fps) === 0 && index + 1 >= this.span;
  }

  /** Offline: the played indices this schedule's runs will read, for frame skipping. */
  wantsFrame(index: number, fps: number): boolean {
    const s = Math.max(this.frameStep, 1);
    for (let i = 0; i < this.frameCount; i++) {
      if (this.dueAtFrame(index + i * s, fps)) return true;
    }
    return false;
  }

  /**
   * Realtime: decides a tick at wall-clock `nowMs`. Due every `interval` seconds, keeping the
   * phase (ticks come with frames, so a tick up to a quarter interval or 10 ms early counts);
   * a due tick while `busy` is skipped. After falling a whole interval behind, the clock
   * restarts at `nowMs`.
   */
  tick(nowMs: number, busy: boolean): TickDecision {
    const period = this.interval * 1000;
    if (nowMs < this.#nextDue - Math.min(period / 4, 10)) return "wait";
    this.#nextDue = (nowMs - this.#nextDue > period ? nowMs : this.#nextDue) + period;
    return busy ? "skip" : "run";
  }
}

/**
 * The largest span over the schedules: the ring buffer size the dispatcher needs.
 *
 * @example
 * ```ts
 * import { requiredSpan, Schedule } from "@stream-infer/stream-infer";
 * console.log(requiredSpan([new Schedule({ frameCount: 3, frameStep: 4, interval: 1 })])); // 9
 * ```
 */
export function requiredSpan(schedules: readonly Schedule[]): number {
  return schedules.reduce((max, s) => Math.max(max, s.span), 1);
}

/** Above this many terms the ffmpeg expression gets unwieldy and every frame is piped. */
const MAX_FILTER_TERMS = 64;

/**
 * Offline frame skipping: a filter that keeps only the played frames some schedule will
 * read, or `undefined` when (nearly) every frame is read anyway.
 *
 * @example
 * ```ts
 * import { framesWanted, Schedule } from "@stream-infer/stream-infer";
 * const f = framesWanted([new Schedule({ frameCount: 1, frameStep: 0, interval: 1 })], 25);
 * console.log(f?.test(24), f?.test(23)); // true false
 * ```
 */
export function framesWanted(
  schedules: readonly Schedule[],
  fps: number,
): FrameFilter | undefined {
  let readFraction = 0;
  let termCount = 0;
  for (const s of schedules) {
    readFraction += s.frameCount / s.everyFrames(fps);
    termCount += s.frameCount;
  }
  // decided before any term is built: a long schedule must not build one string per frame
  if (schedules.length === 0 || readFraction >= 0.5 || termCount > MAX_FILTER_TERMS) {
    return undefined;
  }
  const terms: string[] = [];
  for (const s of schedules) {
    const every = s.everyFrames(fps);
    const step = Math.max(s.frameStep, 1);
    for (let i = 0; i < s.frameCount; i++) {
      // frame n is read by the run at n + i*step when that run is due
      const ahead = i * step;
      terms.push(`not(mod(n+${ahead + 1},${every}))*gte(n+${ahead},${s.span - 1})`);
    }
  }
  return {
    expr: terms.join("+"),
    test: (index) => schedules.some((s) => s.wantsFrame(index, fps)),
  };
}
