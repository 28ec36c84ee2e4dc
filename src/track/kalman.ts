/**
 * {@link BoxKalman}: a constant-velocity Kalman filter of a box's centre, aspect ratio and
 * height, as SORT and ByteTrack use it.
 *
 * @module
 */

/** A box as `[x1, y1, x2, y2]` in pixels. */
export type Box = readonly [number, number, number, number];

const POSITION_WEIGHT = 1 / 20;
const VELOCITY_WEIGHT = 1 / 160;

/**
 * The filter of one track. The state is the box's centre x and y, aspect ratio (w / h) and
 * height, each with its velocity per step (one step is the usual time between runs, which
 * the tracker measures). The noise of each coordinate scales with the box height, as in
 * ByteTrack. With diagonal noise and this motion model the 8 x 8 covariance of the reference
 * stays block-diagonal, so it is held as four independent 2 x 2 blocks: the same numbers,
 * with less work.
 *
 * @example
 * ```ts
 * import { BoxKalman } from "./kalman.ts";
 * const k = new BoxKalman([0, 0, 10, 20]);
 * k.predict(1);
 * k.update([2, 0, 12, 20]);
 * k.predict(1);
 * console.log(k.box()[0] > 2); // true: it moves on to the right
 * ```
 */
export class BoxKalman {
  /** Position and velocity of cx, cy, a, h. */
  readonly #x = new Float64Array(8);
  /** Per coordinate: variance of position, covariance, variance of velocity. */
  readonly #p = new Float64Array(12);

  /** Starts the filter at a measured box, at rest. */
  constructor(box: Box) {
    const z = measure(box);
    const h = z[3];
    for (let k = 0; k < 4; k++) {
      this.#x[2 * k] = z[k];
      const [pos, vel] = k === 2 ? [1e-2, 1e-5] : [POSITION_WEIGHT * h, VELOCITY_WEIGHT * h];
      this.#p[3 * k] = (2 * pos) ** 2;
      this.#p[3 * k + 1] = 0;
      this.#p[3 * k + 2] = (10 * vel) ** 2;
    }
  }

  /** Moves the state on by `steps` steps (fractions allowed). */
  predict(steps: number): void {
    const s = Math.max(0, steps);
    const h = Math.max(this.#x[6], 1e-3);
    for (let k = 0; k < 4; k++) {
      const [pos, vel] = k === 2 ? [1e-2, 1e-5] : [POSITION_WEIGHT * h, VELOCITY_WEIGHT * h];
      this.#x[2 * k] += s * this.#x[2 * k + 1];
      const i = 3 * k;
      const [p00, p01, p11] = [this.#p[i], this.#p[i + 1], this.#p[i + 2]];
      this.#p[i] = p00 + 2 * s * p01 + s * s * p11 + s * pos * pos;
      this.#p[i + 1] = p01 + s * p11;
      this.#p[i + 2] = p11 + s * vel * vel;
    }
  }

  /** Corrects the state with a measured box. */
  update(box: Box): void {
    const z = measure(box);
    const h = Math.max(this.#x[6], 1e-3);
    for (let k = 0; k < 4; k++) {
      const r = k === 2 ? 1e-1 ** 2 : (POSITION_WEIGHT * h) ** 2;
      const i = 3 * k;
      const [p00, p01, p11] = [this.#p[i], this.#p[i + 1], this.#p[i + 2]];
      const s = p00 + r;
      const k0 = p00 / s;
      const k1 = p01 / s;
      const y = z[k] - this.#x[2 * k];
      this.#x[2 * k] += k0 * y;
      this.#x[2 * k + 1] += k1 * y;
      this.#p[i] = (1 - k0) * p00;
      this.#p[i + 1] = (1 - k0) * p01;
      this.#p[i + 2] = p11 - k1 * p01;
    }
  }

  /** Stops the height from changing (a lost track's box keeps its size). */
  holdHeight(): void {
    this.#x[7] = 0;
  }

  /** The current box estimate as `[x1, y1, x2, y2]`. */
  box(): [number, number, number, number] {
    const [cx, , cy, , a, , h] = this.#x;
    const height = Math.max(h, 0);
    const w = Math.max(a, 0) * height;
    return [cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2];
  }
}

/** A box as the filter measures it: centre x, centre y, aspect ratio, height. */
function measure(box: Box): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  const h = Math.max(y2 - y1, 1e-3);
  return [(x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / h, h];
}

/**
 * Intersection over union of two boxes (0 when they do not overlap or are empty).
 *
 * @example
 * ```ts
 * import { iou } from "./kalman.ts";
 * console.log(iou([0, 0, 2, 2], [1, 0, 3, 2])); // 0.3333333333333333
 * ```
 */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
