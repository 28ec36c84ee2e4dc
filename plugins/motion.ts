/**
 * A motion detector in plain TypeScript: frame differencing on a down-scaled grey frame, with
 * the moving regions as bounding boxes. No model needed.
 *
 * With `frameCount: 1` it compares each run's frame with the previous run's frame of the same
 * source (`frame.source`), so one instance can serve several sources; with `frameCount >= 2` it
 * compares the oldest and newest frame it is given.
 *
 * @module
 */
import {
  BaseAlgo,
  channelsOf,
  type Frame,
  isYuv,
  type PermissionDeclaration,
  type PluginPermissions,
} from "../mod.ts";

/**
 * What the motion detector needs in its sandboxed worker: nothing (it is plain TypeScript).
 *
 * @example
 * ```ts
 * import { permissions } from "@stream-infer/stream-infer/plugins/motion";
 * console.log(permissions({})); // {}
 * ```
 */
export const permissions: PermissionDeclaration = (): PluginPermissions => ({});

/**
 * Options of {@link MotionDetector}.
 *
 * @example
 * ```ts
 * import type { MotionOptions } from "@stream-infer/stream-infer/plugins/motion";
 * const opts: MotionOptions = { width: 160, threshold: 25, minArea: 4 };
 * ```
 */
export interface MotionOptions {
  /** Width of the grey working image (default 160; height keeps the aspect ratio). */
  width?: number;
  /** Grey-level difference (0..255) that counts as change (default 25). */
  threshold?: number;
  /** Smallest region, in working-image pixels, reported as a box (default 4). */
  minArea?: number;
}

/**
 * What {@link MotionDetector} returns.
 *
 * @example
 * ```ts
 * import type { MotionResult } from "@stream-infer/stream-infer/plugins/motion";
 * const r: MotionResult = { score: 0.02, boxes: [{ box: [10, 20, 60, 80], area: 0.01 }] };
 * ```
 */
export interface MotionResult {
  /** Fraction of the picture that changed, 0..1. */
  score: number;
  /** Moving regions, largest first: `[x1, y1, x2, y2]` in frame pixels and area as a fraction. */
  boxes: { box: [number, number, number, number]; area: number }[];
}

/** A down-scaled grey image. */
interface Grey {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Frame-differencing motion detector. It remembers the newest frame of each source (by
 * `frame.source`), so frames of several sources played through one instance are never compared
 * with each other.
 *
 * @example
 * ```ts
 * import MotionDetector from "@stream-infer/stream-infer/plugins/motion";
 * const motion = new MotionDetector();
 * motion.init({ threshold: 20 });
 * ```
 */
export default class MotionDetector extends BaseAlgo<MotionOptions | undefined, MotionResult> {
  #width = 160;
  #threshold = 25;
  #minArea = 4;
  /** The newest working image of each source, by source id. */
  readonly #previous = new Map<string, Grey>();

  /** Reads the options; every one is optional. */
  override init(options?: MotionOptions): void {
    const { width = 160, threshold = 25, minArea = 4 } = options ?? {};
    if (!Number.isInteger(width) || width < 8) throw new Error("width must be an integer >= 8");
    if (!(threshold > 0 && threshold < 256)) throw new Error("threshold must be in 1..255");
    if (!(minArea >= 1)) throw new Error("minArea must be >= 1");
    this.#width = width;
    this.#threshold = threshold;
    this.#minArea = minArea;
  }

  /** Scores the change between frames and boxes the moving regions. */
  run(frames: Frame[]): MotionResult {
    const newest = frames[frames.length - 1];
    const current = shrink(newest, this.#width);
    const before = frames.length > 1
      ? shrink(frames[0], this.#width)
      : this.#previous.get(newest.source);
    this.#previous.set(newest.source, current);
    if (!before || before.width !== current.width || before.height !== current.height) {
      return { score: 0, boxes: [] };
    }
    const { width, height } = current;
    const mask = new Uint8Array(width * height);
    let changed = 0;
    for (let i = 0; i < mask.length; i++) {
      if (Math.abs(current.data[i] - before.data[i]) >= this.#threshold) {
        mask[i] = 1;
        changed++;
      }
    }
    const sx = newest.width / width;
    const sy = newest.height / height;
    const boxes = regions(mask, width, height)
      .filter((r) => r.count >= this.#minArea)
      .sort((a, b) => b.count - a.count)
      .map((r) => ({
        box: [
          Math.round(r.x1 * sx),
          Math.round(r.y1 * sy),
          Math.min(newest.width, Math.round((r.x2 + 1) * sx)),
          Math.min(newest.height, Math.round((r.y2 + 1) * sy)),
        ] as [number, number, number, number],
        area: round4(r.count / mask.length),
      }));
    return { score: round4(changed / mask.length), boxes };
  }

  /** Forgets the previous frames of all sources. */
  override dispose(): void {
    this.#previous.clear();
  }
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** Box-filters a frame down to `targetWidth` columns of grey levels. */
function shrink(frame: Frame, targetWidth: number): Grey {
  const width = Math.min(targetWidth, frame.width);
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  // a YUV frame's first width * height bytes are its luma plane
  const channels = isYuv(frame.format) ? 1 : channelsOf(frame.format);
  const [wr, wg, wb] = frame.format === "bgr24" ? [0.114, 0.587, 0.299] : [0.299, 0.587, 0.114];
  const sum = new Float32Array(width * height);
  const hits = new Uint32Array(width * height);
  const src = frame.data;
  // The working-image column of each frame column.
  const column = new Int32Array(frame.width);
  for (let x = 0; x < frame.width; x++) {
    column[x] = Math.min(width - 1, Math.floor((x * width) / frame.width));
  }
  for (let y = 0; y < frame.height; y++) {
    const row = Math.min(height - 1, Math.floor((y * height) / frame.height)) * width;
    let p = y * frame.width * channels;
    for (let x = 0; x < frame.width; x++, p += channels) {
      const cell = row + column[x];
      sum[cell] += channels === 1 ? src[p] : wr * src[p] + wg * src[p + 1] + wb * src[p + 2];
      hits[cell]++;
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= hits[i] || 1;
  return { data: sum, width, height };
}

/**
 * 8-connected regions of a binary mask, with their bounds and pixel counts. Clears `mask`
 * (each pixel is cleared when its region reaches it).
 */
function regions(mask: Uint8Array, width: number, height: number) {
  const stack: number[] = [];
  const found: { x1: number; y1: number; x2: number; y2: number; count: number }[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start]) continue;
    const r = { x1: width, y1: height, x2: -1, y2: -1, count: 0 };
    mask[start] = 0;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      r.count++;
      if (x < r.x1) r.x1 = x;
      if (x > r.x2) r.x2 = x;
      if (y < r.y1) r.y1 = y;
      if (y > r.y2) r.y2 = y;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (mask[j]) {
            mask[j] = 0;
            stack.push(j);
          }
        }
      }
    }
    found.push(r);
  }
  return found;
}
