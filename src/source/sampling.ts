/**
 * fps down-sampling: which source frames are played when the requested fps is below the
 * source's. A source frame j is kept once j reaches an accumulator that grows by
 * `srcFps / fps` (the Python original's rule), i.e. kept frames are `ceil(k * srcFps / fps)`.
 * The same test runs in JavaScript and, as a `select` expression, inside ffmpeg.
 *
 * @module
 */
import type { FrameFilter } from "../frame.ts";

/** Slack for floating-point products that should be whole numbers. */
const EPS = 1e-9;

/**
 * The fps actually played: the requested fps, or the source's when the request is missing
 * or not below it.
 *
 * @example
 * ```ts
 * import { effectiveFps } from "@stream-infer/stream-infer";
 * console.log(effectiveFps(25, 10)); // 10
 * console.log(effectiveFps(25, 60)); // 25
 * ```
 */
export function effectiveFps(sourceFps: number, requestedFps?: number): number {
  return requestedFps && requestedFps < sourceFps ? requestedFps : sourceFps;
}

/**
 * Whether source frame `j` (0-based, counted from the start position) is played when
 * `ratio = playedFps / sourceFps` (≤ 1).
 *
 * @example
 * ```ts
 * import { keepsSourceFrame } from "@stream-infer/stream-infer";
 * const kept = [0, 1, 2, 3, 4, 5].filter((j) => keepsSourceFrame(j, 10 / 25));
 * console.log(kept); // [0, 3, 5]
 * ```
 */
export function keepsSourceFrame(j: number, ratio: number): boolean {
  return Math.floor(j * ratio + EPS) > Math.floor((j - 1) * ratio + EPS);
}

/**
 * The ffmpeg `select` expression equal to {@link keepsSourceFrame}, or `undefined` when every
 * frame is kept.
 *
 * @example
 * ```ts
 * import { decimationExpr } from "@stream-infer/stream-infer";
 * console.log(decimationExpr(0.4)); // "gt(floor(n*0.4+1e-9),floor((n-1)*0.4+1e-9))"
 * ```
 */
export function decimationExpr(ratio: number): string | undefined {
  if (ratio >= 1) return undefined;
  const r = String(ratio);
  return `gt(floor(n*${r}+${EPS}),floor((n-1)*${r}+${EPS}))`;
}

/**
 * The same rules a source frame at a time: {@link FrameSampler.take} walks source frames in
 * order and gives each one's played index, or `undefined` for a frame dropped by the
 * down-sampling or not wanted by the filter (played indices still count those).
 *
 * @example
 * ```ts ignore
 * import { FrameSampler } from "./sampling.ts";
 * const sampler = new FrameSampler(0.4);
 * console.log([0, 1, 2, 3].map(() => sampler.take())); // [0, undefined, undefined, 1]
 * ```
 */
export class FrameSampler {
  readonly #ratio: number;
  readonly #filter?: FrameFilter;
  #source = -1;
  #played = -1;

  /** Samples at `ratio = playedFps / sourceFps` (≤ 1), keeping what `filter` wants. */
  constructor(ratio: number, filter?: FrameFilter) {
    this.#ratio = ratio;
    this.#filter = filter;
  }

  /** The played index of the next source frame, or `undefined` when it is not emitted. */
  take(): number | undefined {
    const j = ++this.#source;
    if (this.#ratio < 1 && !keepsSourceFrame(j, this.#ratio)) return undefined;
    const index = ++this.#played;
    return !this.#filter || this.#filter.test(index) ? index : undefined;
  }

  /** The last source frame taken, 0-based (-1 before the first). */
  get sourceFrame(): number {
    return this.#source;
  }
}

/**
 * Walks source frames in order and yields `[playedIndex, sourceOffset]` for each frame that
 * ffmpeg will emit: played after down-sampling and, when a filter is given, wanted by it.
 *
 * @example
 * ```ts
 * import { emittedFrames } from "@stream-infer/stream-infer";
 * const it = emittedFrames(0.4);
 * console.log(it.next().value, it.next().value); // [0, 0] [1, 3]
 * ```
 */
export function* emittedFrames(
  ratio: number,
  filter?: FrameFilter,
): Generator<[number, number], never> {
  const sampler = new FrameSampler(ratio, filter);
  while (true) {
    const index = sampler.take();
    if (index !== undefined) yield [index, sampler.sourceFrame];
  }
}
