/**
 * The ring budget: how many bytes of frames one source may keep alive. A source keeps the
 * frames its longest schedule looks back over ({@link requiredSpan}) plus the frames decoded
 * ahead; {@link checkRingBudget} refuses a source whose frames would not fit, before they are
 * decoded.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { requiredSpan, type Schedule } from "./schedule.ts";

/**
 * Default ring budget of one source: 512 MiB. That holds 86 frames of 1920x1080 bgr24, 194 of
 * 1280x720 and 776 of 640x360: every schedule of the examples and plugins at 1080p with the
 * default offline lookahead (8), while a schedule that would take gigabytes fails at once.
 *
 * @example
 * ```ts
 * import { DEFAULT_RING_BUDGET } from "./budget.ts";
 * console.log(DEFAULT_RING_BUDGET / 2 ** 20); // 512
 * ```
 */
export const DEFAULT_RING_BUDGET: number = 512 * 1024 * 1024;

/**
 * Bytes counted per frame besides its pixels: the frame object, its view and its buffer.
 *
 * @example
 * ```ts
 * import { FRAME_OVERHEAD_BYTES } from "./budget.ts";
 * console.log(FRAME_OVERHEAD_BYTES); // 256
 * ```
 */
export const FRAME_OVERHEAD_BYTES = 256;

/**
 * Pixel bytes of the smallest frame the producer makes (2x2 gray): what a schedule is checked
 * against when it is loaded, before any frame size is known.
 *
 * @example
 * ```ts
 * import { MIN_FRAME_BYTES } from "./budget.ts";
 * console.log(MIN_FRAME_BYTES); // 4
 * ```
 */
export const MIN_FRAME_BYTES = 4;

/**
 * An algorithm's name with its schedule (a loaded algorithm's pool is one).
 *
 * @example
 * ```ts
 * import type { NamedSchedule } from "./budget.ts";
 * import { Schedule } from "./schedule.ts";
 * const algo: NamedSchedule = { name: "motion", schedule: new Schedule({ frameCount: 2, frameStep: 0, interval: 1 }) };
 * ```
 */
export interface NamedSchedule {
  /** The algorithm's name. */
  readonly name: string;
  /** Its schedule. */
  readonly schedule: Schedule;
}

/**
 * What a ring is checked against: the frame size, the frames decoded ahead and the budget.
 *
 * @example
 * ```ts
 * import type { RingLimits } from "./budget.ts";
 * const limits: RingLimits = { frameBytes: 640 * 360 * 3, lookahead: 8, budget: 2 ** 29 };
 * ```
 */
export interface RingLimits {
  /** Pixel bytes of one frame. */
  frameBytes: number;
  /** How the frame is described in the message (e.g. `640x360 bgr24`). */
  frame?: string;
  /** Frames decoded ahead of the ring (the producer keeps `span + lookahead + 1`). */
  lookahead: number;
  /** The budget in bytes. */
  budget: number;
  /** Who is checked, for the message (e.g. `source 'main'`). */
  subject?: string;
}

/**
 * Validates a ring budget: a whole number of bytes >= 1 (`Infinity` turns the check off).
 *
 * @example
 * ```ts
 * import { checkBudgetOption } from "./budget.ts";
 * console.log(checkBudgetOption(undefined)); // 536870912
 * ```
 */
export function checkBudgetOption(budget: number | undefined): number {
  if (budget === undefined) return DEFAULT_RING_BUDGET;
  if (budget !== Infinity && !(Number.isInteger(budget) && budget >= 1)) {
    throw new InputError(`ringBudget must be a whole number of bytes >= 1 (got ${budget})`);
  }
  return budget;
}

/**
 * Bytes a source keeps alive for these schedules: `span + lookahead + 1` frames of
 * `frameBytes` pixels plus {@link FRAME_OVERHEAD_BYTES} each.
 *
 * @example
 * ```ts
 * import { ringBytes } from "./budget.ts";
 * import { Schedule } from "./schedule.ts";
 * const s = new Schedule({ frameCount: 3, frameStep: 4, interval: 1 }); // span 9
 * console.log(ringBytes([s], 1000, 0)); // 12560
 * ```
 */
export function ringBytes(
  schedules: readonly Schedule[],
  frameBytes: number,
  lookahead: number,
): number {
  return (requiredSpan(schedules) + lookahead + 1) * (frameBytes + FRAME_OVERHEAD_BYTES);
}

/**
 * Throws an {@link InputError} when the ring these algorithms need exceeds the budget. The
 * one-line message names each algorithm whose schedule alone is over it, with its
 * `frameCount` and `frameStep`, the frame size and the budget.
 *
 * @example
 * ```ts
 * import { checkRingBudget } from "./budget.ts";
 * import { Schedule } from "./schedule.ts";
 * const big = { name: "big", schedule: new Schedule({ frameCount: 1000, frameStep: 10, interval: 1 }) };
 * try {
 *   checkRingBudget([big], { frameBytes: 640 * 360 * 3, lookahead: 0, budget: 2 ** 29 });
 * } catch (e) {
 *   console.log((e as Error).message.includes("frameCount 1000, frameStep 10")); // true
 * }
 * ```
 */
export function checkRingBudget(algos: readonly NamedSchedule[], limits: RingLimits): void {
  const { frameBytes, lookahead, budget } = limits;
  const needed = ringBytes(algos.map((a) => a.schedule), frameBytes, lookahead);
  if (needed <= budget) return;
  const over = algos.filter((a) => ringBytes([a.schedule], frameBytes, lookahead) > budget);
  const named = (over.length ? over : algos).map(({ name, schedule: s }) =>
    `'${name}' (frameCount ${s.frameCount}, frameStep ${s.frameStep}: span ${s.span} frames)`
  );
  const frames = requiredSpan(algos.map((a) => a.schedule)) + lookahead + 1;
  const frame = limits.frame ? `${limits.frame} frames` : "frames";
  throw new InputError(
    `${limits.subject ? `${limits.subject}: ` : ""}the frame ring of ${named.join(", ")} ` +
      `needs ${frames} ${frame} of ${frameBytes} bytes (${formatBytes(needed)}), over the ` +
      `ring budget of ${formatBytes(budget)}: lower frameCount or frameStep, use smaller ` +
      `frames, or raise ringBudget`,
  );
}

/**
 * Refuses, when it is loaded, a schedule whose ring would not fit in the budget even with the
 * smallest frames ({@link MIN_FRAME_BYTES}); throws an {@link InputError} like
 * {@link checkRingBudget}.
 *
 * @example
 * ```ts
 * import { checkSpanBudget } from "./budget.ts";
 * import { Schedule } from "./schedule.ts";
 * const schedule = new Schedule({ frameCount: 1e9, frameStep: 1000, interval: 1 });
 * try {
 *   checkSpanBudget({ name: "huge", schedule }, 2 ** 29);
 * } catch (e) {
 *   console.log((e as Error).message.startsWith("the frame ring of 'huge'")); // true
 * }
 * ```
 */
export function checkSpanBudget(algo: NamedSchedule, budget: number): void {
  const frame = "2x2 gray (the smallest)";
  checkRingBudget([algo], { frameBytes: MIN_FRAME_BYTES, frame, lookahead: 0, budget });
}

/**
 * A byte count for people: `512 MiB`, `6.3 TiB`, `900 B`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./budget.ts";
 * console.log(formatBytes(512 * 2 ** 20), formatBytes(1536)); // 512 MiB 1.5 KiB
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(unit === 0 ? 0 : 1))} ${units[unit]}`;
}
